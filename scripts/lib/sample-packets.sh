# shellcheck shell=bash
# Sample packets for F1 = icmp || (udp && dst_port == 53) || (tcp && dst_port == 80), as Ethernet
# frames for BPF_PROG_TEST_RUN (`bpftool prog run ... data_in FILE`): the kernel takes skb->protocol
# from the ethertype and strips the 14-byte Ethernet header. Sourced by scripts/demo and bench/.
#
# SAMPLE_PACKETS lists "name expected-F1-verdict description"; sample_frame NAME writes the frame.

SAMPLE_PACKETS=(
  "ipv4-icmp pass IPv4 ICMP echo request"
  "ipv4-udp-53 pass IPv4 UDP to port 53, 3 payload bytes (the seed dropped it)"
  "ipv4-udp-123 drop IPv4 UDP to port 123"
  "ipv4-tcp-80 pass IPv4 TCP to port 80"
  "ipv4-tcp-443 drop IPv4 TCP to port 443"
  "ipv4-tcp-80-truncated drop IPv4 TCP to port 80, only 12 bytes of TCP header (malformed)"
  "ipv4-udp-53-later-fragment drop IPv4 non-first fragment whose payload looks like UDP port 53"
  "ipv4-ihl-4 drop IPv4 header with IHL 4 (malformed)"
  "ipv6-udp-53 pass IPv6 UDP to port 53"
  "ipv6-hop16-udp-53 pass IPv6 16-byte Hop-by-Hop header, then UDP to port 53"
  "ipv6-hop16-frag-udp-123 drop IPv6 Hop-by-Hop(16) + Fragment + UDP to port 123"
  "ipv6-udp-53-later-fragment drop IPv6 non-first fragment whose payload looks like UDP port 53"
  "ipv6-icmpv6 pass IPv6 ICMPv6 echo request"
  "ipv6-8-destopts-icmpv6 pass IPv6 with 8 extension headers, then ICMPv6"
  "ipv6-9-destopts-icmpv6 drop IPv6 with 9 extension headers, then ICMPv6 (malformed)"
  "arp drop ARP request (neither IPv4 nor IPv6)"
)

# Hex strings of the pieces; checksums are left 0 (cgroup_skb programs do not check them).
_eth() { printf '020000000002020000000001%s' "$1"; }
# _ipv4 PROTO L4HEX [FRAGFIELD] [VERSION_IHL]
_ipv4() {
  local total=$((20 + ${#2} / 2))
  printf '%s00%04x0000%s40%s00000a0000010a000002%s' "${4:-45}" "$total" "${3:-0000}" "$1" "$2"
}
# _ipv6 NEXTHEADER PAYLOADHEX
_ipv6() {
  printf '60000000%04x%s40%s%s%s' $((${#2} / 2)) "$1" \
    fd000000000000000000000000000001 fd000000000000000000000000000002 "$2"
}
_udp() { printf '3039%04x000b0000616263' "$1"; }                            # 8 + 3 bytes
_tcp() { printf '3039%04x000000000000000050020faf00000000' "$1"; }          # 20 bytes, SYN
_icmp() { printf '0800f7ff00000000'; }
_icmpv6() { printf '8000000000000000'; }
_hop8() { printf '%s00010400000000' "$1"; }                                # next, len 0, PadN
_hop16() { printf '%s01010c000000000000000000000000' "$1"; }               # next, len 1, PadN
_frag() { printf '%s00%s00000001' "$1" "$2"; }                               # next, offset field

_sample_hex() {
  local chain i
  case "$1" in
    ipv4-icmp) _eth 0800; _ipv4 01 "$(_icmp)" ;;
    ipv4-udp-53) _eth 0800; _ipv4 11 "$(_udp 53)" ;;
    ipv4-udp-123) _eth 0800; _ipv4 11 "$(_udp 123)" ;;
    ipv4-tcp-80) _eth 0800; _ipv4 06 "$(_tcp 80)" ;;
    ipv4-tcp-443) _eth 0800; _ipv4 06 "$(_tcp 443)" ;;
    ipv4-tcp-80-truncated) _eth 0800; _ipv4 06 "$(_tcp 80 | cut -c1-24)" ;;
    ipv4-udp-53-later-fragment) _eth 0800; _ipv4 11 "$(_udp 53)" 0001 ;;
    ipv4-ihl-4) _eth 0800; _ipv4 11 "$(_udp 53)" 0000 44 ;;
    ipv6-udp-53) _eth 86dd; _ipv6 11 "$(_udp 53)" ;;
    ipv6-hop16-udp-53) _eth 86dd; _ipv6 00 "$(_hop16 11)$(_udp 53)" ;;
    ipv6-hop16-frag-udp-123) _eth 86dd; _ipv6 00 "$(_hop16 2c)$(_frag 11 0000)$(_udp 123)" ;;
    ipv6-udp-53-later-fragment) _eth 86dd; _ipv6 2c "$(_frag 11 0008)$(_udp 53)" ;;
    ipv6-icmpv6) _eth 86dd; _ipv6 3a "$(_icmpv6)" ;;
    ipv6-8-destopts-icmpv6 | ipv6-9-destopts-icmpv6)
      local n=${1:5:1}
      chain=""
      for ((i = 1; i < n; i++)); do chain+=$(_hop8 3c); done
      chain+=$(_hop8 3a)
      _eth 86dd; _ipv6 3c "$chain$(_icmpv6)" ;;
    arp) _eth 0806; printf '0001080006040001020000000001%s%s%s' 0a000001 000000000000 0a000002 ;;
    *) echo "sample_frame: unknown packet '$1'" >&2; return 1 ;;
  esac
}

# sample_frame NAME: the frame as raw bytes on stdout.
sample_frame() {
  local hex
  hex=$(_sample_hex "$1") || return 1
  local i escaped=""
  for ((i = 0; i < ${#hex}; i += 2)); do escaped+="\\x${hex:i:2}"; done
  printf '%b' "$escaped"
}

# run_pinned PIN FRAMEFILE: the program's return value (0 or 1) via BPF_PROG_TEST_RUN.
run_pinned() {
  bpftool prog run pinned "$1" data_in "$2" | awk '/Return value:/ { sub(",", "", $3); print $3 }'
}
