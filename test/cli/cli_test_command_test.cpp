// bpffwc test EXPRESSION --packet SPEC...: verdicts in the kernel, or by the interpreter when not
// privileged, saying which; bad specs are usage errors.
#include <string>

#include <doctest/doctest.h>

#include "cli/run_process.hpp"
#include "loader/bpffs_fixture.hpp"

using namespace bpffw::test;

TEST_CASE("bpffwc test: pass, then drop, judged in the kernel") {
  require_root_and_bpffs();
  ProcessResult result = run_bpffwc(
      {"test", "udp && dst_port == 53", "--packet", "ipv4 udp dport=53", "--packet", "ipv4 udp dport=54"});
  CHECK(result.exit_code == 0);
  CHECK(result.err.empty());
  CHECK(result.out ==
        "pass  ipv4 udp 12345 -> 53, 28 bytes\n"
        "drop  ipv4 udp 12345 -> 54, 28 bytes\n"
        "judged in the kernel with BPF_PROG_TEST_RUN\n");
}

TEST_CASE("bpffwc test: malformed and cut packets, and other ethertypes") {
  require_root_and_bpffs();
  ProcessResult result = run_bpffwc({"test", "-p", "ipv4 ihl=4 udp", "-p", "ipv4 udp cut=10", "-p", "arp",
                                     "-p", "ipv6 hbh frag udp dport=53", "--", "-1 < len"});
  CHECK(result.exit_code == 0);
  CHECK(result.err.empty());
  CHECK(result.out ==
        "drop  ipv4 malformed, 28 bytes\n"
        "drop  ipv4 malformed, 10 bytes  (interpreter: the kernel's test run refuses a cut IPv4/IPv6 header)\n"
        "pass  ethertype 0x0806, 0 bytes\n"
        "pass  ipv6 +2 ext udp 12345 -> 53, 64 bytes\n"
        "judged in the kernel with BPF_PROG_TEST_RUN\n");
}

TEST_CASE("bpffwc test without root, or with --interpret, uses the interpreter and says so") {
  const std::vector<std::string> args = {"test", "icmp || (udp && dst_port == 53)", "-p", "ipv6 icmpv6",
                                         "-p", "ipv4 tcp dport=53"};
  ProcessResult unprivileged = run_bpffwc(args, ProcessOptions{.as_nobody = true});
  CHECK(unprivileged.exit_code == 0);
  CHECK(unprivileged.err.empty());
  CHECK(unprivileged.out ==
        "pass  ipv6 icmpv6, 48 bytes\n"
        "drop  ipv4 tcp 12345 -> 53, 40 bytes\n"
        "judged by the reference interpreter: loading BPF programs needs root (CAP_BPF and CAP_NET_ADMIN)\n");

  std::vector<std::string> interpret = args;
  interpret.push_back("--interpret");
  ProcessResult forced = run_bpffwc(interpret);
  CHECK(forced.exit_code == 0);
  CHECK(forced.out.find("judged by the reference interpreter (--interpret)\n") != std::string::npos);
}

TEST_CASE("bpffwc test: bad specs and missing arguments are usage errors, bad expressions exit 1") {
  ProcessResult bad_spec = run_bpffwc({"test", "tcp", "--packet", "ipv4 bogus"});
  CHECK(bad_spec.exit_code == 2);
  CHECK(bad_spec.err.rfind("bpffwc: error: packet 'ipv4 bogus': unknown word 'bogus'\n"
                           "bpffwc: hint: describe a packet with: ipv4|ipv6|",
                           0) == 0);
  CHECK(bad_spec.out.empty());

  ProcessResult no_packet = run_bpffwc({"test", "tcp"});
  CHECK(no_packet.exit_code == 2);
  CHECK(no_packet.err.rfind("bpffwc: error: test needs at least one --packet SPEC\n", 0) == 0);

  ProcessResult no_expression = run_bpffwc({"test"});
  CHECK(no_expression.exit_code == 2);
  CHECK(no_expression.err ==
        "bpffwc: error: test needs an EXPRESSION\n"
        "bpffwc: hint: bpffwc test EXPRESSION --packet SPEC\n"
        "bpffwc: hint: try 'bpffwc --help'\n");

  ProcessResult bad_expression = run_bpffwc({"test", "dst_prot == 53", "-p", "ipv4 udp"});
  CHECK(bad_expression.exit_code == 1);
  CHECK(bad_expression.err ==
        "bpffwc: error: 1:1: unknown variable 'dst_prot' (did you mean 'dst_port'?)\n"
        "  dst_prot == 53\n"
        "  ^~~~~~~~\n");
}
