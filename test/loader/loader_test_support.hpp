// Small helpers for loader tests: canned programs and frames, and a stderr capture.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <bpffw/compiler.hpp>

namespace bpffw::test {

// A hand-assembled program `return verdict;` named bpffw_filter.
ObjectFile returning(std::int32_t verdict);

// Ethernet + IPv4 + UDP to dst_port, with 4 payload bytes.
std::vector<unsigned char> udp_frame(std::uint16_t dst_port);

// The verdict of the program pinned at `pin` on udp_frame(udp_port) (BPF_PROG_TEST_RUN); a
// failing REQUIRE when it cannot be opened or run.
std::uint32_t udp_verdict(const std::string& pin, std::uint16_t udp_port);

// Redirects fd 2 into a temporary file until finish(), which returns what was written.
class StderrCapture {
 public:
  StderrCapture();
  ~StderrCapture();
  std::string finish();

 private:
  int saved_ = -1;
  int file_ = -1;
};

}  // namespace bpffw::test
