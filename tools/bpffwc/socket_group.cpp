#include "socket_group.hpp"

#include "diagnostics.hpp"

namespace bpffwc {

void SocketGroupOptions::define(CLI::App& app) {
  app.add_flag("--no-socket-programs", left_out_,
               "with -t egress: leave out the socket programs that make a connect() or send the filter refuses "
               "fail at once with EPERM (they are attached and pinned beside the packet program otherwise)");
  app.add_flag("--refuse-bind", refuse_bind_,
               "with -t ingress: also refuse (EPERM) a bind() of a port the filter lets no packet reach, with "
               "socket programs attached and pinned beside the packet program (like systemd's SocketBindDeny=)");
}

int SocketGroupOptions::check(std::optional<bpffw::Direction> direction, bool loads) const {
  if (refuse_bind_) {
    if (direction != bpffw::Direction::Ingress)
      return report_usage("--refuse-bind only applies to -t ingress: an egress filter refuses connect() and sends");
    if (!loads)
      return report_usage("--refuse-bind only applies to -o PIN, --attach, --replace-everywhere and --emit bundle");
  }
  if (!left_out_) return kExitSuccess;
  if (direction != bpffw::Direction::Egress)
    return report_usage(
        "--no-socket-programs only applies to -t egress: an ingress filter has socket programs only "
        "with --refuse-bind");
  if (!loads)
    return report_usage(
        "--no-socket-programs only applies to -o PIN, --attach, --replace-everywhere and --emit bundle");
  return kExitSuccess;
}

int load_socket_group(const bpffw::ObjectFile& object, const bpffw::Program& packet, std::string_view expression,
                      std::vector<bpffw::SocketProgram>& programs) {
  auto loaded = bpffw::Program::load_socket_programs(object, packet);
  if (!loaded) return report(loaded.error(), expression);
  programs = std::move(*loaded);
  return kExitSuccess;
}

int swap_with_socket_group(const bpffw::Cgroup& cgroup, bpffw::Direction direction,
                           const std::vector<bpffw::SocketProgram>& programs, const std::function<int()>& swap,
                           std::string_view expression) {
  auto taken = bpffw::take_off_bpffw_socket_programs(cgroup, direction);
  if (!taken) return report(taken.error(), expression);
  if (int swapped = swap(); swapped != kExitSuccess) {
    if (auto back = bpffw::attach(*taken, cgroup); !back) report(back.error());
    return swapped;
  }
  if (auto attached = bpffw::attach(programs, cgroup); !attached) {
    report(attached.error(), expression);
    report_note("the new filter's packet program is in place; its calls are judged by their packets alone");
    return kExitFailure;
  }
  return kExitSuccess;
}

int swap_everywhere_with_socket_group(const std::vector<bpffw::SocketProgram>& programs, const std::string& pin,
                                      const std::function<int()>& swap) {
  struct Taken {
    bpffw::Cgroup cgroup;
    std::vector<bpffw::SocketProgram> programs;
  };
  std::vector<Taken> taken;
  auto put_back = [&] {
    for (Taken& place : taken)
      if (auto back = bpffw::attach(place.programs, place.cgroup); !back) report(back.error());
  };
  if (auto old = bpffw::Program::open_pinned(pin)) {
    auto where = bpffw::find_attachments(*old);
    if (!where) return report(where.error());
    for (const bpffw::Attachment& attachment : *where) {
      auto cgroup = bpffw::Cgroup::open(attachment.cgroup);
      if (!cgroup) continue;  // removed meanwhile
      auto off = bpffw::take_off_bpffw_socket_programs(*cgroup, attachment.direction);
      if (!off) {
        put_back();
        return report(off.error());
      }
      if (!off->empty()) taken.push_back(Taken{std::move(*cgroup), std::move(*off)});
    }
  }
  if (int swapped = swap(); swapped != kExitSuccess) {
    put_back();
    return swapped;
  }
  // The new ones where the old ones were (a cgroup given only the packet program keeps only it).
  for (Taken& place : taken)
    if (auto attached = bpffw::attach(programs, place.cgroup); !attached) return report(attached.error());
  // Left out: pins of the old ones would hold the old filter.
  if (programs.empty()) {
    bpffw::unpin_socket_programs(pin);
    return kExitSuccess;
  }
  if (auto pinned = bpffw::pin_socket_programs(programs, pin, bpffw::PinMode::Replace); !pinned)
    return report(pinned.error());
  return kExitSuccess;
}

}  // namespace bpffwc
