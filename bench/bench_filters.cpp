#include "bench_filters.hpp"

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

}  // namespace bpffw::bench
