// Per-packet cost in the kernel, scale, and many filters in one process: prints rows of the
// table bench/run-all assembles ("| part | measurement | median | ratio / note |"). As root.
//   bpffw-bench-kernel packet HELPER_C DIRECT_C [ROUNDS [BEFORE_PIN]]
//                                                    bpffw F1 (counters off / on) per packet shape vs
//                                                    two clang-compiled C references (helper reads,
//                                                    direct packet access) vs a drop-all floor
//   bpffw-bench-kernel address DIRECT_C [ROUNDS]     the address-and-port filter A1 per packet shape
//                                                    vs the same in C with direct packet access
//   bpffw-bench-kernel scale [ROUNDS]                10..10,000-term chains and sets vs one port
//   bpffw-bench-kernel many [N]                      N different filters compiled in one process, and the floors of one
//   compile bpffw-bench-kernel rules [ROUNDS]                rule lists of 10..50,000 terms as a classifier
//                                                    (§7.4), and as the chain of tests before it
//   bpffw-bench-kernel rules-text N                  the N-term rule list, for bpffwc -f
//   bpffw-bench-kernel sets [ROUNDS]                 `src_addr in s` with 2 and 10^6 addresses, hit
//                                                    and miss, vs the same test inline
//   bpffw-bench-kernel blocklist [ROUNDS] [--rows]   `src_addr in s` with 10^5 and 10^6 prefixes
//                                                    shaped like a blocklist (/8../128, mostly /32
//                                                    and /24), 256 IPv4 and 256 IPv6 sources (1 in
//                                                    10 a hit), vs one prefix inline; --rows: rows
//                                                    of bench/run-all's table (part l)
//   bpffw-bench-kernel verifier [BEFORE_OBJECT]      F1's (and A1's) xlated size and verifier-processed
//                                                    instructions on this kernel (run in each
//                                                    kernel of the matrix by bench/run-all)
// ns per packet: BPF_PROG_TEST_RUN with repeat 100,000 on each packet of a fixed set of shapes
// (the kernel's average per run), per shape and averaged over them; every round runs every program once, in
// an order rotated per round (the machine is shared and noisy), and the median over rounds is
// reported, ratios taken per round.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <llvm/AsmParser/Parser.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/SourceMgr.h>
#include <sys/utsname.h>

#include <bpffw/bpffw.hpp>

#include "bench_filters.hpp"
#include "codegen/emit.hpp"
#include "codegen/runtime_spec.hpp"
#include "codegen/target.hpp"
#include "packet/packet_builder.hpp"
#include "parser/filter_access.hpp"
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

// The packet shapes: the common ones (IPv4 and IPv6 with TCP, UDP, ICMP), then extension headers;
// hits and misses of F1. The mix of the per-packet rows is all of them, equally weighted.
struct Shape {
  const char* name;
  Frame frame;
  bool extension_headers;
};

std::vector<Shape> shapes() {
  using bpffw::packet::PacketBuilder;
  return {
      {"ipv4 tcp 80", PacketBuilder().ipv4().tcp(40000, 80).payload(20).build().ethernet_frame(), false},
      {"ipv4 tcp 443", PacketBuilder().ipv4().tcp(40000, 443).payload(20).build().ethernet_frame(), false},
      {"ipv4 udp 53", PacketBuilder().ipv4().udp(40000, 53).payload(20).build().ethernet_frame(), false},
      {"ipv4 icmp", PacketBuilder().ipv4().icmp().build().ethernet_frame(), false},
      {"ipv6 tcp 22", PacketBuilder().ipv6().tcp(40000, 22).payload(20).build().ethernet_frame(), false},
      {"ipv6 udp 53", PacketBuilder().ipv6().udp(40000, 53).payload(20).build().ethernet_frame(), false},
      {"ipv6 icmpv6", PacketBuilder().ipv6().icmp().build().ethernet_frame(), false},
      {"ipv6 hbh udp 53", PacketBuilder().ipv6().hop_by_hop().udp(40000, 53).build().ethernet_frame(), true},
      {"ipv6 hbh frag udp 123", PacketBuilder().ipv6().hop_by_hop().fragment().udp(40000, 123).build().ethernet_frame(),
       true},
  };
}

std::vector<Frame> packet_mix() {
  std::vector<Frame> mix;
  for (const Shape& shape : shapes()) mix.push_back(shape.frame);
  return mix;
}

struct Subject {
  std::string name;
  bpffw::Program program;
  bpffw::ProgramInfo info;
  std::vector<double> ns;                     // per round: mean over the mix
  std::vector<std::vector<double>> shape_ns;  // per shape, per round
};

Subject make_subject(std::string name, bpffw::Program program) {
  auto info = program.info();
  if (!info) die(name, info.error());
  return Subject{std::move(name), std::move(program), *info, {}, {}};
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

bpffw::ObjectFile read_object(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "bpffw-bench-kernel: cannot read %s\n", path.c_str());
    std::exit(3);
  }
  bpffw::ObjectFile object;
  object.bytes.assign(std::istreambuf_iterator<char>(in), {});
  return object;
}

// Timed here rather than by the kernel, which reports whole nanoseconds per run: the differences
// measured are a few ns. The syscall's own cost, spread over kRepeat runs, is ~0.01 ns.
double run_ns(const bpffw::Program& program, const Frame& frame, std::uint32_t repeat = kRepeat) {
  auto start = Clock::now();
  auto run = program.test_run(frame, repeat);
  double elapsed_ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
  if (!run) die("test_run", run.error());
  return elapsed_ns / repeat;
}

double mix_ns(const bpffw::Program& program, const std::vector<Frame>& mix) {
  double sum = 0;
  for (const Frame& frame : mix) sum += run_ns(program, frame);
  return sum / static_cast<double>(mix.size());
}

void run_rounds(std::vector<Subject>& subjects, int rounds, const std::vector<Frame>& mix = packet_mix()) {
  for (int round = 0; round < rounds; ++round) {
    for (std::size_t k = 0; k < subjects.size(); ++k) {
      Subject& s = subjects[(k + static_cast<std::size_t>(round)) % subjects.size()];
      s.ns.push_back(mix_ns(s.program, mix));
    }
  }
}

// Every subject on every shape, `rounds` times. The subjects run back to back on one shape (in an
// order rotated per round and shape), so that the ones compared share the machine's state of
// that moment: on a shared machine, speed drifts by more than the differences measured.
void run_shape_rounds(std::vector<Subject>& subjects, const std::vector<Shape>& shapes, int rounds,
                      std::uint32_t repeat = kRepeat) {
  for (Subject& s : subjects) s.shape_ns.assign(shapes.size(), {});
  for (int round = 0; round < rounds; ++round) {
    for (std::size_t i = 0; i < shapes.size(); ++i) {
      for (std::size_t k = 0; k < subjects.size(); ++k) {
        Subject& s = subjects[(k + i + static_cast<std::size_t>(round)) % subjects.size()];
        s.shape_ns[i].push_back(run_ns(s.program, shapes[i].frame, repeat));
      }
    }
    for (Subject& s : subjects) {
      double sum = 0;
      for (std::size_t i = 0; i < shapes.size(); ++i) sum += s.shape_ns[i].back();
      s.ns.push_back(sum / static_cast<double>(shapes.size()));
    }
  }
}

// Median over rounds of (a - floor) / (b - floor).
double above_floor_ratio(const std::vector<double>& a, const std::vector<double>& b, const std::vector<double>& floor) {
  std::vector<double> r;
  for (std::size_t i = 0; i < a.size(); ++i) r.push_back((a[i] - floor[i]) / (b[i] - floor[i]));
  return median(r);
}
double above_floor_ratio(const Subject& a, const Subject& b, const Subject& floor) {
  return above_floor_ratio(a.ns, b.ns, floor.ns);
}

void row(const char* part, const std::string& what, const std::string& value, const std::string& note) {
  std::printf("| %s | %s | %s | %s |\n", part, what.c_str(), value.c_str(), note.c_str());
}

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// Whether every subject after the floor (s[0]) gives s[1]'s verdict on every shape: if not, the
// timing means nothing.
bool verdicts_agree(const std::vector<Subject>& s, const std::vector<Shape>& shapes) {
  for (const Shape& shape : shapes) {
    auto expected = s[1].program.test_run(shape.frame);
    if (!expected) die("test_run", expected.error());
    for (std::size_t i = 2; i < s.size(); ++i) {
      auto other = s[i].program.test_run(shape.frame);
      if (!other || other->verdict != expected->verdict) {
        std::fprintf(stderr, "bpffw-bench-kernel: bpffw's %s and %s disagree on %s\n", s[1].name.c_str(),
                     s[i].name.c_str(), shape.name);
        return false;
      }
    }
  }
  return true;
}

// packet HELPER_C DIRECT_C ROUNDS [BEFORE_PIN]: bpffw's F1 against the two C references (one
// reading with bpf_skb_load_bytes, one with direct packet access only) and a drop-all floor, per
// packet shape; BEFORE_PIN, when given, is F1 pinned by another bpffwc build (counters off).
int packet_mode(const std::string& helper_c_path, const std::string& direct_c_path, int rounds,
                const std::string& before_pin) {
  std::vector<Subject> s;
  s.push_back(make_subject("floor", load_or_die("floor", compile_or_die("0", false))));
  s.push_back(make_subject("F1", load_or_die("F1", compile_or_die(bpffw::bench::kF1, false))));
  s.push_back(make_subject("F1+counters", load_or_die("F1+counters", compile_or_die(bpffw::bench::kF1, true))));
  s.push_back(make_subject("helper C", load_or_die("helper C", read_object(helper_c_path))));
  s.push_back(make_subject("direct C", load_or_die("direct C", read_object(direct_c_path))));
  if (!before_pin.empty()) {
    auto before = bpffw::Program::open_pinned(before_pin);
    if (!before) die("open " + before_pin, before.error());
    s.push_back(make_subject("before", std::move(*before)));
  }
  const std::vector<Shape> all = shapes();
  if (!verdicts_agree(s, all)) return 1;
  run_shape_rounds(s, all, rounds);
  const Subject &floor = s[0], &f1 = s[1], &f1c = s[2], &helper = s[3], &direct = s[4];
  const Subject* before = s.size() > 5 ? &s[5] : nullptr;
  std::string n = std::to_string(rounds) + " rounds";
  row("c", "drop-all floor (bpffw `0`, counters off), ns/pkt, mix of " + std::to_string(all.size()) + " shapes",
      fmt("%.1f", median(floor.ns)), n);
  for (std::size_t i = 0; i < all.size(); ++i) {
    auto above = [&](const Subject& x) { return fmt("%.2f", median(x.shape_ns[i]) - median(floor.shape_ns[i])); };
    double vs_direct = above_floor_ratio(f1.shape_ns[i], direct.shape_ns[i], floor.shape_ns[i]);
    double vs_helper = above_floor_ratio(f1.shape_ns[i], helper.shape_ns[i], floor.shape_ns[i]);
    std::string note = "**" + fmt("%.2f", vs_direct) +
                       " x direct C** (target <= " + (all[i].extension_headers ? "1.5" : "1.0") + "), " +
                       fmt("%.2f", vs_helper) + " x helper C";
    if (before)
      note += ", before " + above(*before) + " (" +
              fmt("%.2f", above_floor_ratio(before->shape_ns[i], direct.shape_ns[i], floor.shape_ns[i])) +
              " x direct C)";
    row("c", std::string(all[i].name) + ": ns/pkt above floor, bpffw F1 / direct C / helper C",
        above(f1) + " / " + above(direct) + " / " + above(helper), note);
  }
  row("c", "bpffw F1 counters off, mix, ns/pkt above floor", fmt("%.1f", median(f1.ns) - median(floor.ns)),
      fmt("%.2f", above_floor_ratio(f1, direct, floor)) + " x direct C, " +
          fmt("%.2f", above_floor_ratio(f1, helper, floor)) + " x helper C (total " + fmt("%.1f", median(f1.ns)) + ")");
  std::vector<double> counter_cost;
  for (int i = 0; i < rounds; ++i) counter_cost.push_back(f1c.ns[i] - f1.ns[i]);
  row("c", "bpffw F1 counters on, mix, ns/pkt above floor", fmt("%.1f", median(f1c.ns) - median(floor.ns)),
      "counters cost " + fmt("%.1f", median(counter_cost)) + " ns");
  for (const Subject* p : {&f1, &f1c, &helper, &direct, &floor, before}) {
    if (p == nullptr) continue;
    auto verified = p->info.verified_instructions;
    row("c", p->name + ": xlated / jited B, verified insns",
        std::to_string(p->info.xlated_bytes) + " / " + std::to_string(p->info.jited_bytes) + " / " +
            (verified ? std::to_string(*verified) : "not reported"),
        "on this kernel");
  }
  return 0;
}

// The shapes of the address-and-port filter A1: SSH from inside and from just outside each
// prefix, both families (one IPv6 behind an extension header), and a packet that is not TCP.
std::vector<Shape> address_shapes() {
  using bpffw::packet::PacketBuilder;
  auto v4 = [](std::uint8_t third, std::uint8_t fourth) {
    bpffw::packet::Ipv4Fields fields;
    fields.src = {192, 0, third, fourth};
    return fields;
  };
  auto v6 = [](std::uint8_t second_low) {
    bpffw::packet::Ipv6Fields fields;
    fields.src = {0x20, 0x01, 0x0d, second_low, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};
    return fields;
  };
  return {
      {"ipv4 tcp 22 from 192.0.2.7", PacketBuilder().ipv4(v4(2, 7)).tcp(40000, 22).build().ethernet_frame(), false},
      {"ipv4 tcp 22 from 192.0.3.0", PacketBuilder().ipv4(v4(3, 0)).tcp(40000, 22).build().ethernet_frame(), false},
      {"ipv4 udp 22 from 192.0.2.7", PacketBuilder().ipv4(v4(2, 7)).udp(40000, 22).build().ethernet_frame(), false},
      {"ipv6 tcp 22 from 2001:db8::7", PacketBuilder().ipv6(v6(0xb8)).tcp(40000, 22).build().ethernet_frame(), false},
      {"ipv6 tcp 22 from 2001:db9::7", PacketBuilder().ipv6(v6(0xb9)).tcp(40000, 22).build().ethernet_frame(), false},
      {"ipv6 hbh tcp 22 from 2001:db8::7",
       PacketBuilder().ipv6(v6(0xb8)).hop_by_hop().tcp(40000, 22).build().ethernet_frame(), true},
  };
}

// address DIRECT_C ROUNDS: bpffw's A1 (counters off) against the same filter written in C with
// direct packet access, and a drop-all floor, per shape of address_shapes().
int address_mode(const std::string& direct_c_path, int rounds) {
  std::vector<Subject> s;
  s.push_back(make_subject("floor", load_or_die("floor", compile_or_die("0", false))));
  s.push_back(make_subject("A1", load_or_die("A1", compile_or_die(bpffw::bench::kA1, false))));
  s.push_back(make_subject("A1 direct C", load_or_die("A1 direct C", read_object(direct_c_path))));
  const std::vector<Shape> all = address_shapes();
  if (!verdicts_agree(s, all)) return 1;
  run_shape_rounds(s, all, rounds);
  const Subject &floor = s[0], &a1 = s[1], &direct = s[2];
  for (std::size_t i = 0; i < all.size(); ++i) {
    auto above = [&](const Subject& x) { return fmt("%.2f", median(x.shape_ns[i]) - median(floor.shape_ns[i])); };
    row("c", std::string(all[i].name) + ": ns/pkt above floor, bpffw A1 / direct C", above(a1) + " / " + above(direct),
        "**" + fmt("%.2f", above_floor_ratio(a1.shape_ns[i], direct.shape_ns[i], floor.shape_ns[i])) + " x direct C**");
  }
  row("c", "bpffw A1 counters off, mix, ns/pkt above floor", fmt("%.1f", median(a1.ns) - median(floor.ns)),
      fmt("%.2f", above_floor_ratio(a1, direct, floor)) + " x direct C, " + std::to_string(rounds) + " rounds");
  for (const Subject* p : {&a1, &direct}) {
    auto verified = p->info.verified_instructions;
    row("c", p->name + ": xlated / jited B, verified insns",
        std::to_string(p->info.xlated_bytes) + " / " + std::to_string(p->info.jited_bytes) + " / " +
            (verified ? std::to_string(*verified) : "not reported"),
        "on this kernel");
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
        fmt("%.1f", built[i].warm_ms) + " / " + std::to_string(p.info.verified_instructions.value_or(0)) + " / " +
            fmt("%.1f", median(p.ns)),
        fmt("%.2f", median(ratio)) + " x one port (above floor " + fmt("%.2f", above_floor_ratio(p, one, floor)) +
            "); first compile " + fmt("%.1f", built[i].first_ms) + " ms, load " + fmt("%.1f", built[i].load_ms) +
            " ms, xlated " + std::to_string(p.info.xlated_bytes) + " B");
  }
  return 0;
}

// Packets for the rule lists of bench_filters.hpp: one meeting term 0 (IPv4 UDP) and one term 1 (IPv6
// TCP), which every size has, and misses of each family and protocol; plus ICMP, which no term tests.
std::vector<Frame> rule_list_mix() {
  using bpffw::packet::PacketBuilder;
  bpffw::packet::Ipv4Fields v4;
  v4.src = {100, 0, 0, 9};
  bpffw::packet::Ipv6Fields v6;
  v6.src = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
  return {PacketBuilder().ipv4(v4).udp(40000, 1).build().ethernet_frame(),
          PacketBuilder().ipv6(v6).tcp(40000, 7920).build().ethernet_frame(),
          PacketBuilder().ipv4(v4).tcp(40000, 1).build().ethernet_frame(),
          PacketBuilder().ipv6(v6).udp(40000, 7920).build().ethernet_frame(),
          PacketBuilder().ipv4().tcp(40000, 443).build().ethernet_frame(),
          PacketBuilder().ipv4().icmp().build().ethernet_frame()};
}

// rules [ROUNDS]: rule lists of 10 to 50,000 terms (docs/filter-language.md §7.4) as bpffw compiles
// them, a classifier, and, for the sizes whose chain loads, as the chain of tests it compiled
// before (the same compile without the rule lists' plan): compile, load, verifier-processed
// instructions and ns per packet, against the 10-term list and a drop-all floor.
int rules_mode(int rounds) {
  struct Built {
    double compile_ms = 0, load_ms = 0;
    std::size_t keys = 0;
  };
  std::vector<Built> built;
  std::vector<Subject> s;
  s.push_back(make_subject("floor", load_or_die("floor", compile_or_die("0", false))));
  compile_or_die("len > 0", false);  // pay LLVM's one-time set-up before timing
  const std::string longest = bpffw::bench::rule_list(bpffw::bench::kRuleListMost);
  auto add = [&](int terms, bool classifier) -> bool {
    const std::string label = std::string(classifier ? "rules " : "chain (before) ") + std::to_string(terms);
    std::string text = bpffw::bench::rule_list(terms);
    auto filter = bpffw::Filter::parse(text, {.max_depth = 100000});
    if (!filter) die("parse " + label, filter.error());
    bpffw::CompileOptions options;
    options.counters = false;
    Built b;
    std::vector<double> times;
    bpffw::Result<bpffw::ObjectFile> object = tl::unexpected(bpffw::Error{});
    for (int i = 0; i < 3; ++i) {
      auto start = Clock::now();
      bpffw::codegen::RuntimeSpec spec = bpffw::codegen::runtime_spec_for(*filter, options);
      if (!classifier) spec.rules = {};
      object = bpffw::codegen::compile_expression(bpffw::detail::FilterAccess::root(*filter), options, spec);
      times.push_back(ms_since(start));
      if (!object) break;
    }
    if (!object) {
      row("r", label + ": compile ms / load ms / verified insns / ns/pkt", "refused",
          "before loading: " + object.error().message);
      return false;
    }
    b.compile_ms = median(times);
    b.keys = object->rule_keys.size() / std::max<std::size_t>(1, object->rule_key_size);
    auto start = Clock::now();
    auto program = bpffw::Program::load(*object);
    b.load_ms = ms_since(start);
    if (!program) {
      row("r", label + ": compile ms / load ms / verified insns / ns/pkt", "refused",
          "by this kernel's verifier after " + fmt("%.0f", b.load_ms) + " ms: " + program.error().message);
      return false;
    }
    built.push_back(b);
    s.push_back(make_subject(label, std::move(*program)));
    return true;
  };
  for (int terms : {10, 100, 1000, 10000, bpffw::bench::kRuleListMost}) add(terms, true);
  for (int terms : {100, 1000, 3000, 10000})
    if (!add(terms, false)) break;
  run_rounds(s, rounds, rule_list_mix());
  const Subject& floor = s[0];
  const Subject& ten = s[1];
  for (std::size_t i = 0; i < built.size(); ++i) {
    const Subject& p = s[i + 1];
    std::vector<double> ratio;
    for (int r = 0; r < rounds; ++r) ratio.push_back(p.ns[r] / ten.ns[r]);
    row("r", p.name + ": compile ms / load ms / verified insns / ns/pkt",
        fmt("%.1f", built[i].compile_ms) + " / " + fmt("%.1f", built[i].load_ms) + " / " +
            std::to_string(p.info.verified_instructions.value_or(0)) + " / " + fmt("%.1f", median(p.ns)),
        fmt("%.2f", median(ratio)) + " x rules 10 (above floor " + fmt("%.2f", above_floor_ratio(p, ten, floor)) +
            "); " + std::to_string(built[i].keys) + " keys, xlated " + std::to_string(p.info.xlated_bytes) + " B");
  }
  return 0;
}

// rules-text N: the rule list of N terms that `rules` measures, for bpffwc -f.
int rules_text_mode(int terms) {
  std::printf("%s\n", bpffw::bench::rule_list(terms).c_str());
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
      texts.push_back("icmp || (udp && dst_port == " + std::to_string(i) +
                      ") || (tcp && dst_port == " + std::to_string(i + 1) + ")");
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
  row("e", std::to_string(n) + " different filters parsed + compiled in one process, one thread, s", fmt("%.2f", wall),
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

  // The floors of one compile in this design, on the smallest filter: the whole compile (parse,
  // IR, IR passes, LLVM's BPF backend), and the backend alone on its IR (parsed into a fresh
  // context each time, untimed), the same pipeline compile() runs.
  const char* smallest = "tcp";
  auto parsed = bpffw::Filter::parse(smallest);
  if (!parsed) return 1;
  auto ir = bpffw::emit_llvm_ir(*parsed);
  if (!ir) return 1;
  start = Clock::now();
  for (int i = 0; i < n; ++i) {
    auto filter = bpffw::Filter::parse(smallest);
    if (!filter || !bpffw::compile(*filter)) return 1;
  }
  double smallest_wall = ms_since(start) / 1000;
  row("e", "floor: `" + std::string(smallest) + "` compiled " + std::to_string(n) + " times, one thread, s",
      fmt("%.2f", smallest_wall), "the fixed cost of a compile: " + fmt("%.2f", 1000 * smallest_wall / n) + " ms");
  double backend_s = 0;
  for (int i = 0; i < n; ++i) {
    llvm::LLVMContext context;
    llvm::SMDiagnostic problem;
    std::unique_ptr<llvm::Module> module = llvm::parseAssemblyString(*ir, problem, context);
    std::vector<unsigned char> bytes;
    start = Clock::now();
    if (!module || !bpffw::codegen::emit_object_file(2, *module, bytes)) return 1;
    backend_s += ms_since(start) / 1000;
  }
  row("e",
      "floor: LLVM's BPF backend alone on `" + std::string(smallest) + "`'s IR, " + std::to_string(n) + " times, s",
      fmt("%.2f", backend_s),
      fmt("%.2f", 1000 * backend_s / n) + " ms each, " + fmt("%.0f", 100 * backend_s / smallest_wall) +
          " % of the whole compile");
  return failures || parallel_failures ? 1 : 0;
}

// The verifier's own account of a load: with log level 4 (BPF_LOG_STATS) it prints "processed N
// insns ..." even on kernels whose bpf_prog_info has no verified_insns (before 5.16); level 1
// adds why it refused, and every instruction it walks: 16 MiB holds a rule list's.
struct VerifierStats {
  bool loaded = false;
  std::uint32_t xlated_bytes = 0;
  std::string processed;  // N, or the reason it did not load
};

VerifierStats verifier_stats(const bpffw::ObjectFile& object) {
  VerifierStats stats;
  libbpf_set_print(nullptr);
  bpf_object* handle = bpf_object__open_mem(object.bytes.data(), object.bytes.size(), nullptr);
  if (handle == nullptr) return {false, 0, "libbpf cannot open the object"};
  bpf_program* program = bpf_object__next_program(handle, nullptr);
  bpf_program__set_type(program, BPF_PROG_TYPE_CGROUP_SKB);
  static char log[1 << 24];
  log[0] = '\0';
  bpf_program__set_log_buf(program, log, sizeof log);
  bpf_program__set_log_level(program, 1 | 4);  // the refusal's reason (1) and the statistics (4)
  stats.loaded = bpf_object__load(handle) == 0;
  std::string text = log;
  if (stats.loaded) {
    bpf_prog_info info{};
    __u32 length = sizeof info;
    if (bpf_obj_get_info_by_fd(bpf_program__fd(program), &info, &length) == 0)
      stats.xlated_bytes = info.xlated_prog_len;
    std::size_t at = text.find("processed ");
    stats.processed = at == std::string::npos ? "?" : text.substr(at + 10, text.find(' ', at + 10) - at - 10);
  } else {
    // The verifier's reason: the last line before "processed ...".
    std::size_t end = text.rfind("\nprocessed ");
    std::string before = text.substr(0, end == std::string::npos ? text.size() : end);
    std::size_t start = before.rfind('\n');
    stats.processed = "refused: " + (before.empty() ? std::string("(no verifier log)") : before.substr(start + 1));
  }
  bpf_object__close(handle);
  return stats;
}

// verifier [BEFORE_OBJECT]: F1's size and verifier-processed instructions on this kernel, as
// bpffw compiles it now (counters off and on) and, when given, an object another bpffwc emitted.
int verifier_mode(const std::string& before_path) {
  struct utsname name{};
  uname(&name);
  const std::string kernel = name.release;
  auto report = [&](const std::string& what, const VerifierStats& stats) {
    row("k", kernel + ": " + what + ", xlated B / verifier-processed insns",
        stats.loaded ? std::to_string(stats.xlated_bytes) + " / " + stats.processed : stats.processed,
        stats.loaded ? "loads" : "**does not load**");
  };
  report("F1", verifier_stats(compile_or_die(bpffw::bench::kF1, false)));
  report("F1+counters", verifier_stats(compile_or_die(bpffw::bench::kF1, true)));
  if (!before_path.empty()) report("F1 before", verifier_stats(read_object(before_path)));
  report("A1", verifier_stats(compile_or_die(bpffw::bench::kA1, false)));
  for (int terms : {10, 100, 1000, 10000, bpffw::bench::kRuleListMost})
    report("rules " + std::to_string(terms), verifier_stats(compile_or_die(bpffw::bench::rule_list(terms), false)));
  return 0;
}

// A named set of `n` whole addresses, half IPv4 (11.x.x.x) and half IPv6 (2001:db8::x), none of
// them the packet builder's sources (10.0.0.1, fd00::1).
bpffw::SetItems whole_addresses(std::size_t n) {
  bpffw::SetItems items;
  items.element = bpffw::SetElement::Address;
  for (std::size_t i = 0; i < n; ++i) {
    bpffw::SetPrefix prefix;
    prefix.ipv6 = i % 2 == 1;
    std::uint32_t k = static_cast<std::uint32_t>(i / 2);
    if (prefix.ipv6) {
      prefix.bytes = {0x20, 0x01, 0x0d, 0xb8};
      for (int b = 0; b < 4; ++b) prefix.bytes[12 + b] = static_cast<std::uint8_t>(k >> (24 - 8 * b));
      prefix.length = 128;
    } else {
      prefix.bytes[0] = 11;
      for (int b = 1; b < 4; ++b) prefix.bytes[b] = static_cast<std::uint8_t>(k >> (24 - 8 * b));
    }
    items.prefixes.push_back(prefix);
  }
  return items;
}

// `text` with the named set s = `items`, compiled (counters off) and loaded.
bpffw::Program load_set(const std::string& label, const std::string& text, bpffw::SetItems items) {
  bpffw::ParseOptions options;
  options.sets = {{"s", std::move(items)}};
  auto filter = bpffw::Filter::parse(text, options);
  if (!filter) die("parse " + label, filter.error());
  bpffw::CompileOptions compile_options;
  compile_options.counters = false;
  auto object = bpffw::compile(*filter, compile_options);
  if (!object) die("compile " + label, object.error());
  return load_or_die(label, *object);
}

// Per-packet cost of `src_addr in s` by the set's size: O(1) means the 10^6 set costs what the
// one-address set does. The mix's sources are 10.0.0.1 and fd00::1.
int sets_mode(int rounds) {
  auto sources = bpffw::parse_set_items("10.0.0.1, fd00::1");
  auto prefixes = bpffw::parse_set_items("172.16.0.0/12, 192.168.0.0/16, 2001:db8:ffff::/48, fc00::/8");
  if (!sources || !prefixes) die("set items", (sources ? prefixes : sources).error());
  auto with = [](bpffw::SetItems items, const bpffw::SetItems& more) {
    items.prefixes.insert(items.prefixes.end(), more.prefixes.begin(), more.prefixes.end());
    return items;
  };
  constexpr std::size_t kMillion = 1000000;
  std::vector<Subject> s;
  s.push_back(make_subject("floor", load_or_die("floor", compile_or_die("0", false))));
  s.push_back(
      make_subject("inline src_addr == 10.0.0.1 || src_addr == fd00::1",
                   load_or_die("inline", compile_or_die("src_addr == 10.0.0.1 || src_addr == fd00::1", false))));
  s.push_back(make_subject("set of the 2 sources (hit)", load_set("two", "src_addr in s", *sources)));
  s.push_back(make_subject("set of 10^6 + the 2 sources (hit)",
                           load_set("million hit", "src_addr in s", with(whole_addresses(kMillion), *sources))));
  s.push_back(make_subject("set of 10^6 (miss)", load_set("million miss", "src_addr in s", whole_addresses(kMillion))));
  s.push_back(make_subject("set of 10^6 + 4 prefixes (miss, trie looked up)",
                           load_set("million prefixes", "src_addr in s", with(whole_addresses(kMillion), *prefixes))));
  run_rounds(s, rounds);
  const Subject& floor = s[0];
  const Subject& two = s[2];
  for (std::size_t i = 1; i < s.size(); ++i) {
    std::vector<double> ratio;
    for (int r = 0; r < rounds; ++r) ratio.push_back(s[i].ns[r] / two.ns[r]);
    row("s", s[i].name + ": ns/pkt", fmt("%.1f", median(s[i].ns)),
        fmt("%.2f", median(ratio)) + " x the 2-address set (above floor " +
            fmt("%.2f", above_floor_ratio(s[i], two, floor)) + ")");
  }
  row("s", "floor: ns/pkt", fmt("%.1f", median(floor.ns)), "a program that returns 0");
  return 0;
}

// A blocklist-shaped set of `n` address prefixes, random but seeded (the same items every run; the
// first n of a longer list are the shorter list, so a 10^5 set is a subset of the 10^6 one): 80%
// IPv4, 20% IPv6; IPv4 about 45% /32, 35% /24, 19.5% /16../23, very few /8../15 (a few per 10^5,
// lest they cover most of the address space); IPv6 /29, /32, /48, /64 and /128 in 2000::/3. No
// item repeats; host bits are 0.
struct LengthWeight {
  unsigned length;
  std::uint32_t per_million;
};
constexpr LengthWeight kIpv4Lengths[] = {{32, 453480}, {24, 350000}, {23, 45000}, {22, 45000}, {21, 30000}, {20, 25000},
                                         {19, 20000},  {18, 12000},  {17, 8000},  {16, 10000}, {15, 800},   {14, 400},
                                         {13, 200},    {12, 60},     {11, 30},    {10, 15},    {9, 10},     {8, 5}};
constexpr LengthWeight kIpv6Lengths[] = {{29, 50000}, {32, 200000}, {48, 350000}, {64, 250000}, {128, 150000}};

unsigned draw_length(std::mt19937_64& rng, std::span<const LengthWeight> weights) {
  std::uint64_t total = 0;
  for (const LengthWeight& w : weights) total += w.per_million;
  std::uint64_t x = rng() % total;
  for (const LengthWeight& w : weights) {
    if (x < w.per_million) return w.length;
    x -= w.per_million;
  }
  return weights.back().length;
}

void clear_host_bits(bpffw::SetPrefix& prefix) {
  unsigned bytes = prefix.ipv6 ? 16 : 4;
  for (unsigned b = 0; b < bytes; ++b) {
    unsigned keep = prefix.length > 8 * b ? std::min(8u, prefix.length - 8 * b) : 0;
    prefix.bytes[b] &= static_cast<std::uint8_t>(0xff00 >> keep);
  }
}

// The address bytes with the prefix length in front: a key no two different items share.
std::string prefix_key(const bpffw::SetPrefix& prefix) {
  std::string key(1 + (prefix.ipv6 ? 16 : 4), '\0');
  key[0] = static_cast<char>(prefix.length + (prefix.ipv6 ? 128 : 0));
  std::memcpy(key.data() + 1, prefix.bytes.data(), key.size() - 1);
  return key;
}

std::vector<bpffw::SetPrefix> blocklist_prefixes(std::size_t n) {
  std::mt19937_64 rng(20261207);
  std::vector<bpffw::SetPrefix> prefixes;
  prefixes.reserve(n);
  std::unordered_set<std::string> seen;
  seen.reserve(2 * n);
  while (prefixes.size() < n) {
    bpffw::SetPrefix prefix;
    prefix.ipv6 = rng() % 5 == 0;
    std::uint64_t hi = rng(), lo = rng();
    for (int b = 0; b < 8; ++b) {
      prefix.bytes[b] = static_cast<std::uint8_t>(hi >> (56 - 8 * b));
      prefix.bytes[8 + b] = static_cast<std::uint8_t>(lo >> (56 - 8 * b));
    }
    if (prefix.ipv6) {
      prefix.bytes[0] = static_cast<std::uint8_t>(0x20 | (prefix.bytes[0] & 0x1f));  // 2000::/3
      prefix.length = draw_length(rng, kIpv6Lengths);
    } else {
      std::fill(prefix.bytes.begin() + 4, prefix.bytes.end(), 0);
      prefix.length = draw_length(rng, kIpv4Lengths);
    }
    clear_host_bits(prefix);
    if (seen.insert(prefix_key(prefix)).second) prefixes.push_back(prefix);
  }
  return prefixes;
}

// Whether any of `members` (keyed by prefix_key) holds the address `address`.
bool covered(const std::unordered_set<std::string>& members, bpffw::SetPrefix address) {
  unsigned bits = address.ipv6 ? 128 : 32;
  for (unsigned length = 0; length <= bits; ++length) {
    bpffw::SetPrefix prefix = address;
    prefix.length = length;
    clear_host_bits(prefix);
    if (members.count(prefix_key(prefix))) return true;
  }
  return false;
}

// The packets of the blocklist rows: kBlocklistPool IPv4 TCP packets, then as many IPv6, each to
// port 443 from a source of its own: every 10th inside a member of the first `hit_members` items
// (host bits random), the rest random (IPv4 anywhere, IPv6 in 2000::/3) and outside every item of
// `prefixes`. `hit` says which are which.
constexpr std::size_t kBlocklistPool = 256;
struct BlocklistPackets {
  std::vector<Shape> shapes;  // IPv4 first, then IPv6
  std::vector<bool> hit;
};

BlocklistPackets blocklist_packets(const std::vector<bpffw::SetPrefix>& prefixes, std::size_t hit_members) {
  using bpffw::packet::PacketBuilder;
  std::unordered_set<std::string> members;
  members.reserve(2 * prefixes.size());
  for (const bpffw::SetPrefix& prefix : prefixes) members.insert(prefix_key(prefix));
  std::vector<bpffw::SetPrefix> v4_members, v6_members;
  for (std::size_t i = 0; i < hit_members; ++i) (prefixes[i].ipv6 ? v6_members : v4_members).push_back(prefixes[i]);
  std::mt19937_64 rng(20261208);
  BlocklistPackets packets;
  for (bool ipv6 : {false, true}) {
    for (std::size_t i = 0; i < kBlocklistPool; ++i) {
      bool hit = i % 10 == 0;
      bpffw::SetPrefix source;
      source.ipv6 = ipv6;
      source.length = ipv6 ? 128 : 32;
      for (;;) {
        std::uint64_t hi = rng(), lo = rng();
        for (int b = 0; b < 8; ++b) {
          source.bytes[b] = static_cast<std::uint8_t>(hi >> (56 - 8 * b));
          source.bytes[8 + b] = static_cast<std::uint8_t>(lo >> (56 - 8 * b));
        }
        if (!ipv6) std::fill(source.bytes.begin() + 4, source.bytes.end(), 0);
        if (hit) {
          const std::vector<bpffw::SetPrefix>& pool = ipv6 ? v6_members : v4_members;
          const bpffw::SetPrefix& member = pool[rng() % pool.size()];
          for (unsigned b = 0; b < (ipv6 ? 16u : 4u); ++b) {
            unsigned keep = member.length > 8 * b ? std::min(8u, member.length - 8 * b) : 0;
            auto mask = static_cast<std::uint8_t>(0xff00 >> keep);
            source.bytes[b] = static_cast<std::uint8_t>((member.bytes[b] & mask) | (source.bytes[b] & ~mask));
          }
          break;
        }
        if (ipv6) source.bytes[0] = static_cast<std::uint8_t>(0x20 | (source.bytes[0] & 0x1f));
        if (!covered(members, source)) break;
      }
      Frame frame;
      if (ipv6) {
        bpffw::packet::Ipv6Fields fields;
        std::copy_n(source.bytes.begin(), 16, fields.src.begin());
        frame = PacketBuilder().ipv6(fields).tcp(40000, 443).payload(20).build().ethernet_frame();
      } else {
        bpffw::packet::Ipv4Fields fields;
        std::copy_n(source.bytes.begin(), 4, fields.src.begin());
        frame = PacketBuilder().ipv4(fields).tcp(40000, 443).payload(20).build().ethernet_frame();
      }
      packets.shapes.push_back({ipv6 ? "ipv6" : "ipv4", std::move(frame), false});
      packets.hit.push_back(hit);
    }
  }
  return packets;
}

// blocklist [ROUNDS] [--rows]: `src_addr in s` with s = 10^5 and 10^6 blocklist-shaped prefixes
// (blocklist_prefixes), against `src_addr == 192.0.2.0/24` inline and a drop-all floor, on the 512
// packets of blocklist_packets (each BPF_PROG_TEST_RUN repeats one packet kBlocklistRepeat times,
// so its address's path through the maps is warm in the cache). Per round, the mean over the
// IPv4 packets, over the IPv6 ones, and 0.8 x the first + 0.2 x the second (the mix).
constexpr std::uint32_t kBlocklistRepeat = 20000;

int blocklist_mode(int rounds, bool rows) {
  constexpr std::size_t kSmall = 100000, kLarge = 1000000;
  auto start = Clock::now();
  const std::vector<bpffw::SetPrefix> prefixes = blocklist_prefixes(kLarge);
  double generate_ms = ms_since(start);
  start = Clock::now();
  const BlocklistPackets packets = blocklist_packets(prefixes, kSmall);
  double packets_ms = ms_since(start);
  auto first = [&](std::size_t n) {
    bpffw::SetItems items;
    items.element = bpffw::SetElement::Address;
    items.prefixes.assign(prefixes.begin(), prefixes.begin() + static_cast<std::ptrdiff_t>(n));
    return items;
  };
  std::vector<Subject> s;
  std::vector<double> load_ms(4, 0);
  s.push_back(make_subject("a program that returns 0 (the floor)", load_or_die("floor", compile_or_die("0", false))));
  s.push_back(make_subject("inline `src_addr == 192.0.2.0/24`",
                           load_or_die("inline", compile_or_die("src_addr == 192.0.2.0/24", false))));
  start = Clock::now();
  s.push_back(make_subject("`src_addr in s`, s = 10^5 prefixes", load_set("10^5", "src_addr in s", first(kSmall))));
  load_ms[2] = ms_since(start);
  start = Clock::now();
  s.push_back(make_subject("`src_addr in s`, s = 10^6 prefixes", load_set("10^6", "src_addr in s", first(kLarge))));
  load_ms[3] = ms_since(start);

  // The set programs must find exactly the sources drawn inside a member.
  std::size_t hits[2] = {0, 0};
  for (std::size_t i = 0; i < packets.shapes.size(); ++i) {
    for (std::size_t k = 2; k < s.size(); ++k) {
      auto run = s[k].program.test_run(packets.shapes[i].frame);
      if (!run) die("test_run", run.error());
      if ((run->verdict == 1) != packets.hit[i]) {
        std::fprintf(stderr, "bpffw-bench-kernel: %s: packet %zu (%s) %s\n", s[k].name.c_str(), i,
                     packets.shapes[i].name, packets.hit[i] ? "drawn as a hit misses" : "drawn as a miss hits");
        return 1;
      }
    }
    hits[packets.shapes[i].name[3] == '6'] += packets.hit[i];
  }

  run_shape_rounds(s, packets.shapes, rounds, kBlocklistRepeat);
  // Per subject, per round: the IPv4 packets' mean, the IPv6 ones', the 80/20 mix.
  struct Mixes {
    std::vector<double> v4, v6, mix;
  };
  std::vector<Mixes> m(s.size());
  for (std::size_t k = 0; k < s.size(); ++k) {
    for (int r = 0; r < rounds; ++r) {
      double v4 = 0, v6 = 0;
      for (std::size_t i = 0; i < kBlocklistPool; ++i) {
        v4 += s[k].shape_ns[i][static_cast<std::size_t>(r)];
        v6 += s[k].shape_ns[kBlocklistPool + i][static_cast<std::size_t>(r)];
      }
      v4 /= kBlocklistPool;
      v6 /= kBlocklistPool;
      m[k].v4.push_back(v4);
      m[k].v6.push_back(v6);
      m[k].mix.push_back(0.8 * v4 + 0.2 * v6);
    }
  }
  auto ratio = [](const std::vector<double>& a, const std::vector<double>& b) {
    std::vector<double> r;
    for (std::size_t i = 0; i < a.size(); ++i) r.push_back(a[i] / b[i]);
    return median(r);
  };
  struct Mix {
    const char* name;
    std::vector<double> Mixes::* ns;
  };
  const Mix mixes[] = {{"80% IPv4 + 20% IPv6", &Mixes::mix}, {"IPv4 only", &Mixes::v4}, {"IPv6 only", &Mixes::v6}};
  const std::string setup = std::to_string(rounds) + " rounds, " + std::to_string(kBlocklistPool) + " IPv4 + " +
                            std::to_string(kBlocklistPool) + " IPv6 sources (hits " + std::to_string(hits[0]) + " + " +
                            std::to_string(hits[1]) + "), repeat " + std::to_string(kBlocklistRepeat) +
                            " per packet; sets generated in " + fmt("%.0f", generate_ms) + " ms, packets drawn in " +
                            fmt("%.0f", packets_ms) + " ms, compile + load 10^5: " + fmt("%.0f", load_ms[2]) +
                            " ms, 10^6: " + fmt("%.0f", load_ms[3]) + " ms";
  if (!rows) {
    std::printf("%s\n\n", setup.c_str());
    std::printf("| program | packets | ns/packet | × the one-prefix inline filter | above the floor, × |\n");
    std::printf("|---|---|---:|---:|---:|\n");
  }
  for (const Mix& mix : mixes) {
    const std::vector<double>& floor = m[0].*mix.ns;
    const std::vector<double>& one = m[1].*mix.ns;
    for (std::size_t k = 0; k < s.size(); ++k) {
      const std::vector<double>& ns = m[k].*mix.ns;
      std::string times = k == 0 ? "" : fmt("%.2f", ratio(ns, one));
      std::string above = k < 2 ? "" : fmt("%.2f", above_floor_ratio(ns, one, floor));
      if (rows) {
        row("l", "blocklist, " + std::string(mix.name) + ": " + s[k].name + ", ns/pkt", fmt("%.1f", median(ns)),
            k == 0 ? (&mix == mixes ? setup : "a program that returns 0")
                   : times + " x inline one prefix" + (above.empty() ? "" : " (above floor " + above + ")"));
      } else {
        std::printf("| %s | %s | %.1f | %s | %s |\n", s[k].name.c_str(), mix.name, median(ns), times.c_str(),
                    above.c_str());
      }
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "packet" && argc > 3)
    return packet_mode(argv[2], argv[3], argc > 4 ? std::atoi(argv[4]) : 21, argc > 5 ? argv[5] : "");
  if (mode == "address" && argc > 2) return address_mode(argv[2], argc > 3 ? std::atoi(argv[3]) : 21);
  if (mode == "scale") return scale_mode(argc > 2 ? std::atoi(argv[2]) : 11);
  if (mode == "sets") return sets_mode(argc > 2 ? std::atoi(argv[2]) : 11);
  if (mode == "blocklist") {
    int rounds = 11;
    bool rows = false;
    for (int i = 2; i < argc; ++i) {
      if (std::string(argv[i]) == "--rows") rows = true;
      else rounds = std::atoi(argv[i]);
    }
    return blocklist_mode(rounds, rows);
  }
  if (mode == "verifier") return verifier_mode(argc > 2 ? argv[2] : "");
  if (mode == "rules") return rules_mode(argc > 2 ? std::atoi(argv[2]) : 11);
  if (mode == "rules-text" && argc > 2) return rules_text_mode(std::atoi(argv[2]));
  if (mode == "many") return many_mode(argc > 2 ? std::atoi(argv[2]) : 1000);
  std::fprintf(stderr,
               "usage: bpffw-bench-kernel packet HELPER_C_OBJECT DIRECT_C_OBJECT [ROUNDS [BEFORE_PIN]]"
               " | address DIRECT_C_OBJECT [ROUNDS] | scale [ROUNDS]"
               " | many [N] | sets [ROUNDS] | blocklist [ROUNDS] [--rows] | verifier [BEFORE_OBJECT]\n");
  return 2;
}
