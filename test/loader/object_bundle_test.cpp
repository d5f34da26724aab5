// <bpffw/object_bundle.hpp>: a compiled filter written as a bundle reads back as it was, and
// anything else is refused without a kernel.
#include <bpffw/compiler.hpp>
#include <bpffw/filter.hpp>
#include <bpffw/object_bundle.hpp>
#include <bpffw/version.hpp>

#include <doctest/doctest.h>

using namespace bpffw;

namespace {

ObjectFile compiled(const std::string& expression, const ParseOptions& options) {
  auto filter = Filter::parse(expression, options);
  REQUIRE_MESSAGE(filter, (filter ? "" : filter.error().message));
  auto object = compile(*filter);
  REQUIRE_MESSAGE(object, (object ? "" : object.error().message));
  return std::move(*object);
}

SetPrefix prefix(bool ipv6, std::uint8_t first, unsigned length) {
  SetPrefix result;
  result.ipv6 = ipv6;
  result.bytes[0] = first;
  result.length = length;
  return result;
}

}  // namespace

TEST_CASE("a bundle reads back its objects, sets and rule entries exactly, and the program's metadata") {
  ParseOptions options;
  options.direction = Direction::Egress;
  NamedSet ports{"ports", SetItems{SetElement::Integer, {{22, 22}, {8000, 8100}}, {}}, "/etc/bpffw/ports.txt"};
  NamedSet nets{"nets", SetItems{SetElement::Address, {}, {prefix(false, 10, 8), prefix(true, 0x20, 16)}}};
  options.sets = {ports, nets};
  std::string rules;
  for (int i = 0; i < 70; ++i)
    rules +=
        " || (tcp && dst_port == " + std::to_string(1000 + i) + " && src_addr == 10.0.0." + std::to_string(i) + ")";
  const std::string expression = "(tcp && dst_port in ports && dst_addr in nets)" + rules;
  ObjectFile packet = compiled(expression, options);
  REQUIRE(packet.rule_key_size != 0);
  auto filter = Filter::parse(expression, options);
  REQUIRE(filter);
  auto sockets = compile_socket_programs(*filter);
  REQUIRE_MESSAGE(sockets, (sockets ? "" : sockets.error().message));

  std::vector<unsigned char> bytes = save_object_bundle(packet, &*sockets);
  auto read = read_object_bundle(bytes);
  REQUIRE_MESSAGE(read, (read ? "" : read.error().message));
  CHECK(read->bpffw_version == kVersion);
  CHECK(read->packet.bytes == packet.bytes);
  CHECK(read->packet.sets == packet.sets);
  CHECK(read->packet.rule_key_size == packet.rule_key_size);
  CHECK(read->packet.rule_keys == packet.rule_keys);
  CHECK(read->packet.rule_values == packet.rule_values);
  CHECK(read->packet.rule_prefix_key_size == packet.rule_prefix_key_size);
  CHECK(read->packet.rule_prefix_keys == packet.rule_prefix_keys);
  CHECK(read->packet.rule_prefix_values == packet.rule_prefix_values);
  REQUIRE(read->sockets);
  CHECK(read->sockets->bytes == sockets->bytes);
  CHECK(read->sockets->sets == sockets->sets);
  CHECK(read->metadata.bpffw_version == kVersion);
  CHECK(read->metadata.direction == Direction::Egress);
  CHECK(read->metadata.expression == expression);
  REQUIRE(read->metadata.sets.size() == 2);
  CHECK(read->metadata.sets[0].file == "/etc/bpffw/ports.txt");

  auto alone = read_object_bundle(save_object_bundle(packet, nullptr));
  REQUIRE(alone);
  CHECK(!alone->sockets);
}

TEST_CASE("a bundle cut anywhere or with any byte changed is refused as damaged") {
  std::vector<unsigned char> bytes = save_object_bundle(compiled("udp && dst_port == 53", {}), nullptr);
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    auto read = read_object_bundle(std::span(bytes).first(size));
    REQUIRE(!read);
    CHECK(read.error().kind == ErrorKind::Usage);
  }
  for (std::size_t at = 0; at < bytes.size(); at += 7) {
    std::vector<unsigned char> changed = bytes;
    changed[at] ^= 0x10;
    auto read = read_object_bundle(changed);
    REQUIRE(!read);
    CHECK(read.error().kind == ErrorKind::Usage);
  }
}

TEST_CASE("read_object_metadata reads a compiled object and refuses another") {
  auto metadata = read_object_metadata(compiled("tcp", {}));
  REQUIRE_MESSAGE(metadata, (metadata ? "" : metadata.error().message));
  CHECK(metadata->expression == "tcp");
  CHECK(!metadata->direction);
  ObjectFile other;
  other.bytes = {'n', 'o', 't', ' ', 'E', 'L', 'F'};
  auto garbage = read_object_metadata(other);
  REQUIRE(!garbage);
  CHECK(garbage.error().kind == ErrorKind::Usage);
}
