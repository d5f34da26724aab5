#include "bench_filters.hpp"

#include <cstdio>

namespace bpffw::bench {

std::string port_chain(int n) {
  std::string text;
  for (int i = 1; i <= n; ++i) {
    if (i > 1) text += " || ";
    text += "dst_port == " + std::to_string(i * 3);
  }
  return text;
}

std::string port_set(int n) {
  std::string text = "dst_port in {";
  for (int i = 1; i <= n; ++i) text += (i > 1 ? ", " : "") + std::to_string(i * 3);
  return text + "}";
}

namespace {
std::string hex(int value) {
  char text[16];
  std::snprintf(text, sizeof text, "%x", value);
  return text;
}
}  // namespace

std::string rule_list(int n) {
  std::string text;
  for (int i = 0; i < n; ++i) {
    const int port = 1 + i * 7919 % 65535;
    const std::string prefix =
        i % 2 == 0 ? "100." + std::to_string(i / 2 / 256 % 256) + "." + std::to_string(i / 2 % 256) + ".0/24"
                   : "2001:db8:" + hex(i / 2) + "::/48";
    text += (i > 0 ? " || (" : "(") + std::string(i % 3 == 0 ? "udp" : "tcp") +
            " && dst_port == " + std::to_string(port) + " && src_addr == " + prefix + ")";
  }
  return text;
}

}  // namespace bpffw::bench
