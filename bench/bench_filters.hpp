// The filters the benchmarks measure, shared by bpffw-bench-compile and bpffw-bench-kernel.
#pragma once

#include <string>

namespace bpffw::bench {

inline constexpr const char* kF1 = "icmp || (udp && dst_port == 53) || (tcp && dst_port == 80)";
// An address-and-port filter (docs/filter-language.md §6.2): SSH from two prefixes, one per family.
inline constexpr const char* kA1 = "tcp && dst_port == 22 && src_addr in {192.0.2.0/24, 2001:db8::/32}";

// `dst_port == 3 || dst_port == 6 || ...`: n terms, ports 3, 6, 9, ... (all distinct below 65536
// for n <= 21,845, and none of them the ports of the packet mix except by design: see kernel_bench).
std::string port_chain(int n);
// `dst_port in {3, 6, 9, ...}`: the same n ports as a set (docs/filter-language.md §7.1).
std::string port_set(int n);

// A rule list of n terms as hosts bring them from iptables (docs/filter-language.md §7.4), term i
// `(tcp && dst_port == P && src_addr == 100.X.Y.0/24)` or, every other term, an IPv6 /48
// (2001:db8:X::/48), UDP every third. The first terms are the same for every n, so one packet
// meets term 0 (IPv4, UDP) and one term 1 (IPv6, TCP) at every size.
std::string rule_list(int n);
inline constexpr int kRuleListMost = 50000;

}  // namespace bpffw::bench
