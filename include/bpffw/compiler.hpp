// Filter -> BPF ELF object, in memory, with LLVM's BPF backend.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <bpffw/error.hpp>
#include <bpffw/filter.hpp>

namespace bpffw {

// The name every bpffw program carries in the kernel (bpftool prog show, bpffwc show).
inline constexpr const char* kProgramName = "bpffw_filter";

// The drop log's limit (--log rate=N/s,burst=M): a token bucket in the program that lets through
// `rate_per_second` records a second on average and at most `burst` at once; records over it are
// counted as suppressed (read_log_counters in <bpffw/runtime.hpp>).
struct LogLimit {
  std::uint32_t rate_per_second = 100;
  std::uint32_t burst = 100;
  bool operator==(const LogLimit&) const = default;
};

struct CompileOptions {
  unsigned optimization_level = 2;  // 0 to 3, as -O
  // Count passed and dropped packets and bytes in a per-CPU map (read_counters in
  // <bpffw/runtime.hpp>). Costs a map lookup and two adds per packet; false for the last nanosecond.
  bool counters = true;
  // Record each dropped packet in a ring buffer (<bpffw/drop_log.hpp> reads it), within this limit.
  // Only the drop path runs the log's code: a passing packet costs nothing more.
  std::optional<LogLimit> log;
  // The most entries each of the program's set maps holds (docs/filter-language.md §9, sets.hpp);
  // 0: the defaults, raised to set_capacity_for(what the sets need) (<bpffw/sets.hpp>: the least power
  // of two at least twice as many). Sets that need more are refused before anything is loaded.
  std::uint32_t set_capacity = 0;
  // Audit mode (docs/bpffwc.md): the program passes every packet, and counts (Counters::would_drop_*)
  // and, with the log, records the packets the filter would have dropped, marked as such; its socket
  // programs refuse nothing and count and record what they would have refused.
  bool audit = false;
};

// A cgroup_skb program as an ELF object, ready for Program::load.
struct ObjectFile {
  std::vector<unsigned char> bytes;
  // The named sets' initial contents, which Program::load writes into the program's maps.
  std::vector<NamedSet> sets;
  // The entries of a rule list's classifier (docs/filter-language.md §7.4): keys of
  // `rule_key_size` bytes and their 16-byte values, which Program::load writes into the program's
  // rule map; those whose addresses are of several prefix lengths, into its LPM trie.
  std::uint32_t rule_key_size = 0;
  std::vector<unsigned char> rule_keys;
  std::vector<unsigned char> rule_values;
  std::uint32_t rule_prefix_key_size = 0;
  std::vector<unsigned char> rule_prefix_keys;
  std::vector<unsigned char> rule_prefix_values;
};

Result<ObjectFile> compile(const Filter& filter, const CompileOptions& options = {});
// The same for a filter not needed afterwards: the object takes the sets' items instead of a copy
// when no other copy of the filter shares them.
Result<ObjectFile> compile(Filter&& filter, const CompileOptions& options = {});

// The cgroup socket hooks an egress filter's socket programs attach to (docs/filter-language.md
// §10), by systemd's names for them (BPFProgram=connect4:PIN): connect() of IPv4 and IPv6 sockets,
// and sendmsg() with a destination on unconnected (or any) UDP sockets.
// An ingress filter's (opt-in) refuse bind() of an IPv4 or IPv6 socket.
enum class SocketHook { Connect4, Connect6, Sendmsg4, Sendmsg6, Bind4, Bind6 };
inline constexpr SocketHook kSocketHooks[] = {SocketHook::Connect4, SocketHook::Connect6, SocketHook::Sendmsg4,
                                              SocketHook::Sendmsg6, SocketHook::Bind4,    SocketHook::Bind6};
const char* to_string(SocketHook hook);  // "connect4", ...
// The hooks of a filter's socket programs: egress connect4, connect6, sendmsg4, sendmsg6; ingress
// bind4, bind6.
std::span<const SocketHook> socket_hooks(Direction direction);

// The socket programs of a filter: one object with a program per hook of its direction
// (socket_hooks). An egress filter's refuse (EPERM) a connect() or send whose every first packet
// `filter` drops, as judge_flow (<bpffw/interpreter.hpp>) judges; an ingress filter's a bind()
// of a port no packet could reach through it, as judge_binding judges. For a filter that can
// refuse nothing, programs that refuse nothing. Program::load_socket_programs loads them beside
// the packet program.
Result<ObjectFile> compile_socket_programs(const Filter& filter, const CompileOptions& options = {});

// Textual forms for --emit: the optimized LLVM IR, and BPF assembly from LLVM's disassembler.
Result<std::string> emit_llvm_ir(const Filter& filter, const CompileOptions& options = {});
Result<std::string> emit_assembly(const Filter& filter, const CompileOptions& options = {});

}  // namespace bpffw
