#include "install_program.hpp"

#include <unistd.h>

#include "diagnostics.hpp"
#include "replace_everywhere.hpp"
#include "socket_group.hpp"

namespace bpffwc {

int install_program(bpffw::Program program, std::vector<bpffw::SocketProgram> sockets, const Placement& where,
                    std::string_view expression) {
  if (where.attach != nullptr && where.attach->requested())
    return where.attach->run(std::move(program), std::move(sockets), where.pin_path, where.force, expression);
  // A cgroup left on the old program while the pin leads to the new one would be enforcing rules
  // that no longer show anywhere: --force replaces it there too.
  if (where.everywhere_pin || where.force) {
    const std::string& pin = where.everywhere_pin ? *where.everywhere_pin : *where.pin_path;
    return swap_everywhere_with_socket_group(sockets, pin, [&] {
      return replace_everywhere(program, pin,
                                where.everywhere_pin ? ReplaceReport::Always : ReplaceReport::OnlyWhereAttached,
                                where.everywhere_pin ? where.summary : nullptr);
    });
  }
  auto pinned = program.pin(*where.pin_path, bpffw::PinMode::CreateNew);
  if (pinned && !sockets.empty()) {
    pinned = bpffw::pin_socket_programs(sockets, *where.pin_path, bpffw::PinMode::CreateNew);
    if (!pinned) ::unlink(where.pin_path->c_str());  // all pinned or none
  }
  if (!pinned) return report(pinned.error(), expression);
  return kExitSuccess;
}

}  // namespace bpffwc
