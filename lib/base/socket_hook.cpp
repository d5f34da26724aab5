#include <bpffw/compiler.hpp>

namespace bpffw {

const char* to_string(SocketHook hook) {
  switch (hook) {
    case SocketHook::Connect4: return "connect4";
    case SocketHook::Connect6: return "connect6";
    case SocketHook::Sendmsg4: return "sendmsg4";
    case SocketHook::Sendmsg6: return "sendmsg6";
    case SocketHook::Bind4: return "bind4";
    case SocketHook::Bind6: return "bind6";
  }
  return "?";
}

std::span<const SocketHook> socket_hooks(Direction direction) {
  // kSocketHooks: the egress hooks first, then the ingress ones.
  std::span<const SocketHook> all(kSocketHooks);
  return direction == Direction::Egress ? all.first(4) : all.subspan(4);
}

}  // namespace bpffw
