// What the compile command and `bpffwc load` do with a loaded program and its socket programs:
// pin it (-o PIN [--force]), put it in place of a pinned one wherever that runs
// (--replace-everywhere PIN), or attach it (--attach, attach_options.hpp). One function, so that a
// program compiled here and one compiled elsewhere (load) are installed with the same guarantees.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <bpffw/program.hpp>

#include "attach_options.hpp"

namespace bpffwc {

struct Placement {
  std::optional<std::string> pin_path;        // -o PIN
  bool force = false;                         // --force
  std::optional<std::string> everywhere_pin;  // --replace-everywhere PIN
  AttachOptions* attach = nullptr;            // --attach, when requested()
  std::string* summary = nullptr;             // what --replace-everywhere did, for the unit's status
};

// Installs `program` and `sockets` (none: an empty list) where `where` says. Any failure leaves
// the pin and every cgroup as they were. Returns the exit code of the reported error, or kExitSuccess.
int install_program(bpffw::Program program, std::vector<bpffw::SocketProgram> sockets, const Placement& where,
                    std::string_view expression);

}  // namespace bpffwc
