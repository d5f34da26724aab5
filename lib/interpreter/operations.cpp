#include "interpreter/operations.hpp"

#include <limits>

namespace bpffw::interpreter {
namespace {

using std::int64_t;
using std::uint64_t;

constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

int64_t from_bits(uint64_t bits) { return static_cast<int64_t>(bits); }  // two's complement (C++20)
uint64_t to_bits(int64_t value) { return static_cast<uint64_t>(value); }

}  // namespace

// §4.6: local_* is dst_* on ingress and src_* on egress, remote_* the other one. The expression
// parser refuses local_* and remote_* without a direction, so `direction` is set when they appear.
ast::Variable resolve(ast::Variable variable, std::optional<Direction> direction) {
  bool ingress = direction == Direction::Ingress;
  switch (variable) {
    case ast::Variable::LocalAddr: return ingress ? ast::Variable::DstAddr : ast::Variable::SrcAddr;
    case ast::Variable::RemoteAddr: return ingress ? ast::Variable::SrcAddr : ast::Variable::DstAddr;
    case ast::Variable::LocalPort: return ingress ? ast::Variable::DstPort : ast::Variable::SrcPort;
    case ast::Variable::RemotePort: return ingress ? ast::Variable::SrcPort : ast::Variable::DstPort;
    default: return variable;
  }
}

// §4.5: a connection this cgroup's socket made (from its SYN on) or accepted, or a connected UDP
// socket; not a listener, a closed socket, an unconnected UDP socket, another protocol, no socket.
bool established(SocketState socket) {
  return socket == SocketState::TcpSynSent || socket == SocketState::TcpEstablished ||
         socket == SocketState::UdpConnected;
}

// §4.2, §7.2: the address lies in the prefix. An IPv4 prefix matches IPv4 addresses only, an IPv6
// one IPv6 only; no address (a packet that is not IP) lies in none.
bool in_prefix(const interpreter::IpAddress& address, const ast::Prefix& prefix) {
  int family = prefix.family == ast::Family::Ipv4 ? 4 : 6;
  if (address.family != family) return false;
  for (unsigned bit = 0; bit < prefix.length; ++bit) {
    unsigned mask = 0x80u >> (bit % 8);
    if ((address.bytes[bit / 8] & mask) != (prefix.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

namespace {

// `/` truncates toward zero; x / 0 is 0; INT64_MIN / -1 is INT64_MIN.
int64_t divide(int64_t a, int64_t b) {
  if (b == 0) return 0;
  if (a == kInt64Min && b == -1) return kInt64Min;
  return a / b;
}

// `%` takes the sign of the dividend; x % 0 is x; INT64_MIN % -1 is 0.
int64_t modulo(int64_t a, int64_t b) {
  if (b == 0) return a;
  if (a == kInt64Min && b == -1) return 0;
  return a % b;
}

}  // namespace

int64_t binary(ast::BinaryOp op, int64_t a, int64_t b) {
  unsigned shift = static_cast<unsigned>(to_bits(b) & 63);  // only the low 6 bits count
  switch (op) {
    case ast::BinaryOp::Mul: return from_bits(to_bits(a) * to_bits(b));
    case ast::BinaryOp::Div: return divide(a, b);
    case ast::BinaryOp::Mod: return modulo(a, b);
    case ast::BinaryOp::Add: return from_bits(to_bits(a) + to_bits(b));
    case ast::BinaryOp::Sub: return from_bits(to_bits(a) - to_bits(b));
    case ast::BinaryOp::Shl: return from_bits(to_bits(a) << shift);
    case ast::BinaryOp::Shr: return a >> shift;  // C++20 defines >> of a negative as sign-filling
    case ast::BinaryOp::Lt: return a < b;
    case ast::BinaryOp::Le: return a <= b;
    case ast::BinaryOp::Gt: return a > b;
    case ast::BinaryOp::Ge: return a >= b;
    case ast::BinaryOp::Eq: return a == b;
    case ast::BinaryOp::Ne: return a != b;
    case ast::BinaryOp::BitAnd: return a & b;
    case ast::BinaryOp::BitXor: return a ^ b;
    case ast::BinaryOp::BitOr: return a | b;
  }
  return 0;
}

int64_t unary(ast::UnaryOp op, int64_t a) {
  switch (op) {
    case ast::UnaryOp::LogicalNot: return a == 0;
    case ast::UnaryOp::BitNot: return ~a;
    case ast::UnaryOp::Negate: return from_bits(0 - to_bits(a));  // -INT64_MIN wraps to INT64_MIN
    case ast::UnaryOp::Plus: return a;
  }
  return 0;
}

}  // namespace bpffw::interpreter
