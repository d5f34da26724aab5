#include "verdict_table.hpp"

#include <map>
#include <memory>
#include <optional>
#include <utility>

#include <doctest/doctest.h>

#include "packet/packet_spec.hpp"
#include "support/kernel_filter.hpp"

namespace bpffw::test {

void check_rows(const std::vector<VerdictRow>& rows) {
  std::map<std::pair<std::string, std::optional<Direction>>, std::unique_ptr<KernelFilter>> loaded;
  for (const VerdictRow& row : rows) {
    std::unique_ptr<KernelFilter>& filter = loaded[{row.filter, row.direction}];
    if (!filter) filter = std::make_unique<KernelFilter>(row.filter, ParseOptions{.direction = row.direction});
    std::string expected = row.pass ? "pass" : "drop";
    std::string direction = row.direction ? std::string(" on ") + to_string(*row.direction) : "";
    INFO(row.what << direction << " (expected " << expected << ")\n" << describe_case(row.filter, row.packet));
    if (std::optional<bool> kernel = filter->kernel_verdict_if_taken(row.packet))
      CHECK_MESSAGE(*kernel == row.pass, "kernel disagrees with the spec");
    CHECK_MESSAGE(filter->interpreter_verdict(row.packet) == row.pass, "interpreter disagrees with the spec");
  }
}

packet::Packet packet_of(const std::string& spec) {
  Result<packet::Packet> packet = packet::parse_packet_spec(spec);
  REQUIRE_MESSAGE(packet.has_value(), spec << ": " << (packet ? "" : packet.error().message));
  return *packet;
}

}  // namespace bpffw::test
