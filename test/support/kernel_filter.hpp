// A filter compiled and loaded into the kernel, run on packets with BPF_PROG_TEST_RUN, and judged
// against the reference interpreter.
#pragma once

#include <optional>
#include <string>

#include <bpffw/bpffw.hpp>

#include "packet/packet_builder.hpp"

namespace bpffw::test {

class KernelFilter {
 public:
  // Parses (with `options`: a direction for local_* and remote_*), compiles and loads; a failure
  // fails the running test with the error and the filter.
  explicit KernelFilter(const std::string& text, const ParseOptions& options = {});

  const Filter& filter() const { return *filter_; }
  const std::string& text() const { return text_; }

  // The kernel's verdict (true = pass); fails the test if BPF_PROG_TEST_RUN fails.
  bool kernel_verdict(const packet::Packet& packet) const;
  // For any packet, also one whose IPv4/IPv6 fixed header is cut short: the kernel's verdict, or
  // nothing when BPF_PROG_TEST_RUN refuses such a packet (EINVAL), as kernels since 5.x do but
  // 5.10 does not. Fails the test on any other error, and on a refusal of a packet that fits.
  std::optional<bool> kernel_verdict_if_taken(const packet::Packet& packet) const;
  // The reference interpreter's verdict.
  bool interpreter_verdict(const packet::Packet& packet) const;

 private:
  std::string text_;
  std::optional<Filter> filter_;
  std::optional<Program> program_;
};

// "filter: ...\npacket: ethertype 0x0800, 40 bytes: 45 00 ..." for failure messages.
std::string describe_case(const std::string& filter, const packet::Packet& packet);

}  // namespace bpffw::test
