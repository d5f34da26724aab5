#include "loader/loader_test_support.hpp"

#include <cstdio>

#include <fcntl.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <bpffw/program.hpp>

#include "loader/bpf_elf_builder.hpp"

namespace bpffw::test {

ObjectFile returning(std::int32_t verdict) { return build_bpf_object({mov64_imm(0, verdict), exit_insn()}); }

std::vector<unsigned char> udp_frame(std::uint16_t dst_port) {
  std::vector<unsigned char> frame = {
      // Ethernet: destination, source, ethertype IPv4
      0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0x08, 0x00,
      // IPv4: version 4, IHL 5, total length 32, TTL 64, protocol UDP, 10.0.0.1 -> 10.0.0.2
      0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
      // UDP: source port 40000, destination port, length 12, checksum 0
      0x9c, 0x40, std::uint8_t(dst_port >> 8), std::uint8_t(dst_port), 0, 12, 0, 0,
      // payload
      'p', 'i', 'n', 'g'};
  return frame;
}

std::uint32_t udp_verdict(const std::string& pin, std::uint16_t udp_port) {
  auto program = Program::open_pinned(pin);
  REQUIRE_MESSAGE(program, (program ? "" : program.error().message));
  auto run = program->test_run(udp_frame(udp_port));
  REQUIRE_MESSAGE(run, (run ? "" : run.error().message));
  return run->verdict;
}

StderrCapture::StderrCapture() {
  std::fflush(stderr);
  char name[] = "/tmp/bpffw-stderr-XXXXXX";
  file_ = ::mkstemp(name);
  if (file_ < 0) return;
  ::unlink(name);
  saved_ = ::dup(2);
  ::dup2(file_, 2);
}

StderrCapture::~StderrCapture() { finish(); }

std::string StderrCapture::finish() {
  if (saved_ < 0) return {};
  std::fflush(stderr);
  ::dup2(saved_, 2);
  ::close(saved_);
  saved_ = -1;
  std::string text;
  char buffer[4096];
  ::lseek(file_, 0, SEEK_SET);
  for (ssize_t n; (n = ::read(file_, buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<std::size_t>(n));
  ::close(file_);
  file_ = -1;
  return text;
}

}  // namespace bpffw::test
