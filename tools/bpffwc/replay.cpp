#include "replay.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>

#include <bpffw/interpreter.hpp>

#include "diagnostics.hpp"
#include "drop_text.hpp"
#include "runtime_text.hpp"

namespace bpffwc {
namespace {

struct Tally {
  std::uint64_t packets = 0, bytes = 0;
};

// The `top` entries of `counts`, most first.
std::vector<std::pair<std::string, std::uint64_t>> most(const std::map<std::string, std::uint64_t>& counts,
                                                        std::size_t top) {
  std::vector<std::pair<std::string, std::uint64_t>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (sorted.size() > top) sorted.resize(top);
  return sorted;
}

}  // namespace

int replay_capture(const bpffw::Filter& filter, const bpffw::Program* program, const ReplayOptions& options) {
  const bpffw::Direction direction = filter.direction().value_or(bpffw::Direction::Ingress);
  const std::string& source = filter.source();
  Tally passed, dropped;
  std::uint64_t malformed = 0, in_kernel = 0;
  CaptureCounts counts;
  FlowCounts dropped_flows;
  // The deciders by their place in the expression: a span and how many packets it decided.
  std::map<std::pair<std::size_t, std::size_t>, std::pair<bpffw::SourceSpan, std::uint64_t>> decided;
  std::optional<bpffw::Error> failure;
  const bool progress = !options.json && ::isatty(STDERR_FILENO);
  const auto start = std::chrono::steady_clock::now();
  auto judge = [&](const CapturedPacket& captured) {
    if (progress && counts.read % 100000 == 0)
      std::fprintf(stderr, "\rbpffwc: %llu packets...", static_cast<unsigned long long>(counts.read));
    const bpffw::packet::Packet& packet = captured.packet;
    bpffw::InterpretResult result = bpffw::interpret(filter, packet.skb_protocol(), packet.bytes);
    if (program != nullptr && packet.fits_test_run()) {
      auto run = program->test_run(packet.ethernet_frame());
      if (!run) {
        failure = run.error();
        return false;
      }
      ++in_kernel;
      if ((run->verdict != 0) != result.pass) {
        failure = bpffw::make_error(bpffw::ErrorKind::Internal,
                                    "packet " + std::to_string(counts.read) + " of the capture: the kernel says " +
                                        (run->verdict != 0 ? "pass" : "drop") + " but the reference interpreter says " +
                                        (result.pass ? "pass" : "drop"),
                                    0, "this is a bug in bpffw; please report it with the filter and the packet")
                      .value();
        return false;
      }
    }
    Tally& tally = result.pass ? passed : dropped;
    ++tally.packets;
    tally.bytes += captured.wire_length;
    if (result.pass) return true;
    dropped_flows.add(packet);
    if (!result.decided_by) ++malformed;
    else {
      auto& counted = decided[{result.decided_by->offset, result.decided_by->length}];
      counted.first = *result.decided_by;
      ++counted.second;
    }
    return true;
  };
  auto done = for_each_packet(options.path, direction, options.local, judge, counts);
  if (progress && counts.read >= 100000) std::fprintf(stderr, "\r\033[K");
  if (!done) return report(done.error());
  if (failure) return report(*failure);
  // The deciders' texts, once each (the interpreter's spans have their lines and columns).
  std::map<std::string, std::uint64_t> deciders;
  for (const auto& [offset_length, counted] : decided)
    deciders[decided_by_text(counted.first, source)] += counted.second;
  if (malformed != 0) deciders["the malformed-packet rules (docs/filter-language.md §5.6)"] = malformed;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::uint64_t judged = passed.packets + dropped.packets;
  const std::string way = bpffw::to_string(direction);
  std::string out;
  if (options.json) {
    auto list = [&](const std::vector<std::pair<std::string, std::uint64_t>>& counts, const char* key) {
      std::string items;
      for (const auto& [text, count] : counts)
        items += std::string(items.empty() ? "" : ",") + "{\"" + key + "\":" + json_string(text) +
                 ",\"packets\":" + std::to_string(count) + "}";
      return "[" + items + "]";
    };
    out = "{\"capture\":" + json_string(options.path) + ",\"direction\":" + json_string(way) +
          ",\"judged_by\":" + (program != nullptr ? "\"kernel\"" : "\"interpreter\"") +
          ",\"in_kernel\":" + std::to_string(in_kernel) + ",\"read\":" + std::to_string(counts.read) +
          ",\"judged\":" + std::to_string(judged) + ",\"passed\":{\"packets\":" + std::to_string(passed.packets) +
          ",\"bytes\":" + std::to_string(passed.bytes) +
          "},\"dropped\":{\"packets\":" + std::to_string(dropped.packets) +
          ",\"bytes\":" + std::to_string(dropped.bytes) + ",\"malformed\":" + std::to_string(malformed) +
          "},\"not_judged\":{\"other_direction\":" + std::to_string(counts.other_way) +
          ",\"cut\":" + std::to_string(counts.cut) + ",\"not_ip\":" + std::to_string(counts.not_ip) +
          "},\"dropped_flows\":" + list(dropped_flows.most(options.top), "flow") +
          ",\"decided_by\":" + list(most(deciders, options.top), "part") + ",\"seconds\":" + std::to_string(seconds) +
          "}\n";
  } else {
    char line[256];
    std::snprintf(
        line, sizeof line, "%s: %llu packets, %llu judged as %s (%llu in the kernel with BPF_PROG_TEST_RUN, %s)\n",
        options.path.c_str(), static_cast<unsigned long long>(counts.read), static_cast<unsigned long long>(judged),
        way.c_str(), static_cast<unsigned long long>(in_kernel),
        program != nullptr ? "each checked against the interpreter" : "the rest by the reference interpreter");
    out += line;
    std::snprintf(line, sizeof line, "passed   %llu packets  %llu bytes\ndropped  %llu packets  %llu bytes",
                  static_cast<unsigned long long>(passed.packets), static_cast<unsigned long long>(passed.bytes),
                  static_cast<unsigned long long>(dropped.packets), static_cast<unsigned long long>(dropped.bytes));
    out += line;
    out += malformed != 0 ? "  (" + std::to_string(malformed) + " malformed)\n" : "\n";
    if (dropped_flows.flows() != 0) {
      out += "dropped most:\n";
      for (const auto& [flow, count] : dropped_flows.most(options.top))
        out += "  " + std::to_string(count) + "  " + flow + "\n";
      out += "decided by:\n";
      for (const auto& [part, count] : most(deciders, options.top))
        out += "  " + std::to_string(count) + "  " + part + "\n";
    }
    std::snprintf(line, sizeof line,
                  "not judged: %llu of the other direction, %llu cut by the capture's snap length, %llu not IPv4 or "
                  "IPv6; %.2f s\n",
                  static_cast<unsigned long long>(counts.other_way), static_cast<unsigned long long>(counts.cut),
                  static_cast<unsigned long long>(counts.not_ip), seconds);
    out += line;
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitSuccess;
}

}  // namespace bpffwc
