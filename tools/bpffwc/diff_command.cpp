// bpffwc diff -t DIR OLD NEW --pcap FILE: "what would this change break?" Every packet of the
// capture that went the direction is judged by both filters (the reference interpreter, which the
// kernel matches: bpffw-difftest); the flows whose verdict differs are listed both ways, with
// counts. OLD and NEW: a pinned program (its expression, sets and parameters as they are now), a
// filter file, or an expression (docs/bpffwc.md, "What would this change break?").
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>
#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <bpffw/filter.hpp>
#include <bpffw/interpreter.hpp>
#include <bpffw/program.hpp>
#include <bpffw/runtime.hpp>

#include "capture.hpp"
#include "command.hpp"
#include "diagnostics.hpp"
#include "expression_source.hpp"
#include "runtime_text.hpp"

namespace bpffwc {
namespace {

bool on_bpffs(const std::string& path) {
  struct statfs fs{};
  return ::statfs(path.c_str(), &fs) == 0 && fs.f_type == BPF_FS_MAGIC;
}

// OLD or NEW as a filter for `direction`: a pin on bpffs, a file, or the expression itself.
bpffw::Result<bpffw::Filter> filter_of(const std::string& what, bpffw::Direction direction, int& exit_code) {
  struct stat st{};
  const bool exists = ::stat(what.c_str(), &st) == 0;
  if (exists && on_bpffs(what)) {
    auto program = bpffw::Program::open_pinned(what);
    if (!program) return tl::unexpected(program.error());
    auto filter = bpffw::recover_filter(*program);
    if (!filter) return tl::unexpected(filter.error());
    if (filter->direction() && filter->direction() != direction)
      return bpffw::make_error(bpffw::ErrorKind::Usage, "the program pinned at " + what + " is for " +
                                                            bpffw::to_string(*filter->direction()) + ", not " +
                                                            bpffw::to_string(direction));
    return filter;
  }
  std::string text = what, name;
  if (exists && S_ISREG(st.st_mode)) {
    auto read = read_text_file(what);
    if (!read) return tl::unexpected(read.error());
    text = *read;
    name = what;
  }
  auto filter = bpffw::Filter::parse(text, {.direction = direction});
  // Exit 1 says the verdicts differ: a filter that does not parse is trouble, 2, as for diff(1).
  if (!filter) exit_code = std::max(kExitUsage, report(filter.error(), text, name));
  return filter;
}

struct Changed {
  std::uint64_t packets = 0;
  FlowCounts flows;
};

std::string listed(const Changed& changed, bool json) {
  std::string out;
  for (const auto& [flow, count] : changed.flows.most(changed.flows.flows())) {
    if (json)
      out += std::string(out.empty() ? "" : ",") + "{\"flow\":" + json_string(flow) +
             ",\"packets\":" + std::to_string(count) + "}";
    else out += "  " + std::to_string(count) + "  " + flow + "\n";
  }
  return out;
}

class DiffCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("OLD", old_, "the filter as it is: a pinned program, a filter file or an expression")->required();
    app.add_option("NEW", new_, "the filter as it would be: the same kinds")->required();
    app.add_option("--pcap", pcap_, "the capture to judge (pcap or pcapng)")->type_name("FILE")->required();
    app.add_option("-t,--type", direction_, "ingress or egress: the packets of the capture judged")
        ->type_name("DIR")
        ->required();
    app.add_option("--local", local_args_,
                   "an address or prefix of the host the capture was made on (as for test --pcap); repeatable")
        ->type_name("PREFIX")
        ->allow_extra_args(false);
    app.add_flag("--json", json_, "print one JSON object: newly_dropped and newly_passed, each with its flows");
  }

  int run() override {
    auto direction = bpffw::parse_direction(direction_);
    if (!direction) return report_usage(direction.error().message, direction.error().hint);
    std::vector<LocalPrefix> local;
    for (const std::string& text : local_args_) {
      auto prefix = parse_local_prefix(text);
      if (!prefix) return report(prefix.error());
      local.push_back(*prefix);
    }
    int exit_code = kExitSuccess;
    auto before = filter_of(old_, *direction, exit_code);
    if (!before) return exit_code != kExitSuccess ? exit_code : report(before.error());
    auto after = filter_of(new_, *direction, exit_code);
    if (!after) return exit_code != kExitSuccess ? exit_code : report(after.error());

    Changed newly_dropped, newly_passed;
    std::uint64_t judged = 0;
    CaptureCounts counts;
    auto compare = [&](const CapturedPacket& captured) {
      const bpffw::packet::Packet& packet = captured.packet;
      const bool was = bpffw::interpret(*before, packet.skb_protocol(), packet.bytes).pass;
      const bool is = bpffw::interpret(*after, packet.skb_protocol(), packet.bytes).pass;
      ++judged;
      if (was == is) return true;
      Changed& changed = was ? newly_dropped : newly_passed;
      ++changed.packets;
      changed.flows.add(packet);
      return true;
    };
    if (auto done = for_each_packet(pcap_, *direction, local, compare, counts); !done) return report(done.error());
    std::string out;
    if (json_) {
      out = "{\"capture\":" + json_string(pcap_) + ",\"direction\":" + json_string(bpffw::to_string(*direction)) +
            ",\"read\":" + std::to_string(counts.read) + ",\"judged\":" + std::to_string(judged) +
            ",\"newly_dropped\":{\"packets\":" + std::to_string(newly_dropped.packets) + ",\"flows\":[" +
            listed(newly_dropped, true) + "]},\"newly_passed\":{\"packets\":" + std::to_string(newly_passed.packets) +
            ",\"flows\":[" + listed(newly_passed, true) + "]}}\n";
    } else {
      out = pcap_ + ": " + std::to_string(counts.read) + " packets, " + std::to_string(judged) + " judged as " +
            bpffw::to_string(*direction) + " by both\n";
      out += "newly dropped (OLD passes, NEW drops): " + std::to_string(newly_dropped.packets) + " packets in " +
             std::to_string(newly_dropped.flows.flows()) + " flows\n" + listed(newly_dropped, false);
      out += "newly passed (OLD drops, NEW passes): " + std::to_string(newly_passed.packets) + " packets in " +
             std::to_string(newly_passed.flows.flows()) + " flows\n" + listed(newly_passed, false);
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    // As diff(1): 1 when the verdicts differ somewhere.
    return newly_dropped.packets + newly_passed.packets == 0 ? kExitSuccess : kExitDiverged;
  }

 private:
  std::string old_, new_, pcap_, direction_;
  std::vector<std::string> local_args_;
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> make_diff_command() { return std::make_unique<DiffCommand>(); }

}  // namespace bpffwc
