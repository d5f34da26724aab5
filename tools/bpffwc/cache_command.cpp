// bpffwc cache (show | clear): the compile cache's entries, or none of them (cached_objects.hpp).
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string>

#include <bpffw/compile_cache.hpp>

#include "cached_objects.hpp"
#include "command.hpp"
#include "diagnostics.hpp"

namespace bpffwc {
namespace {

std::string local_time(std::int64_t seconds) {
  std::time_t time = seconds;
  std::tm parts{};
  char text[32];
  if (::localtime_r(&time, &parts) == nullptr || std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &parts) == 0)
    return std::to_string(seconds);
  return text;
}

class CacheCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("ACTION", action_, "show: the entries, least recently used first; clear: remove them all")
        ->type_name("show|clear")
        ->check(CLI::IsMember({"show", "clear"}))
        ->required();
  }

  int run() override {
    auto cache = bpffw::CompileCache::open(compile_cache_options());
    if (!cache) return report(cache.error());
    if (action_ == "clear") {
      auto removed = cache->clear();
      if (!removed) return report(removed.error());
      std::printf("removed %zu entries from %s\n", *removed, cache->options().directory.c_str());
      return kExitSuccess;
    }
    auto entries = cache->entries();
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.last_used_ns < b.last_used_ns; });
    std::uint64_t total = 0;
    for (const bpffw::CompileCacheEntry& entry : entries) total += entry.bytes;
    std::printf("%s: %zu entries, %llu of at most %llu bytes\n", cache->options().directory.c_str(), entries.size(),
                static_cast<unsigned long long>(total), static_cast<unsigned long long>(cache->options().max_bytes));
    for (const bpffw::CompileCacheEntry& entry : entries)
      std::printf("  %s  %8llu bytes  used %s  %s\n", entry.file.c_str(), static_cast<unsigned long long>(entry.bytes),
                  local_time(entry.last_used_ns / 1'000'000'000).c_str(), entry.expression.c_str());
    return kExitSuccess;
  }

 private:
  std::string action_;
};

}  // namespace

std::unique_ptr<Command> make_cache_command() { return std::make_unique<CacheCommand>(); }

}  // namespace bpffwc
