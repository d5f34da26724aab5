// A BPF program loaded into the kernel: owns its file descriptor.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <bpffw/compiler.hpp>
#include <bpffw/error.hpp>

namespace bpffw {

enum class PinMode {
  CreateNew,  // fail if the path exists
  Replace,    // atomically replace an existing pin (pin to a temporary name, then rename over)
};

// The most instructions a kernel's verifier processes (walking every path) before it refuses a
// program (BPF_COMPLEXITY_LIMIT_INSNS, the same from 5.2 on).
inline constexpr std::uint32_t kVerifierInstructionLimit = 1000000;

struct ProgramInfo {
  std::uint32_t id = 0;
  std::string name;
  std::uint32_t xlated_bytes = 0;
  std::uint32_t jited_bytes = 0;
  // Instructions the verifier processed; empty where the kernel does not report them (before 5.16).
  // Every kernel gives up past kVerifierInstructionLimit.
  std::optional<std::uint32_t> verified_instructions;
  // The ids of the maps it uses. A program that replaced another with --force or --replace shares
  // its counter map, so shared ids tell the programs of one filter (`bpffwc status`).
  std::vector<std::uint32_t> map_ids;
};

struct TestRunResult {
  std::uint32_t verdict = 0;      // 1 pass, 0 drop
  std::uint32_t duration_ns = 0;  // average per run, as the kernel reports it
};

class Program;
struct SocketProgram;

struct LoadOptions {
  // A running program whose packet counters the new one continues (--force, --replace): the new
  // program uses the old one's counter map (and drop log's state and ring) instead of fresh ones. Ignored when either
  // program has no counters. The old program must stay open until load() returns.
  const Program* keep_counters_of = nullptr;
};

class Program {
 public:
  // Loads a cgroup_skb program. A verifier refusal is ErrorKind::Verifier carrying the log.
  static Result<Program> load(const ObjectFile& object);
  static Result<Program> load(const ObjectFile& object, const LoadOptions& options);
  // Loads an egress filter's socket programs (compile_socket_programs in <bpffw/compiler.hpp>), one
  // per hook, beside its packet program: they use `packet_program`'s named sets and parameters (its
  // maps, not copies), so that what is changed live is changed for both.
  static Result<std::vector<SocketProgram>> load_socket_programs(const ObjectFile& object,
                                                                 const Program& packet_program);
  // Opens a pinned program (BPF_OBJ_GET).
  static Result<Program> open_pinned(const std::string& path);
  // Opens a loaded program by its kernel id (BPF_PROG_GET_FD_BY_ID, needs CAP_SYS_ADMIN), e.g. one
  // attached to a cgroup without a pin. A missing id is ErrorKind::Usage.
  static Result<Program> open_id(std::uint32_t id);
  // The ids of every program loaded now, of any tool, ascending (BPF_PROG_GET_NEXT_ID, needs
  // CAP_SYS_ADMIN): what `bpffwc log --all` scans for programs with a drop log.
  static Result<std::vector<std::uint32_t>> loaded_ids();

  Program(Program&& other) noexcept;
  Program& operator=(Program&& other) noexcept;
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;
  ~Program();

  int fd() const noexcept { return fd_; }
  Result<ProgramInfo> info() const;

  // Pins on bpffs with mode 0600. On any failure nothing is left behind and an old pin is untouched.
  Result<void> pin(const std::string& path, PinMode mode = PinMode::CreateNew) const;

  // Runs the program on one frame with BPF_PROG_TEST_RUN. The frame starts with a 14-byte
  // Ethernet header: the kernel takes skb->protocol from its ethertype and strips it.
  Result<TestRunResult> test_run(std::span<const unsigned char> ethernet_frame, std::uint32_t repeat = 1) const;

 private:
  explicit Program(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// A socket program and the hook it is for.
struct SocketProgram {
  SocketHook hook;
  Program program;
};

// Where the socket programs of the packet program pinned at `pin` are pinned: beside it, as
// PIN-connect4, PIN-connect6, PIN-sendmsg4 and PIN-sendmsg6 (what systemd's BPFProgram=connect4:
// lines name).
std::string socket_pin_path(const std::string& pin, SocketHook hook);

// Pins the socket programs beside `pin` (socket_pin_path). With CreateNew, a failure removes the
// ones this call made: all pinned or none. With Replace each pin is swapped atomically.
Result<void> pin_socket_programs(const std::vector<SocketProgram>& programs, const std::string& pin, PinMode mode);

// Opens the socket programs pinned beside `pin`; none pinned is an empty list, some of them only
// an error.
Result<std::vector<SocketProgram>> open_pinned_socket_programs(const std::string& pin);

// Removes the socket programs' pins beside `pin`, those there are.
void unpin_socket_programs(const std::string& pin);

}  // namespace bpffw
