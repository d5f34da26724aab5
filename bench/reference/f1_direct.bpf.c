// SPDX-License-Identifier: Apache-2.0
//
// F1 = icmp || (udp && dst_port == 53) || (tcp && dst_port == 80), written by hand in C with direct
// packet access only: what most people write, and the fastest a filter gets. Every header is read
// through skb->data with bounds checks against skb->data_end; nothing is read with a helper, so a
// header outside the linear data makes the packet a drop (bpffw reads it with bpf_skb_load_bytes).
// On linear packets it gives bpffw's verdicts (docs/filter-language.md "How the packet is read"):
// the same malformed checks, the same extension-header walk, and it stops as soon as the verdict
// is known. bench/kernel_bench.cpp checks the verdicts agree before timing anything.
//
// Build: clang-19 -O2 -target bpf -I/usr/include/$(gcc -print-multiarch) -c f1_direct.bpf.c
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86DD
#define MAX_EXTENSION_HEADERS 8
#define PASS 1
#define DROP 0

static __always_inline int is_extension_header(__u8 type) {
  return type == IPPROTO_HOPOPTS || type == IPPROTO_ROUTING || type == IPPROTO_FRAGMENT ||
         type == IPPROTO_AH || type == IPPROTO_DSTOPTS;
}

// The destination port of the transport header at `l4`, checked complete.
static __always_inline int ports_pass(__u8 protocol, void *l4, void *end) {
  if (protocol == IPPROTO_UDP) {
    struct udphdr *udp = l4;
    if ((void *)(udp + 1) > end)
      return DROP;
    return udp->dest == bpf_htons(53);
  }
  if (protocol == IPPROTO_TCP) {
    struct tcphdr *tcp = l4;
    if ((void *)(tcp + 1) > end)
      return DROP;
    return tcp->dest == bpf_htons(80);
  }
  return DROP;
}

SEC("cgroup_skb/ingress")
int f1_direct(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data;
  void *end = (void *)(long)skb->data_end;

  if (skb->protocol == bpf_htons(ETHERTYPE_IPV4)) {
    struct iphdr *ip = data;
    if ((void *)(ip + 1) > end || ip->version != 4 || ip->ihl < 5)
      return DROP;
    __u32 header = ip->ihl * 4;
    if (header > skb->len)
      return DROP;
    if (ip->protocol == IPPROTO_ICMP)
      return PASS;
    if (ip->frag_off & bpf_htons(0x1fff))  // a non-first fragment: ports are 0
      return DROP;
    return ports_pass(ip->protocol, data + header, end);
  }
  if (skb->protocol == bpf_htons(ETHERTYPE_IPV6)) {
    struct ipv6hdr *ip6 = data;
    if ((void *)(ip6 + 1) > end || ip6->version != 6)
      return DROP;
    __u8 next = ip6->nexthdr;
    __u32 offset = sizeof(*ip6);
    int non_first_fragment = 0;
#pragma unroll
    for (int i = 0; i < MAX_EXTENSION_HEADERS; i++) {
      if (!is_extension_header(next))
        break;
      __u8 *h = data + offset;
      if ((void *)(h + 4) > end)
        return DROP;
      __u32 size;
      if (next == IPPROTO_FRAGMENT) {
        size = 8;
        non_first_fragment |= (h[2] << 8 | (h[3] & 0xf8)) != 0;
      } else if (next == IPPROTO_AH) {
        size = (h[1] + 2) * 4;
      } else {
        size = (h[1] + 1) * 8;
      }
      offset += size;
      if (offset > skb->len)
        return DROP;
      next = h[0];
    }
    if (is_extension_header(next))  // a 9th extension header
      return DROP;
    if (next == IPPROTO_ICMPV6)
      return PASS;
    if (non_first_fragment)
      return DROP;
    return ports_pass(next, data + offset, end);
  }
  return DROP;  // not IP: icmp, udp and tcp are all 0
}

char LICENSE[] SEC("license") = "Apache-2.0";
