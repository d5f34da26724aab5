// SPDX-License-Identifier: Apache-2.0
//
// A1 = tcp && dst_port == 22 && src_addr in {192.0.2.0/24, 2001:db8::/32}, written by hand in C with
// direct packet access only, the way f1_direct.bpf.c writes F1: the same malformed checks and
// extension-header walk as bpffw (docs/filter-language.md §5), and it stops as soon as the verdict
// is known. bench/kernel_bench.cpp checks the verdicts agree before timing anything.
//
// Build: clang-19 -O2 -target bpf -I/usr/include/$(gcc -print-multiarch) -c a1_direct.bpf.c
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
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

// TCP to port 22 at `l4`, checked complete (a TCP header under 20 bytes makes the packet malformed).
static __always_inline int ssh(void *l4, void *end) {
  struct tcphdr *tcp = l4;
  // One register for the pointer checked and the pointer read: without this clang recomputes it
  // after the check, and the verifier refuses the read.
  asm volatile("" : "+r"(tcp));
  if ((void *)(tcp + 1) > end)
    return DROP;
  return tcp->dest == bpf_htons(22);
}

SEC("cgroup_skb/ingress")
int a1_direct(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data;
  void *end = (void *)(long)skb->data_end;

  if (skb->protocol == bpf_htons(ETHERTYPE_IPV4)) {
    struct iphdr *ip = data;
    if ((void *)(ip + 1) > end || ip->version != 4 || ip->ihl < 5)
      return DROP;
    __u32 header = ip->ihl * 4;
    if (header > skb->len)
      return DROP;
    if (ip->protocol != IPPROTO_TCP || (ip->frag_off & bpf_htons(0x1fff)))
      return DROP;
    if ((ip->saddr & bpf_htonl(0xffffff00)) != bpf_htonl(0xc0000200))  // 192.0.2.0/24
      return DROP;
    return ssh(data + header, end);
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
    if (next != IPPROTO_TCP || non_first_fragment)
      return DROP;
    if (ip6->saddr.in6_u.u6_addr32[0] != bpf_htonl(0x20010db8))  // 2001:db8::/32
      return DROP;
    return ssh(data + offset, end);
  }
  return DROP;  // not IP: tcp is 0
}

char LICENSE[] SEC("license") = "Apache-2.0";
