// bpffwc test EXPRESSION --packet SPEC...: verdicts in the kernel, or by the interpreter when not
// privileged, saying which; bad specs are usage errors.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "cli/run_process.hpp"
#include "loader/bpffs_fixture.hpp"

using namespace bpffw::test;

TEST_CASE("bpffwc test: pass, then drop, judged in the kernel") {
  require_root_and_bpffs();
  ProcessResult result =
      run_bpffwc({"test", "udp && dst_port == 53", "--packet", "ipv4 udp dport=53", "--packet", "ipv4 udp dport=54"});
  CHECK(result.exit_code == 0);
  CHECK(result.err.empty());
  CHECK(result.out ==
        "pass  ipv4 udp 12345 -> 53, 28 bytes\n"
        "drop  ipv4 udp 12345 -> 54, 28 bytes\n"
        "judged in the kernel with BPF_PROG_TEST_RUN\n");
}

TEST_CASE("bpffwc test --why names the part of the filter that decided each verdict, with its columns") {
  // Issue 27: for `!(src_addr in blocklist) && tcp && dst_port == 8080`, a drop is "src_addr in
  // blocklist" or "dst_port == 8080" (or "tcp"), never the whole expression.
  require_root_and_bpffs();
  const std::string filter = "!(src_addr in blocklist) && tcp\n  && dst_port == 8080";
  ProcessResult result = run_bpffwc({"test", "--why", "--set", "blocklist=198.51.100.0/24", "-p",
                                     "ipv4 src=198.51.100.7 tcp dport=8080", "-p", "ipv4 udp dport=8080", "-p",
                                     "ipv4 tcp dport=22", "-p", "ipv4 tcp dport=8080", "-p", "ipv4 ihl=4 tcp", filter});
  CHECK(result.exit_code == 0);
  CHECK(result.err.empty());
  CHECK(result.out ==
        "drop  ipv4 198.51.100.7 -> 10.0.0.2 tcp 12345 -> 8080, 40 bytes  by 'src_addr in blocklist' at 1:3-23\n"
        "drop  ipv4 udp 12345 -> 8080, 28 bytes  by 'tcp' at 1:29-31\n"
        "drop  ipv4 tcp 12345 -> 22, 40 bytes  by 'dst_port == 8080' at 2:6-21\n"
        "pass  ipv4 tcp 12345 -> 8080, 40 bytes  by 'dst_port == 8080' at 2:6-21\n"
        "drop  ipv4 malformed, 40 bytes  by the malformed-packet rules (docs/filter-language.md §5.6)\n"
        "judged in the kernel with BPF_PROG_TEST_RUN\n");
  // The interpreter says the same without root.
  ProcessResult interpreted = run_bpffwc({"test", "--why", "--interpret", "-p", "ipv6 icmpv6", "tcp || udp"});
  CHECK(interpreted.out ==
        "drop  ipv6 icmpv6, 48 bytes  by 'udp' at 1:8-10\n"
        "judged by the reference interpreter (--interpret)\n");
}

TEST_CASE("bpffwc test: malformed and cut packets, and other ethertypes") {
  require_root_and_bpffs();
  ProcessResult result = run_bpffwc({"test", "-p", "ipv4 ihl=4 udp", "-p", "ipv4 udp cut=10", "-p", "arp", "-p",
                                     "ipv6 hbh frag udp dport=53", "--", "-1 < len"});
  CHECK(result.exit_code == 0);
  CHECK(result.err.empty());
  // Kernels after 5.10 refuse to test-run the cut header (EINVAL), so the interpreter judges it there.
  const std::string cut_judged_by_kernel = "drop  ipv4 malformed, 10 bytes\n";
  const std::string cut_judged_by_interpreter =
      "drop  ipv4 malformed, 10 bytes  (interpreter: the kernel's test run refuses a cut IPv4/IPv6 header)\n";
  const std::string before = "drop  ipv4 malformed, 28 bytes\n";
  const std::string after =
      "pass  ethertype 0x0806, 0 bytes\n"
      "pass  ipv6 +2 ext udp 12345 -> 53, 64 bytes\n"
      "judged in the kernel with BPF_PROG_TEST_RUN\n";
  CHECK_MESSAGE(
      (result.out == before + cut_judged_by_interpreter + after || result.out == before + cut_judged_by_kernel + after),
      result.out);
}

TEST_CASE("bpffwc test without root, or with --interpret, uses the interpreter and says so") {
  const std::vector<std::string> args = {
      "test", "icmp || (udp && dst_port == 53)", "-p", "ipv6 icmpv6", "-p", "ipv4 tcp dport=53"};
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
        "bpffwc: error: missing EXPRESSION or -f FILE\n"
        "bpffwc: hint: try 'bpffwc test --help'\n");

  ProcessResult bad_expression = run_bpffwc({"test", "dst_prot == 53", "-p", "ipv4 udp"});
  CHECK(bad_expression.exit_code == 1);
  CHECK(bad_expression.err ==
        "bpffwc: error: 1:1: unknown variable 'dst_prot' (did you mean 'dst_port'?)\n"
        "  dst_prot == 53\n"
        "  ^~~~~~~~\n");
}

TEST_CASE("bpffwc test --param: the kernel program and the interpreter judge with the given value") {
  require_root_and_bpffs();
  const std::vector<std::string> packets = {"-p", "ipv4 udp len=100", "-p", "ipv4 udp len=600"};
  for (const std::string mtu : {"576", "1500", "50"}) {
    CAPTURE(mtu);
    std::vector<std::string> args = {"test", "--param", "mtu=" + mtu};
    args.insert(args.end(), packets.begin(), packets.end());
    args.push_back("len <= mtu");
    const bool small_passes = mtu != "50";
    const bool large_passes = mtu == "1500";
    const std::string verdicts = std::string(small_passes ? "pass" : "drop") + "  ipv4 udp 12345 -> 80, 100 bytes\n" +
                                 (large_passes ? "pass" : "drop") + "  ipv4 udp 12345 -> 80, 600 bytes\n";
    // In the kernel (cross-checked against the interpreter, which exits 3 on any disagreement).
    ProcessResult kernel = run_bpffwc(args);
    CHECK(kernel.exit_code == 0);
    CHECK(kernel.err.empty());
    CHECK(kernel.out == verdicts + "judged in the kernel with BPF_PROG_TEST_RUN\n");
    // By the interpreter alone, unprivileged.
    ProcessResult interpreted = run_bpffwc(args, ProcessOptions{.as_nobody = true});
    CHECK(interpreted.exit_code == 0);
    CHECK(interpreted.out.rfind(verdicts, 0) == 0);
  }
  // Several parameters, in hex and negative.
  ProcessResult several = run_bpffwc({"test", "--param", "low=-0x1", "--param", "port=0x35", "-p", "ipv4 udp dport=53",
                                      "-p", "ipv4 udp dport=54", "low < 0 && dst_port == port"});
  CHECK(several.exit_code == 0);
  CHECK(several.out.rfind("pass  ipv4 udp 12345 -> 53, 28 bytes\ndrop  ipv4 udp 12345 -> 54, 28 bytes\n", 0) == 0);
}

TEST_CASE("bpffwc test --param is checked as the compile command's --param: same errors") {
  struct Bad {
    std::string param;
    std::string expression;
    int exit_code;
  };
  const Bad cases[] = {
      {"mtu=15x0", "len <= mtu", 2},                  // a bad value
      {"mtu=99999999999999999999", "len <= mtu", 2},  // out of range
      {"tcp=1", "tcp", 2},                            // a built-in name
      {"1mtu=5", "len", 2},                           // not an identifier
      {"mtu", "len <= mtu", 2},                       // no value, and nothing being replaced to keep it from
  };
  for (const Bad& bad : cases) {
    CAPTURE(bad.param);
    ProcessResult tested = run_bpffwc({"test", "--interpret", "--param", bad.param, "-p", "ipv4 udp", bad.expression});
    ProcessResult compiled = run_bpffwc({"--check", "--param", bad.param, bad.expression});
    CHECK(tested.exit_code == bad.exit_code);
    CHECK(compiled.exit_code == bad.exit_code);
    CHECK(tested.out.empty());
    CHECK(tested.err.rfind("bpffwc: error: ", 0) == 0);
    // Word for word the same, but for the --help each points at (usage errors end with it).
    auto without_help_line = [](std::string text) {
      auto at = text.find("bpffwc: hint: try 'bpffwc");
      return at == std::string::npos ? text : text.substr(0, at);
    };
    CHECK(without_help_line(tested.err) == without_help_line(compiled.err));
  }
  // A parameter the expression uses but that is not declared is an unknown variable, as before.
  ProcessResult undeclared = run_bpffwc({"test", "--interpret", "-p", "ipv4 udp", "len <= mtu"});
  CHECK(undeclared.exit_code == 1);
  CHECK(undeclared.err.rfind("bpffwc: error: 1:8: unknown variable 'mtu'", 0) == 0);
}

TEST_CASE("bpffwc test: the new words, -t for local_* and remote_*, sock= judged by the interpreter") {
  require_root_and_bpffs();
  ProcessResult words = run_bpffwc({"test", "tcp && (tcp_flags & (SYN | ACK)) == SYN && src_addr == 192.0.2.0/24", "-p",
                                    "ipv4 src=192.0.2.1 tcp dport=22 flags=syn", "-p",
                                    "ipv4 src=192.0.2.1 tcp dport=22 flags=syn,ack", "-p", "ipv6 tcp"});
  CHECK(words.exit_code == 0);
  CHECK(words.err.empty());
  CHECK(words.out ==
        "pass  ipv4 192.0.2.1 -> 10.0.0.2 tcp 12345 -> 22, 40 bytes\n"
        "drop  ipv4 192.0.2.1 -> 10.0.0.2 tcp 12345 -> 22 flags syn,ack, 40 bytes\n"
        "drop  ipv6 tcp 12345 -> 80, 60 bytes\n"
        "judged in the kernel with BPF_PROG_TEST_RUN\n");

  ProcessResult icmp = run_bpffwc({"test", "icmp_type == ICMPV6_ECHO_REQUEST", "-p", "ipv6 dst=fd00::1 icmpv6 type=128",
                                   "-p", "ipv6 icmpv6 type=1 code=4", "-p", "ipv4 icmp type=128 cut=23"});
  CHECK(icmp.exit_code == 0);
  CHECK(icmp.out ==
        "pass  ipv6 fd00::1 -> fd00::1 icmpv6, 48 bytes\n"
        "drop  ipv6 icmpv6 type 1 code 4, 48 bytes\n"
        "drop  ipv4 malformed, 23 bytes\n"
        "judged in the kernel with BPF_PROG_TEST_RUN\n");

  // local_port is dst_port on ingress and src_port on egress.
  for (const std::string direction : {"ingress", "egress"}) {
    ProcessResult local = run_bpffwc({"test", "-t", direction, "local_port == 80", "-p", "ipv4 tcp"});
    CHECK(local.exit_code == 0);
    CHECK(local.out.rfind(std::string(direction == "ingress" ? "pass" : "drop") + "  ipv4 tcp", 0) == 0);
  }
  ProcessResult no_direction = run_bpffwc({"test", "local_port == 80", "-p", "ipv4 tcp"});
  CHECK(no_direction.exit_code == 1);
  CHECK(no_direction.err.find("needs the direction") != std::string::npos);
  ProcessResult bad_direction = run_bpffwc({"test", "-t", "sideways", "tcp", "-p", "ipv4 tcp"});
  CHECK(bad_direction.exit_code == 2);

  // The kernel's test run has no socket: those packets are judged by the interpreter, and say so.
  ProcessResult sockets = run_bpffwc(
      {"test", "established", "-p", "ipv4 tcp sock=tcp-established", "-p", "ipv4 udp sock=udp", "-p", "ipv4 tcp"});
  CHECK(sockets.exit_code == 0);
  CHECK(sockets.out ==
        "pass  ipv4 tcp 12345 -> 80, 40 bytes, socket tcp-established  (interpreter: the kernel's test run has no "
        "socket)\n"
        "drop  ipv4 udp 12345 -> 80, 28 bytes, socket udp  (interpreter: the kernel's test run has no socket)\n"
        "drop  ipv4 tcp 12345 -> 80, 40 bytes\n"
        "judged in the kernel with BPF_PROG_TEST_RUN\n");
}

TEST_CASE("bpffwc test judges flows as the socket programs do: refused, allowed, and the words' errors") {
  ProcessResult result =
      run_bpffwc({"test", "--interpret", "-t", "egress", "-p", "connect tcp dst=192.0.2.1 dport=80", "-p",
                  "connect tcp dst=::ffff:192.0.2.1 dport=443", "-p", "sendto udp dst=2001:db8::53 dport=53", "-p",
                  "ipv4 tcp dport=443", "tcp && dst_port == 443 && dst_addr == 192.0.2.0/24"});
  CHECK(result.exit_code == 0);
  CHECK(result.err.empty());
  CHECK(result.out ==
        "refuse  connect tcp 192.0.2.1 port 80  (EPERM at once: the filter drops every first packet it can send)\n"
        "allow   connect tcp 192.0.2.1 port 443  (its packets are judged one by one)\n"
        "refuse  sendto udp 2001:db8::53 port 53  (EPERM at once: the filter drops every first packet it can send)\n"
        "drop  ipv4 tcp 12345 -> 443, 40 bytes\n"
        "judged by the reference interpreter (--interpret)\n");

  ProcessResult ingress = run_bpffwc({"test", "--interpret", "-p", "connect tcp dst=192.0.2.1 dport=80", "tcp"});
  CHECK(ingress.exit_code == 2);
  CHECK(ingress.err.find("give -t egress") != std::string::npos);
  ProcessResult bad =
      run_bpffwc({"test", "--interpret", "-t", "egress", "-p", "sendto tcp dst=192.0.2.1 dport=80", "tcp"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("a TCP socket connects") != std::string::npos);
}
