#include "judge.hpp"

#include <cstdio>

#include "codegen/emit.hpp"
#include "packet/packet_spec.hpp"
#include "parser/filter_access.hpp"

namespace bpffw::difftest {

Result<LoadedFilter> load_filter(const std::string& text, const LoadSettings& settings) {
  Result<Filter> filter = Filter::parse(text, settings.parse);
  if (!filter) return tl::unexpected(filter.error());
  Result<ObjectFile> object =
      settings.parsers == nullptr
          ? compile(*filter)
          : codegen::compile_expression(detail::FilterAccess::root(*filter), CompileOptions{},
                                        codegen::runtime_spec_for(*filter, CompileOptions{}), *settings.parsers);
  if (!object) return tl::unexpected(object.error());
  Result<Program> program = Program::load(*object);
  if (!program) return tl::unexpected(program.error());
  return LoadedFilter{std::move(*filter), std::move(*program)};
}

Result<Verdicts> judge(const LoadedFilter& loaded, const packet::Packet& packet) {
  std::vector<unsigned char> frame = packet.ethernet_frame();
  Result<TestRunResult> run = loaded.program.test_run(frame);
  if (!run) return tl::unexpected(run.error());
  if (run->verdict > 1) {
    return make_error(ErrorKind::Internal,
                      "the program returned " + std::to_string(run->verdict) + ", not a cgroup_skb verdict (0 or 1)");
  }
  Verdicts verdicts;
  verdicts.kernel = run->verdict == 1;
  verdicts.interpreter = interpret(loaded.filter, packet.skb_protocol(), packet.bytes).pass;
  return verdicts;
}

const char* verdict_word(bool pass) { return pass ? "pass" : "drop"; }

namespace {

std::string hex_digits(const std::vector<unsigned char>& bytes, const char* separator) {
  std::string text;
  char digits[3];
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) text += separator;
    std::snprintf(digits, sizeof digits, "%02x", static_cast<unsigned>(bytes[i]));
    text += digits;
  }
  return text;
}

std::string ethertype_text(std::uint16_t ethertype) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%04x", static_cast<unsigned>(ethertype));
  return text;
}

}  // namespace

std::string describe_packet_hex(const packet::Packet& packet) {
  return "ethertype " + ethertype_text(packet.ethertype) + " (" + packet::describe_packet(packet) +
         "): " + (packet.bytes.empty() ? std::string("no bytes") : hex_digits(packet.bytes, " "));
}

const char* direction_word(std::optional<Direction> direction) { return direction ? to_string(*direction) : "none"; }

std::string reproduction_command(const std::string& filter, const packet::Packet& packet,
                                 std::optional<Direction> direction) {
  // Filter texts cannot contain a single quote (docs/filter-language.md §2), so single quotes are enough.
  std::string options = direction ? std::string("-t ") + to_string(*direction) + " " : "";
  return "bpffwc test " + options + "'" + filter + "' --packet 'ethertype=" + ethertype_text(packet.ethertype) +
         " hex:" + hex_digits(packet.bytes, "") + "'";
}

}  // namespace bpffw::difftest
