// Per-packet cost in the kernel, scale, and many filters in one process: prints rows of the
// table bench/run-all assembles ("| part | measurement | median | ratio / note |"). As root.
//   bpffw-bench-kernel packet CLANG_OBJECT [ROUNDS]  bpffw F1 (counters off / on) vs the
//                                                    clang-compiled reference vs a drop-all floor
//   bpffw-bench-kernel scale [ROUNDS]                10..10,000-term chains and sets vs one port
//   bpffw-bench-kernel many [N]                      N different filters compiled in one process
// ns per packet: BPF_PROG_TEST_RUN with repeat 100,000 on each packet of a fixed mix of 8 shapes
// (the kernel's average per run), averaged over the mix; every round runs every program once, in
// an order rotated per round (the machine is shared and noisy), and the median over rounds is
// reported, ratios taken per round.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <bpffw/bpffw.hpp>

#include "bench_filters.hpp"
#include "packet/packet_builder.hpp"
#include "random/random_filter.hpp"
#include "random/rng.hpp"

namespace {

using Frame = std::vector<unsigned char>;
using Clock = std::chrono::steady_clock;
constexpr std::uint32_t kRepeat = 100000;

[[noreturn]] void die(const std::string& what, const bpffw::Error& error) {
  std::fprintf(stderr, "bpffw-bench-kernel: %s: %s\n", what.c_str(), error.message.c_str());
  std::exit(3);
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// The fixed mix: IPv4 and IPv6, UDP/TCP/ICMP, hits and misses of F1, an extension-header walk.
std::vector<Frame> packet_mix() {
  using bpffw::packet::PacketBuilder;
  std::vector<Frame> mix;
  mix.push_back(PacketBuilder().ipv4().udp(40000, 53).payload(20).build().ethernet_frame());
  mix.push_back(PacketBuilder().ipv4().tcp(40000, 80).payload(20).build().ethernet_frame());
  mix.push_back(PacketBuilder().ipv4().tcp(40000, 443).payload(20).build().ethernet_frame());
  mix.push_back(PacketBuilder().ipv4().icmp().build().ethernet_frame());
  mix.push_back(PacketBuilder().ipv6().udp(40000, 53).payload(20).build().ethernet_frame());
  mix.push_back(PacketBuilder().ipv6().tcp(40000, 22).payload(20).build().ethernet_frame());
  mix.push_back(PacketBuilder().ipv6().hop_by_hop().fragment().udp(40000, 123).build().ethernet_frame());
  mix.push_back(PacketBuilder().ipv6().icmp().build().ethernet_frame());
  return mix;
}

struct Subject {
  std::string name;
  bpffw::Program program;
  bpffw::ProgramInfo info;
  std::vector<double> ns;  // per round: mean over the mix
};

Subject make_subject(std::string name, bpffw::Program program) {
  auto info = program.info();
  if (!info) die(name, info.error());
  return Subject{std::move(name), std::move(program), *info, {}};
}

bpffw::ObjectFile compile_or_die(const std::string& text, bool counters) {
  auto filter = bpffw::Filter::parse(text, {.max_depth = 100000});
  if (!filter) die("parse", filter.error());
  bpffw::CompileOptions options;
  options.counters = counters;
  auto object = bpffw::compile(*filter, options);
  if (!object) die("compile", object.error());
  return *object;
}

bpffw::Program load_or_die(const std::string& name, const bpffw::ObjectFile& object) {
  auto program = bpffw::Program::load(object);
  if (!program) die("load " + name, program.error());
  return std::move(*program);
}

double mix_ns(const bpffw::Program& program, const std::vector<Frame>& mix) {
  double sum = 0;
  for (const Frame& frame : mix) {
    auto run = program.test_run(frame, kRepeat);
    if (!run) die("test_run", run.error());
    sum += run->duration_ns;
  }
  return sum / static_cast<double>(mix.size());
}

void run_rounds(std::vector<Subject>& subjects, int rounds) {
  auto mix = packet_mix();
  for (int round = 0; round < rounds; ++round) {
    for (std::size_t k = 0; k < subjects.size(); ++k) {
      Subject& s = subjects[(k + static_cast<std::size_t>(round)) % subjects.size()];
      s.ns.push_back(mix_ns(s.program, mix));
    }
  }
}

// Median over rounds of (a - floor) / (b - floor).
double above_floor_ratio(const Subject& a, const Subject& b, const Subject& floor) {
  std::vector<double> r;
  for (std::size_t i = 0; i < a.ns.size(); ++i) r.push_back((a.ns[i] - floor.ns[i]) / (b.ns[i] - floor.ns[i]));
  return median(r);
}

void row(const char* part, const std::string& what, const std::string& value, const std::string& note) {
  std::printf("| %s | %s | %s | %s |\n", part, what.c_str(), value.c_str(), note.c_str());
}

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

int packet_mode(const std::string& clang_object_path, int rounds) {
  std::ifstream in(clang_object_path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "bpffw-bench-kernel: cannot read %s\n", clang_object_path.c_str());
    return 3;
  }
  bpffw::ObjectFile clang_object;
  clang_object.bytes.assign(std::istreambuf_iterator<char>(in), {});

  std::vector<Subject> s;
  s.push_back(make_subject("floor", load_or_die("floor", compile_or_die("0", false))));
  s.push_back(make_subject("F1", load_or_die("F1", compile_or_die(bpffw::bench::kF1, false))));
  s.push_back(make_subject("F1+counters", load_or_die("F1+counters", compile_or_die(bpffw::bench::kF1, true))));
  s.push_back(make_subject("clang", load_or_die("clang", clang_object)));

  // Same verdicts on the mix, or the timing means nothing.
  for (const Frame& frame : packet_mix()) {
    auto a = s[1].program.test_run(frame);
    auto b = s[3].program.test_run(frame);
    if (!a || !b || a->verdict != b->verdict) {
      std::fprintf(stderr, "bpffw-bench-kernel: bpffw's F1 and the clang-compiled C disagree on the mix\n");
      return 1;
    }
  }
  run_rounds(s, rounds);
  const Subject &floor = s[0], &f1 = s[1], &f1c = s[2], &clang = s[3];
  std::string n = std::to_string(rounds) + " rounds";
  row("c", "drop-all floor (bpffw `0`, counters off), ns/pkt", fmt("%.1f", median(floor.ns)), n);
  row("c", "clang -O2 reference C, ns/pkt above floor", fmt("%.1f", median(clang.ns) - median(floor.ns)),
      "total " + fmt("%.1f", median(clang.ns)));
  row("c", "bpffw F1 counters off, ns/pkt above floor", fmt("%.1f", median(f1.ns) - median(floor.ns)),
      "total " + fmt("%.1f", median(f1.ns)) + "; **" + fmt("%.2f", above_floor_ratio(f1, clang, floor)) +
          " x clang's** (target <= 0.8)");
  std::vector<double> counter_cost;
  for (int i = 0; i < rounds; ++i) counter_cost.push_back(f1c.ns[i] - f1.ns[i]);
  row("c", "bpffw F1 counters on, ns/pkt above floor", fmt("%.1f", median(f1c.ns) - median(floor.ns)),
      fmt("%.2f", above_floor_ratio(f1c, clang, floor)) + " x clang's; counters cost " +
          fmt("%.1f", median(counter_cost)) + " ns");
  for (const Subject* p : {&f1, &f1c, &clang, &floor}) {
    row("c", p->name + ": xlated / jited B, verified insns",
        std::to_string(p->info.xlated_bytes) + " / " + std::to_string(p->info.jited_bytes) + " / " +
            std::to_string(p->info.verified_instructions),
        p == &f1 ? "seed: 2,672 B xlated, 2,109 verified (target <= 1/2)" : "");
  }
  return 0;
}

int scale_mode(int rounds) {
  struct Built {
    std::string label;
    double first_ms = 0, warm_ms = 0, load_ms = 0;
  };
  std::vector<Built> built;
  std::vector<Subject> s;
  s.push_back(make_subject("floor", load_or_die("floor", compile_or_die("0", false))));
  compile_or_die("len > 0", false);  // pay LLVM's one-time set-up before timing
  auto add = [&](const std::string& label, const std::string& text) {
    auto filter = bpffw::Filter::parse(text, {.max_depth = 100000});
    if (!filter) die("parse " + label, filter.error());
    bpffw::CompileOptions options;
    options.counters = false;
    Built b{label};
    int warm = text.size() > 100000 ? 3 : 7;
    std::vector<double> times;
    bpffw::ObjectFile object;
    for (int i = 0; i < warm; ++i) {
      auto start = Clock::now();
      auto o = bpffw::compile(*filter, options);
      times.push_back(ms_since(start));
      if (!o) die("compile " + label, o.error());
      object = std::move(*o);
    }
    b.first_ms = times[0];
    b.warm_ms = median(times);
    auto start = Clock::now();
    auto program = load_or_die(label, object);
    b.load_ms = ms_since(start);
    built.push_back(b);
    s.push_back(make_subject(label, std::move(program)));
  };
  add("one port", "dst_port == 53");
  for (int n : {10, 100, 1000, 10000}) {
    add("chain " + std::to_string(n), bpffw::bench::port_chain(n));
    add("set " + std::to_string(n), bpffw::bench::port_set(n));
  }
  run_rounds(s, rounds);
  const Subject& floor = s[0];
  const Subject& one = s[1];
  for (std::size_t i = 0; i < built.size(); ++i) {
    const Subject& p = s[i + 1];
    std::vector<double> ratio;
    for (int r = 0; r < rounds; ++r) ratio.push_back(p.ns[r] / one.ns[r]);
    row("d", p.name + ": compile ms (warm median) / verified insns / ns/pkt",
        fmt("%.1f", built[i].warm_ms) + " / " + std::to_string(p.info.verified_instructions) + " / " +
            fmt("%.1f", median(p.ns)),
        fmt("%.2f", median(ratio)) + " x one port (above floor " + fmt("%.2f", above_floor_ratio(p, one, floor)) +
            "); first compile " + fmt("%.1f", built[i].first_ms) + " ms, load " + fmt("%.1f", built[i].load_ms) +
            " ms, xlated " + std::to_string(p.info.xlated_bytes) + " B");
  }
  return 0;
}

int many_mode(int n) {
  // Half F1 with different ports, half random filters of the differential tests: all different.
  bpffw::random::Rng rng(20261128);
  std::vector<std::string> texts;
  for (int i = 0; i < n; ++i) {
    if (i % 2) {
      texts.push_back(bpffw::random::random_filter(rng));
    } else {
      texts.push_back("icmp || (udp && dst_port == " + std::to_string(i) + ") || (tcp && dst_port == " +
                      std::to_string(i + 1) + ")");
    }
  }
  // Each thread parses and compiles the next filter not yet taken; compile() is thread-safe (one
  // LLVMContext per compilation, one TargetMachine per thread).
  auto compile_all = [&](unsigned threads, int& failures) {
    std::atomic<std::size_t> next{0};
    std::atomic<int> failed{0};
    auto work = [&] {
      for (std::size_t i = next++; i < texts.size(); i = next++) {
        auto filter = bpffw::Filter::parse(texts[i]);
        if (!filter || !bpffw::compile(*filter)) ++failed;
      }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (std::thread& thread : pool) thread.join();
    failures = failed;
  };
  const std::string what = "half F1 variants, half random; counters on (default); ";
  auto start = Clock::now();
  double cpu0 = cpu_seconds();
  int failures = 0;
  compile_all(1, failures);
  double wall = ms_since(start) / 1000;
  row("e", std::to_string(n) + " different filters parsed + compiled in one process, one thread, s",
      fmt("%.2f", wall),
      "cpu " + fmt("%.2f", cpu_seconds() - cpu0) + " s; " + what + std::to_string(failures) +
          " failures (target <= 1 s)");

  unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  int parallel_failures = 0;
  start = Clock::now();
  compile_all(cpus, parallel_failures);
  double parallel_wall = ms_since(start) / 1000;
  row("e", "the same, on " + std::to_string(cpus) + " threads (one per CPU), s", fmt("%.2f", parallel_wall),
      fmt("%.2f", wall / parallel_wall) + " x the one-thread speed; " + std::to_string(parallel_failures) +
          " failures");
  return failures || parallel_failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "packet" && argc > 2) return packet_mode(argv[2], argc > 3 ? std::atoi(argv[3]) : 21);
  if (mode == "scale") return scale_mode(argc > 2 ? std::atoi(argv[2]) : 11);
  if (mode == "many") return many_mode(argc > 2 ? std::atoi(argv[2]) : 1000);
  std::fprintf(stderr, "usage: bpffw-bench-kernel packet CLANG_OBJECT [ROUNDS] | scale [ROUNDS] | many [N]\n");
  return 2;
}
