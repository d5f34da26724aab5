// Compiling from several threads at once is safe: every thread gets the same object bytes as a
// compilation alone, with parameters, counters and metadata in it, and the objects load.
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "runtime/runtime_test_support.hpp"
#include "support/kernel_env.hpp"

namespace bpffw::test {
namespace {

TEST_CASE("eight threads compiling filters with parameters at once get the same objects as one") {
  const std::vector<std::string> texts = {"len <= mtu", "tcp && dst_port == port", "udp || len > mtu * 2",
                                          "icmp ? mtu : port % 7"};
  ParseOptions options;
  options.parameters = {{"mtu", 1500}, {"port", 443}};
  std::vector<Filter> filters;
  std::vector<std::vector<unsigned char>> alone;
  for (const std::string& text : texts) {
    filters.push_back(parse_or_fail(text, options));
    auto object = compile(filters.back());
    REQUIRE(object.has_value());
    alone.push_back(object->bytes);
  }

  constexpr int kThreads = 8;
  constexpr int kRounds = 10;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        std::size_t which = static_cast<std::size_t>(t + round) % filters.size();
        auto object = compile(filters[which]);  // the Filter is shared between threads
        if (!object || object->bytes != alone[which]) ++mismatches[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) CHECK_MESSAGE(mismatches[t] == 0, "thread " << t);

  require_root();
  for (const Filter& filter : filters) {
    Program program = load_or_fail(filter);
    auto metadata = read_metadata(program);
    REQUIRE(metadata.has_value());
    CHECK(metadata->expression == filter.source());
  }
}

}  // namespace
}  // namespace bpffw::test
