#include <bpffw/direction.hpp>

#include <string>

namespace bpffw {

const char* to_string(Direction direction) { return direction == Direction::Ingress ? "ingress" : "egress"; }

Result<Direction> parse_direction(std::string_view text) {
  if (text == "ingress") return Direction::Ingress;
  if (text == "egress") return Direction::Egress;
  return make_error(ErrorKind::Usage, "unknown direction '" + std::string(text) + "'", 0,
                    "use -t ingress or -t egress");
}

}  // namespace bpffw
