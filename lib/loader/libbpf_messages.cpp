#include "loader/libbpf_messages.hpp"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <mutex>

#include <bpf/libbpf.h>

namespace bpffw::loader {

namespace {
std::mutex g_install_mutex;
int g_live_collectors = 0;  // guarded by g_install_mutex
std::atomic<libbpf_print_fn_t> g_previous{nullptr};
thread_local std::string* t_sink = nullptr;
}  // namespace

struct LibbpfRouter {
  static int print(enum libbpf_print_level level, const char* format, va_list args) {
    if (t_sink == nullptr) {
      // Not one of our loads (another thread, or other code using libbpf): keep the old behaviour.
      libbpf_print_fn_t previous = g_previous.load();
      return previous ? previous(level, format, args) : 0;
    }
    if (level == LIBBPF_DEBUG) return 0;
    char buffer[1024];
    va_list copy;
    va_copy(copy, args);
    int n = std::vsnprintf(buffer, sizeof buffer, format, copy);
    va_end(copy);
    if (n < 0) return n;
    if (static_cast<std::size_t>(n) < sizeof buffer) {
      t_sink->append(buffer, static_cast<std::size_t>(n));
    } else {
      std::string long_message(static_cast<std::size_t>(n) + 1, '\0');
      std::vsnprintf(long_message.data(), long_message.size(), format, args);
      long_message.pop_back();
      t_sink->append(long_message);
    }
    return n;
  }
};

LibbpfMessages::LibbpfMessages() {
  {
    std::lock_guard lock(g_install_mutex);
    if (g_live_collectors++ == 0) g_previous.store(libbpf_set_print(&LibbpfRouter::print));
  }
  outer_ = t_sink;
  t_sink = &text_;
}

LibbpfMessages::~LibbpfMessages() {
  t_sink = outer_;
  std::lock_guard lock(g_install_mutex);
  if (--g_live_collectors == 0) libbpf_set_print(g_previous.load());
}

std::string LibbpfMessages::summary() const {
  // libbpf reports a failure as a cascade ("prog 'x': BPF program load failed: ...", then
  // "failed to load object ..."): the first line that names a failure is the most specific.
  std::string first, first_failure;
  std::size_t start = 0;
  while (start < text_.size()) {
    std::size_t end = text_.find('\n', start);
    if (end == std::string::npos) end = text_.size();
    std::string line = text_.substr(start, end - start);
    start = end + 1;
    if (line.rfind("libbpf: ", 0) == 0) line.erase(0, 8);
    if (line.empty() || line.find("PROG LOAD LOG") != std::string::npos) continue;
    if (first.empty()) first = line;
    bool failure = line.find("fail") != std::string::npos || line.find("error") != std::string::npos ||
                   line.find("invalid") != std::string::npos;
    if (failure && first_failure.empty()) first_failure = line;
  }
  return first_failure.empty() ? first : first_failure;
}

}  // namespace bpffw::loader
