// SPDX-License-Identifier: Apache-2.0
//
// F1 = icmp || (udp && dst_port == 53) || (tcp && dst_port == 80), written by hand in C.
//
// The competitor in bench/compile-vs-clang.sh: the same filter, the same packet semantics as
// bpffw (docs/filter-language.md §5), compiled the classic way with clang -O2 -target bpf and
// loaded with bpftool. It is meant to be a fair opponent, not a strawman: it reads headers with
// bpf_skb_load_bytes (so headers outside the linear data are read, as the spec demands), reads
// only the bytes it needs, and stops as soon as the verdict is known.
//
// Build: clang-19 -O2 -target bpf -I/usr/include/$(gcc -print-multiarch) -c f1.bpf.c -o f1.bpf.o
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86DD

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMPV6 58

#define IPV6_HOP_BY_HOP 0
#define IPV6_ROUTING 43
#define IPV6_FRAGMENT 44
#define IPV6_AUTH 51
#define IPV6_DEST_OPTS 60
#define MAX_EXTENSION_HEADERS 8

#define PASS 1
#define DROP 0

// What the filter needs from a packet: the transport protocol, where its header starts, and
// whether this is a non-first fragment (then there are no ports to read).
struct transport {
  __u8 protocol;
  __u8 non_first_fragment;
  __u32 offset;
};

// IPv4: version 4, IHL >= 5 and IHL * 4 bytes present. Returns 0, or -1 when malformed.
static __always_inline int parse_ipv4(struct __sk_buff *skb, struct transport *t) {
  __u8 h[20];
  if (skb->len < sizeof(h) || bpf_skb_load_bytes(skb, 0, h, sizeof(h)))
    return -1;
  __u32 ihl = h[0] & 0x0f;
  if ((h[0] >> 4) != 4 || ihl < 5 || ihl * 4 > skb->len)
    return -1;
  t->protocol = h[9];
  t->non_first_fragment = ((h[6] & 0x1f) | h[7]) != 0;  // the 13-bit fragment offset
  t->offset = ihl * 4;
  return 0;
}

// IPv6: 40 bytes, version 6, then at most 8 extension headers. Returns 0, or -1 when malformed.
static __always_inline int parse_ipv6(struct __sk_buff *skb, struct transport *t) {
  __u8 h[8];
  if (skb->len < 40 || bpf_skb_load_bytes(skb, 0, h, sizeof(h)) || (h[0] >> 4) != 6)
    return -1;
  __u8 next = h[6];
  __u32 offset = 40;
  t->non_first_fragment = 0;
#pragma unroll
  for (int i = 0; i < MAX_EXTENSION_HEADERS; i++) {
    __u32 size;
    if (next == IPV6_HOP_BY_HOP || next == IPV6_ROUTING || next == IPV6_DEST_OPTS) {
      if (bpf_skb_load_bytes(skb, offset, h, 2))
        return -1;
      size = ((__u32)h[1] + 1) * 8;
    } else if (next == IPV6_FRAGMENT) {
      if (bpf_skb_load_bytes(skb, offset, h, 8))
        return -1;
      size = 8;
      if (((h[2] << 8) | (h[3] & 0xf8)) != 0)  // the 13-bit fragment offset
        t->non_first_fragment = 1;
    } else if (next == IPV6_AUTH) {
      if (bpf_skb_load_bytes(skb, offset, h, 2))
        return -1;
      size = ((__u32)h[1] + 2) * 4;
    } else {
      t->protocol = next;
      t->offset = offset;
      return 0;
    }
    if (offset + size > skb->len)  // an extension header runs past the end of the packet
      return -1;
    next = h[0];
    offset += size;
  }
  // Eight headers followed; a ninth extension header makes the packet malformed.
  if (next == IPV6_HOP_BY_HOP || next == IPV6_ROUTING || next == IPV6_DEST_OPTS ||
      next == IPV6_FRAGMENT || next == IPV6_AUTH)
    return -1;
  t->protocol = next;
  t->offset = offset;
  return 0;
}

// The destination port of a complete TCP (20 bytes) or UDP (8 bytes) header; -1 when truncated.
static __always_inline int read_dst_port(struct __sk_buff *skb, const struct transport *t,
                                         __u32 min_header) {
  __be16 port;
  if (t->offset + min_header > skb->len || bpf_skb_load_bytes(skb, t->offset + 2, &port, 2))
    return -1;
  return bpf_ntohs(port);
}

SEC("cgroup_skb/ingress")
int f1_reference(struct __sk_buff *skb) {
  struct transport t = {};
  __u8 icmp_protocol;
  if (skb->protocol == bpf_htons(ETHERTYPE_IPV4)) {
    if (parse_ipv4(skb, &t))
      return DROP;
    icmp_protocol = PROTO_ICMP;
  } else if (skb->protocol == bpf_htons(ETHERTYPE_IPV6)) {
    if (parse_ipv6(skb, &t))
      return DROP;
    icmp_protocol = PROTO_ICMPV6;
  } else {
    return DROP;  // not IP: icmp, udp and tcp are all 0
  }

  if (t.protocol == icmp_protocol)
    return PASS;
  if (t.protocol == PROTO_UDP) {
    if (t.non_first_fragment)  // dst_port is 0
      return DROP;
    return read_dst_port(skb, &t, 8) == 53 ? PASS : DROP;
  }
  if (t.protocol == PROTO_TCP) {
    if (t.non_first_fragment)
      return DROP;
    return read_dst_port(skb, &t, 20) == 80 ? PASS : DROP;
  }
  return DROP;
}

char LICENSE[] SEC("license") = "Apache-2.0";
