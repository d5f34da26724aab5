// The socket programs bpffwc loads, pins and attaches beside a filter's packet program
// (docs/filter-language.md §10): an egress filter's make refused connect() and sends fail at once
// with EPERM (--no-socket-programs leaves them out); an ingress filter's, with --refuse-bind,
// refuse bind() of a port no packet could reach. One unit with the packet program: attached,
// pinned, replaced and detached together.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <bpffw/cgroup.hpp>
#include <bpffw/compiler.hpp>
#include <bpffw/program.hpp>

namespace bpffwc {

class SocketGroupOptions {
 public:
  void define(CLI::App& app);
  // Whether a program compiled for `direction` gets socket programs: egress, unless left out;
  // ingress, with --refuse-bind.
  bool wanted(std::optional<bpffw::Direction> direction) const {
    return direction == bpffw::Direction::Egress ? !left_out_ : refuse_bind_ && direction == bpffw::Direction::Ingress;
  }
  // --no-socket-programs where there are none to leave out. Returns kExitSuccess or the exit code.
  int check(std::optional<bpffw::Direction> direction, bool loads) const;

 private:
  bool left_out_ = false;
  bool refuse_bind_ = false;
};

// Loads the socket programs of `object` beside `packet` (compiled by the compile command, or read
// from a bundle by load: nothing here compiles, so that it needs no LLVM). Returns the exit code of a reported
// error, or kExitSuccess with `programs` filled.
int load_socket_group(const bpffw::ObjectFile& object, const bpffw::Program& packet, std::string_view expression,
                      std::vector<bpffw::SocketProgram>& programs);

// Around `swap`, which swaps the packet program in `cgroup` at `direction` and returns an exit
// code: takes the old socket programs of that direction off first, puts them back if the swap
// fails, and attaches `programs` once it succeeded. Calls are never refused by the filter that is
// not in place.
int swap_with_socket_group(const bpffw::Cgroup& cgroup, bpffw::Direction direction,
                           const std::vector<bpffw::SocketProgram>& programs, const std::function<int()>& swap,
                           std::string_view expression);

// Around `swap`, which swaps the packet program pinned at `pin` wherever it is attached
// (replace_everywhere.hpp) and returns an exit code: takes the socket programs off the egress
// cgroups where the old one is attached first, puts them back if the swap fails, and attaches
// `programs` where they were taken off once it succeeded; then pins `programs` beside `pin`.
int swap_everywhere_with_socket_group(const std::vector<bpffw::SocketProgram>& programs, const std::string& pin,
                                      const std::function<int()>& swap);

}  // namespace bpffwc
