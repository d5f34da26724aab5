// Warm in-library compile (Filter -> BPF ELF object in memory), Google Benchmark: F1, a 100-term
// `||` chain and a 1,000-port set. Parsing is outside the timed loop: this is compile() alone,
// after a first compile in the process has paid LLVM's one-time set-up.
//   bpffw-bench-compile [--benchmark_repetitions=N ...]
#include <cstdio>
#include <cstdlib>
#include <string>

#include <benchmark/benchmark.h>

#include <bpffw/bpffw.hpp>

#include "bench_filters.hpp"

namespace {

bpffw::Filter parse_or_die(const std::string& text) {
  auto filter = bpffw::Filter::parse(text, {.max_depth = 100000});
  if (!filter) {
    std::fprintf(stderr, "bpffw-bench-compile: %s\n", filter.error().message.c_str());
    std::exit(3);
  }
  return *filter;
}

void compile_warm(benchmark::State& state, const std::string& text, bool counters) {
  bpffw::Filter filter = parse_or_die(text);
  bpffw::CompileOptions options;
  options.counters = counters;
  if (!bpffw::compile(filter, options)) state.SkipWithError("compile failed");  // warm-up, untimed
  for (auto _ : state) {
    auto object = bpffw::compile(filter, options);
    if (!object) {
      state.SkipWithError("compile failed");
      break;
    }
    benchmark::DoNotOptimize(object->bytes.data());
  }
}

}  // namespace

BENCHMARK_CAPTURE(compile_warm, F1, std::string(bpffw::bench::kF1), false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(compile_warm, F1_counters, std::string(bpffw::bench::kF1), true)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(compile_warm, chain100, bpffw::bench::port_chain(100), false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(compile_warm, set1000, bpffw::bench::port_set(1000), false)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
