// bpffwc test EXPRESSION --packet SPEC...: a dry run. Each packet, described in words, is judged
// in the kernel with BPF_PROG_TEST_RUN when bpffwc may load programs, and by the reference
// interpreter otherwise (or with --interpret); the output says which. A packet with a socket
// (sock=...) is judged by the interpreter alone: the kernel's test run gives a program no socket.
#include <cerrno>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <bpffw/filter.hpp>
#include <bpffw/interpreter.hpp>
#include <bpffw/program.hpp>

#include "command.hpp"
#include "compiler_backend.hpp"
#include "diagnostics.hpp"
#include "drop_text.hpp"
#include "expression_source.hpp"
#include "packet/flow_spec.hpp"
#include "packet/packet_spec.hpp"
#include "replay.hpp"
#include "runtime_options.hpp"
#include "runtime_text.hpp"
#include "set_options.hpp"

namespace bpffwc {

namespace {

struct Judged {
  bool pass = false;
  std::string note;                             // why this packet was not judged the same way as the others, if so
  std::optional<bpffw::SourceSpan> decided_by;  // bpffw::InterpretResult::decided_by
};

class TestCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    source_.define(app, "the filter (put -- before one that starts with '-')");
    app.add_option("-p,--packet", specs_,
                   "a packet in words, e.g. 'ipv4 udp dport=53', 'ipv6 hbh tcp sport=1 dport=80', "
                   "'ipv4 frag=185 udp', 'ipv4 src=192.0.2.1 tcp dport=22 flags=syn', "
                   "'ipv6 dst=fd00::1 icmpv6 type=128', 'tcp sock=tcp-established', or hex:BYTES from the IP "
                   "header on; or a flow, judged as the socket programs judge it (-t egress): 'connect tcp "
                   "dst=192.0.2.1 dport=443', 'sendto udp dst=2001:db8::53 dport=53'; repeat for more")
        ->type_name("SPEC")
        ->allow_extra_args(false);  // one SPEC per -p: the word after it is the EXPRESSION
    add_param_option(app, parameter_args_,
                     "declare runtime parameter NAME with VALUE, as for compiling: the kernel program and the "
                     "interpreter both see VALUE. Repeatable")
        ->type_name("NAME=VALUE");
    add_set_options(app, set_args_);
    app.add_option("-t,--type", direction_,
                   "ingress or egress: the direction the program is for (local_* and remote_* need it)")
        ->type_name("DIR");
    app.add_flag("--interpret", interpret_only_, "judge with the reference interpreter only (no root needed)");
    app.add_flag("--json", json_,
                 "print one JSON object: judged_by (kernel or interpreter), why, and the packets with their "
                 "verdicts and the part of the filter that decided each (decided_by)");
    app.add_option("--pcap", pcap_,
                   "replay a capture (pcap or pcapng: Ethernet, raw IP, Linux cooked): judge each packet that went the "
                   "filter's direction (-t) and sum up what passed and dropped, the flows dropped most and what "
                   "decided")
        ->type_name("FILE");
    app.add_option("--local", local_args_,
                   "with --pcap: an address or prefix of the host the capture was made on: a packet to one was "
                   "received (ingress), from one sent (egress). Repeatable; default: what a Linux cooked capture "
                   "says, else this machine's addresses")
        ->type_name("PREFIX")
        ->allow_extra_args(false);
    app.add_flag("--why", why_,
                 "after each verdict, the part of the filter that decided it and where, e.g. 'dst_port == 8080' at "
                 "1:30-45");
  }

  int run() override {
    if (int read = source_.read(); read != kExitSuccess) return read;
    if (pcap_ && !specs_.empty()) return report_usage("test takes --packet or --pcap, not both");
    if (!pcap_ && !local_args_.empty()) return report_usage("--local goes with --pcap");
    if (specs_.empty() && !pcap_)
      return report_usage("test needs at least one --packet SPEC",
                          "describe a packet with: " + std::string(bpffw::packet::packet_spec_words()));

    // The declared values are the program's initial parameter values (compiled into its map) and
    // the interpreter's (Filter::parameters()), so both engines judge with the same values.
    bpffw::ParseOptions parse_options;
    if (direction_) {
      auto direction = bpffw::parse_direction(*direction_);
      if (!direction) return report_usage(direction.error().message, direction.error().hint);
      parse_options.direction = *direction;
    }
    if (int resolved = resolve_parameters(parameter_args_, nullptr, parse_options.parameters); resolved != kExitSuccess)
      return resolved;
    if (int resolved = resolve_sets(set_args_, nullptr, parse_options.sets); resolved != kExitSuccess) return resolved;
    auto filter = bpffw::Filter::parse(source_.text(), parse_options);
    if (!filter) return source_.report(filter.error());
    source_.report_warnings(filter->warnings());
    std::vector<bpffw::packet::Packet> packets;
    std::vector<std::optional<bpffw::Flow>> flows;  // per spec: a flow, or the next packet
    for (const std::string& spec : specs_) {
      if (bpffw::packet::is_flow_spec(spec)) {
        auto flow = bpffw::packet::parse_flow_spec(spec);
        if (!flow) return report(flow.error());
        if (filter->direction() != bpffw::Direction::Egress)
          return report_usage("a flow ('" + spec +
                              "') is judged by an egress filter's socket programs: give -t egress");
        flows.push_back(*flow);
        continue;
      }
      auto packet = bpffw::packet::parse_packet_spec(spec);
      if (!packet) return report(packet.error());
      packets.push_back(std::move(*packet));
      flows.emplace_back();
    }
    std::optional<bpffw::ObjectFile> object(std::in_place);
    std::optional<bpffw::ObjectFile> no_sockets;
    // A copy: the interpreter judges with the filter after the compile.
    if (auto compiled = compiler_backend().compile(bpffw::Filter(*filter), {}, false, *object, no_sockets); !compiled)
      return source_.report(compiled.error());

    if (pcap_) {
      if (!filter->direction())
        return report_usage("--pcap judges the packets of one direction: give -t ingress or -t egress");
      ReplayOptions replay{*pcap_, {}, json_};
      for (const std::string& text : local_args_) {
        auto prefix = parse_local_prefix(text);
        if (!prefix) return report(prefix.error());
        replay.local.push_back(*prefix);
      }
      std::optional<bpffw::Program> loaded;
      if (!interpret_only_) {
        auto program = bpffw::Program::load(*object);
        if (!program && program.error().kind != bpffw::ErrorKind::Permission) return source_.report(program.error());
        if (program) loaded = std::move(*program);
      }
      return replay_capture(*filter, loaded ? &*loaded : nullptr, replay);
    }

    std::optional<bpffw::Program> program;
    std::string engine = "judged by the reference interpreter (--interpret)";
    std::string why = "--interpret";
    if (!interpret_only_) {
      auto loaded = bpffw::Program::load(*object);
      if (loaded) {
        program = std::move(*loaded);
        engine = "judged in the kernel with BPF_PROG_TEST_RUN";
        why = "BPF_PROG_TEST_RUN";
      } else if (loaded.error().kind == bpffw::ErrorKind::Permission) {
        why = "loading BPF programs needs root (CAP_BPF and CAP_NET_ADMIN)";
        engine = "judged by the reference interpreter: " + why;
      } else {
        return source_.report(loaded.error());
      }
    }

    std::string output, json_packets;
    for (std::size_t spec = 0, i = 0; spec < flows.size(); ++spec) {
      if (flows[spec]) {
        // docs/filter-language.md §10: the condition the socket programs run, judged here.
        const bool refused = bpffw::judge_flow(*filter, *flows[spec]).refuse;
        const std::string described = bpffw::packet::describe_flow(*flows[spec]);
        output += (refused ? "refuse  " : "allow   ") + described +
                  (refused ? "  (EPERM at once: the filter drops every first packet it can send)"
                           : "  (its packets are judged one by one)") +
                  "\n";
        json_packets += std::string(json_packets.empty() ? "" : ",") + "{\"flow\":" + json_string(described) +
                        ",\"verdict\":" + (refused ? "\"refuse\"" : "\"allow\"") + "}";
        continue;
      }
      const std::size_t index = i++;
      auto judged = judge(*filter, program ? &*program : nullptr, packets[index], index);
      if (!judged) {
        if (!json_) std::fwrite(output.data(), 1, output.size(), stdout);
        std::fflush(stdout);
        return source_.report(judged.error());
      }
      const std::string described = bpffw::packet::describe_packet(packets[index]);
      output += (judged->pass ? "pass  " : "drop  ") + described;
      if (!judged->note.empty()) output += "  (" + judged->note + ")";
      if (why_)
        output += judged->decided_by ? "  by " + decided_by_text(*judged->decided_by, source_.text())
                                     : "  by the malformed-packet rules (docs/filter-language.md §5.6)";
      output += '\n';
      json_packets += std::string(json_packets.empty() ? "" : ",") + "{\"packet\":" + json_string(described) +
                      ",\"verdict\":" + (judged->pass ? "\"pass\"" : "\"drop\"") +
                      ",\"note\":" + (judged->note.empty() ? "null" : json_string(judged->note)) +
                      ",\"decided_by\":" + decided_by_json(judged->decided_by, source_.text()) + "}";
    }
    // Flows alone: no packet was judged, the socket programs' condition was.
    if (packets.empty()) engine = "judged as the socket programs judge (docs/filter-language.md §10)";
    output += engine + '\n';
    if (json_)
      output = "{\"judged_by\":" + std::string(program ? "\"kernel\"" : "\"interpreter\"") +
               ",\"why\":" + json_string(why) + ",\"packets\":[" + json_packets + "]}\n";
    std::fwrite(output.data(), 1, output.size(), stdout);
    return kExitSuccess;
  }

 private:
  // The kernel's verdict is checked against the interpreter's: a disagreement is a bpffw bug.
  static bpffw::Result<Judged> judge(const bpffw::Filter& filter, const bpffw::Program* program,
                                     const bpffw::packet::Packet& packet, std::size_t index) {
    bpffw::InterpretResult result =
        bpffw::interpret(filter, packet.skb_protocol(), packet.bytes, packet.packet_socket());
    bool interpreted = result.pass;
    if (program == nullptr) return Judged{interpreted, {}, result.decided_by};
    // docs/filter-language.md §4.5, §4.8: the kernel's `established` would be 0 here, whatever
    // sock= says, and its `uid` 0, whatever uid= says.
    if (packet.socket != bpffw::SocketState::None)
      return Judged{interpreted, "interpreter: the kernel's test run has no socket", result.decided_by};
    if (!packet.packet_socket().as_in_test_run())
      return Judged{interpreted, "interpreter: the kernel's test run's socket is root's", result.decided_by};
    auto run = program->test_run(packet.ethernet_frame());
    // Kernels since 5.x refuse (EINVAL) a test run whose IPv4/IPv6 fixed header is cut short.
    if (!run && run.error().sys_errno == EINVAL && !packet.fits_test_run())
      return Judged{interpreted, "interpreter: the kernel's test run refuses a cut IPv4/IPv6 header",
                    result.decided_by};
    if (!run) return tl::unexpected(run.error());
    bool kernel = run->verdict != 0;
    if (kernel != interpreted) {
      return bpffw::make_error(bpffw::ErrorKind::Internal,
                               "packet " + std::to_string(index + 1) + ": the kernel says " +
                                   (kernel ? "pass" : "drop") + " but the reference interpreter says " +
                                   (interpreted ? "pass" : "drop"),
                               0, "this is a bug in bpffw; please report it with the filter and the packet");
    }
    // The kernel agrees with the interpreter, which says which part decided.
    return Judged{kernel, {}, result.decided_by};
  }

  ExpressionSource source_;
  std::vector<std::string> specs_;
  std::vector<std::string> parameter_args_;  // --param, as given
  SetArguments set_args_;                    // --set, --set-file, as given
  std::optional<std::string> direction_;     // -t, as given
  std::optional<std::string> pcap_;          // --pcap FILE
  std::vector<std::string> local_args_;      // --local PREFIX, as given
  bool json_ = false;
  bool interpret_only_ = false;
  bool why_ = false;
};

}  // namespace

std::unique_ptr<Command> make_test_command() { return std::make_unique<TestCommand>(); }

}  // namespace bpffwc
