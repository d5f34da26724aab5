#include "support/kernel_filter.hpp"

#include <cerrno>
#include <cstdio>

#include <doctest/doctest.h>

#include "packet/packet_spec.hpp"
#include "support/hex.hpp"
#include "support/kernel_env.hpp"

namespace bpffw::test {

KernelFilter::KernelFilter(const std::string& text, const ParseOptions& options) : text_(text) {
  require_root();
  Result<Filter> filter = Filter::parse(text, options);
  REQUIRE_MESSAGE(filter.has_value(), "filter does not parse: " << text << ": " << filter.error().message);
  filter_ = *filter;
  Result<ObjectFile> object = compile(*filter_);
  REQUIRE_MESSAGE(object.has_value(), "filter does not compile: " << text << ": " << object.error().message);
  Result<Program> program = Program::load(*object);
  REQUIRE_MESSAGE(program.has_value(), "program does not load: " << text << ": " << program.error().message << "\n"
                                                                 << program.error().verifier_log);
  program_ = std::move(*program);
}

bool KernelFilter::kernel_verdict(const packet::Packet& packet) const {
  REQUIRE_MESSAGE(packet.fits_test_run(), "BPF_PROG_TEST_RUN cannot take this packet\n"
                                              << describe_case(text_, packet));
  std::vector<unsigned char> frame = packet.ethernet_frame();
  Result<TestRunResult> result = program_->test_run(frame);
  REQUIRE_MESSAGE(result.has_value(), "BPF_PROG_TEST_RUN failed: " << result.error().message << "\n"
                                                                   << describe_case(text_, packet));
  REQUIRE_MESSAGE(result->verdict <= 1, "cgroup_skb verdict " << result->verdict << "\n"
                                                              << describe_case(text_, packet));
  return result->verdict == 1;
}

std::optional<bool> KernelFilter::kernel_verdict_if_taken(const packet::Packet& packet) const {
  if (!packet.packet_socket().as_in_test_run()) return std::nullopt;  // the test run's socket is another
  if (packet.fits_test_run()) return kernel_verdict(packet);
  Result<TestRunResult> result = program_->test_run(packet.ethernet_frame());
  if (!result && result.error().sys_errno == EINVAL) return std::nullopt;
  REQUIRE_MESSAGE(result.has_value(), "BPF_PROG_TEST_RUN failed: " << result.error().message << "\n"
                                                                   << describe_case(text_, packet));
  return result->verdict == 1;
}

bool KernelFilter::interpreter_verdict(const packet::Packet& packet) const {
  return interpret(*filter_, packet.skb_protocol(), packet.bytes, packet.packet_socket()).pass;
}

std::string describe_case(const std::string& filter, const packet::Packet& packet) {
  char ethertype[8];
  std::snprintf(ethertype, sizeof ethertype, "0x%04x", static_cast<unsigned>(packet.ethertype));
  return "filter: " + filter + "\npacket: ethertype " + ethertype + " (" + packet::describe_packet(packet) +
         "): " + hex(packet.bytes);
}

}  // namespace bpffw::test
