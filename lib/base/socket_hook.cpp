#include <bpffw/compiler.hpp>

namespace bpffw {

const char* to_string(SocketHook hook) {
  switch (hook) {
    case SocketHook::Connect4: return "connect4";
    case SocketHook::Connect6: return "connect6";
    case SocketHook::Sendmsg4: return "sendmsg4";
    case SocketHook::Sendmsg6: return "sendmsg6";
  }
  return "?";
}

}  // namespace bpffw
