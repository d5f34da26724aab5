// Program: load a cgroup_skb object with libbpf, and the fd-level operations on a loaded program.
#include <bpffw/program.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "layout/map_layout.hpp"
#include "loader/bpf_fd.hpp"
#include "loader/kernel_features.hpp"
#include "loader/libbpf_messages.hpp"
#include "loader/program_maps.hpp"
#include "loader/set_maps.hpp"

namespace bpffw {

namespace {

// Big enough for a level-1 log of a large filter; only the pages the kernel writes get touched.
constexpr std::size_t kVerifierLogSize = 8u << 20;

struct ObjectCloser {
  void operator()(bpf_object* object) const { bpf_object__close(object); }
};
using ObjectPtr = std::unique_ptr<bpf_object, ObjectCloser>;

Error libbpf_error(ErrorKind kind, std::string what, int err, const loader::LibbpfMessages& messages) {
  Error error;
  error.kind = kind;
  error.sys_errno = err;
  std::string detail = messages.summary();
  error.message = std::move(what) + ": " + (detail.empty() ? std::string(std::strerror(err)) : detail);
  return error;
}

// The verifier's complexity limits (kernel/bpf/verifier.c): it walks every path through the
// program, and gives up past 1,000,000 instructions processed ("BPF program is too large.
// Processed N insn") or past 8,192 branches waiting on its stack ("The sequence of N jumps is too
// complex."). A long rule list can reach either on some kernels and not on others: that is a
// limit to explain, not a bug to report. The message and hint, if the log shows one.
std::optional<std::pair<std::string, std::string>> complexity_refusal(const std::string& log) {
  static constexpr std::string_view kTooLarge = "BPF program is too large. Processed ", kJumps = "The sequence of ";
  std::string message;
  if (std::size_t at = log.find(kTooLarge); at != std::string::npos) {
    message = "the kernel's verifier gave up on the program: it checked " +
              std::to_string(std::strtoull(log.c_str() + at + kTooLarge.size(), nullptr, 10)) +
              " instructions, past its limit of " + std::to_string(kVerifierInstructionLimit);
  } else if (std::size_t at = log.find(kJumps);
             at != std::string::npos && log.find("jumps is too complex", at) != std::string::npos) {
    message = "the kernel's verifier gave up on the program: a sequence of " +
              std::to_string(std::strtoull(log.c_str() + at + kJumps.size(), nullptr, 10)) +
              " branches, past its limit of 8192";
  } else {
    return std::nullopt;
  }
  return std::pair{
      message, std::string("the verifier walks every path through the program, and each term of a long chain adds "
                           "paths: write a list of values as a set (dst_port in {22, 80, 443}, or a named set: "
                           "--set-file NAME=FILE), write rules as terms that become lookups (docs/filter-language.md "
                           "§7.4), split the filter, or load it on a newer kernel, whose verifier goes further")};
}

// Kernel's verdict on a failed BPF_PROG_LOAD. The verifier answers EACCES or EINVAL (and others)
// with a log; missing privileges are EPERM (or EACCES) before any verification, so without a log.
Error load_error(int err, const std::string& verifier_log, const loader::LibbpfMessages& messages) {
  if (verifier_log.empty() && (err == EPERM || err == EACCES)) {
    Error error;
    error.kind = ErrorKind::Permission;
    error.message = loader::kPrivilegeMessage;
    error.sys_errno = err;
    error.hint = loader::kPrivilegeHint;
    return error;
  }
  if (!verifier_log.empty()) {
    Error error;
    error.kind = ErrorKind::Verifier;
    error.message = std::string("the kernel verifier refused the generated program: ") + std::strerror(err);
    error.sys_errno = err;
    error.hint = "this is a bug in bpffw; please report it with the filter and the verifier log";
    if (auto limit = complexity_refusal(verifier_log)) std::tie(error.message, error.hint) = *limit;
    error.verifier_log = verifier_log;
    return error;
  }
  Error error = libbpf_error(ErrorKind::System, "the kernel refused the BPF program", err, messages);
  // Without a kernel log, libbpf's own account is the best there is.
  error.verifier_log = messages.text();
  return error;
}

// Loads every program of the object. Log level 0 keeps a successful load fast; on failure libbpf
// retries with level 1 into the program's buffer, so the refusal's log ends up there (and libbpf
// does not print it).
Result<void> load_with_logs(bpf_object* object, const loader::LibbpfMessages& messages) {
  std::vector<std::unique_ptr<char[]>> logs;
  bpf_program* program = nullptr;
  bpf_object__for_each_program(program, object) {
    logs.emplace_back(new char[kVerifierLogSize]);
    logs.back()[0] = '\0';
    bpf_program__set_log_buf(program, logs.back().get(), kVerifierLogSize);
  }
  int rc = bpf_object__load(object);
  if (rc == 0) return {};
  int err = rc < 0 ? -rc : (errno ? errno : EINVAL);
  std::string log;
  for (const auto& text : logs) {
    text[kVerifierLogSize - 1] = '\0';
    log += text.get();
  }
  Error error = load_error(err, log, messages);
  // On a kernel older than bpffw supports, say what it lacks rather than how it refused.
  if (error.kind != ErrorKind::Permission) {
    if (auto missing = loader::missing_program_feature()) {
      Error old_kernel = loader::missing_feature_error(*missing, err);
      old_kernel.verifier_log = std::move(error.verifier_log);
      return tl::unexpected(old_kernel);
    }
  }
  return tl::unexpected(error);
}

// The rule lists' entries (docs/filter-language.md §7.4) into the object's maps.
Result<void> fill_rule_maps(bpf_object* object, const ObjectFile& file) {
  if (auto filled =
          loader::fill_rule_map(object, layout::kRuleMap, file.rule_keys, file.rule_key_size, file.rule_values);
      !filled)
    return filled;
  return loader::fill_rule_map(object, layout::kRulePrefixMap, file.rule_prefix_keys, file.rule_prefix_key_size,
                               file.rule_prefix_values);
}

Result<ObjectPtr> open_object(const ObjectFile& object, const loader::LibbpfMessages& messages) {
  if (object.bytes.empty()) return make_error(ErrorKind::Internal, "cannot load an empty BPF object");
  LIBBPF_OPTS(bpf_object_open_opts, open_options, .object_name = "bpffw");
  errno = 0;
  ObjectPtr handle(bpf_object__open_mem(object.bytes.data(), object.bytes.size(), &open_options));
  if (!handle) {
    int err = errno ? errno : EINVAL;
    return tl::unexpected(libbpf_error(ErrorKind::Internal, "libbpf cannot read the generated object", err, messages));
  }
  return handle;
}

Result<int> duplicate_fd(int fd) {
  int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (copy < 0) return tl::unexpected(loader::system_error("cannot duplicate the program's fd", errno));
  return copy;
}

}  // namespace

Result<Program> Program::load(const ObjectFile& object) { return load(object, LoadOptions{}); }

Result<Program> Program::load(const ObjectFile& object, const LoadOptions& options) {
  loader::LibbpfMessages messages;
  auto opened = open_object(object, messages);
  if (!opened) return tl::unexpected(opened.error());
  ObjectPtr handle = std::move(*opened);

  bpf_program* program = bpf_object__next_program(handle.get(), nullptr);
  if (program == nullptr || bpf_object__next_program(handle.get(), program) != nullptr)
    return make_error(ErrorKind::Internal, "the generated object must hold exactly one BPF program");

  // Whatever section name the object uses, this is a cgroup_skb program.
  bpf_program__set_type(program, BPF_PROG_TYPE_CGROUP_SKB);
  // Counters that survive --force/--replace (lib/loader/program_maps.hpp).
  if (options.keep_counters_of != nullptr) {
    if (auto kept = loader::reuse_kept_maps(handle.get(), options.keep_counters_of->fd()); !kept)
      return tl::unexpected(kept.error());
  }
  if (auto loaded = load_with_logs(handle.get(), messages); !loaded) return tl::unexpected(loaded.error());

  if (auto bound = loader::bind_parameter_map(handle.get(), bpf_program__fd(program)); !bound)
    return tl::unexpected(bound.error());
  // The named sets' contents, before anyone can attach the program (docs/filter-language.md §9).
  if (auto filled = loader::fill_set_maps(handle.get(), bpf_program__fd(program), object.sets); !filled)
    return tl::unexpected(filled.error());
  if (auto filled = fill_rule_maps(handle.get(), object); !filled) return tl::unexpected(filled.error());
  // The object (and libbpf's copy of the instructions) goes; the Program keeps only its own fd.
  auto fd = duplicate_fd(bpf_program__fd(program));
  if (!fd) return tl::unexpected(fd.error());
  return Program(*fd);
}

Result<std::vector<SocketProgram>> Program::load_socket_programs(const ObjectFile& object,
                                                                 const Program& packet_program) {
  loader::LibbpfMessages messages;
  auto opened = open_object(object, messages);
  if (!opened) return tl::unexpected(opened.error());
  ObjectPtr handle = std::move(*opened);
  // The packet program's sets and parameters, not copies: a set edited live is edited for both.
  if (auto shared = loader::reuse_shared_maps(handle.get(), packet_program.fd()); !shared)
    return tl::unexpected(shared.error());
  if (auto loaded = load_with_logs(handle.get(), messages); !loaded) return tl::unexpected(loaded.error());
  if (auto filled = fill_rule_maps(handle.get(), object); !filled) return tl::unexpected(filled.error());
  std::vector<SocketProgram> programs;
  bpf_program* program = nullptr;
  bpf_object__for_each_program(program, handle.get()) {
    std::string_view section = bpf_program__section_name(program);
    std::optional<SocketHook> hook;
    for (SocketHook candidate : kSocketHooks)
      if (section == std::string("cgroup/") + to_string(candidate)) hook = candidate;
    if (!hook) return make_error(ErrorKind::Internal, "a socket program of unknown section " + std::string(section));
    if (auto bound = loader::bind_parameter_map(handle.get(), bpf_program__fd(program)); !bound)
      return tl::unexpected(bound.error());
    // A program that can refuse nothing does not use its refusal counter: bound, it reads 0.
    if (bpf_map* refusals = bpf_object__find_map_by_name(handle.get(), layout::kRefusalsMap);
        refusals != nullptr && bpf_prog_bind_map(bpf_program__fd(program), bpf_map__fd(refusals), nullptr) != 0)
      return tl::unexpected(loader::system_error("cannot bind the refusal counter to the socket program", errno));
    auto fd = duplicate_fd(bpf_program__fd(program));
    if (!fd) return tl::unexpected(fd.error());
    programs.push_back(SocketProgram{*hook, Program(*fd)});
  }
  // One program per hook of one direction's group, in that order.
  const bool binds =
      !programs.empty() && (programs.front().hook == SocketHook::Bind4 || programs.front().hook == SocketHook::Bind6);
  auto group = socket_hooks(binds ? Direction::Ingress : Direction::Egress);
  bool whole = programs.size() == group.size();
  for (std::size_t i = 0; whole && i < programs.size(); ++i) whole = programs[i].hook == group[i];
  if (!whole) return make_error(ErrorKind::Internal, "the socket programs' object must hold one program per hook");
  return programs;
}

Result<Program> Program::open_pinned(const std::string& path) {
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) {
    int err = errno;
    // bpffs refuses a '.' in a pin's name, and answers a lookup of one in a directory made with
    // mkdir with EPERM: there is no pin by that name, whoever asks.
    std::string name = path.substr(path.rfind('/') + 1);
    bool dotted = name.find('.') != std::string::npos;
    if (err == ENOENT || (err == EPERM && dotted)) {
      // Only a name -o accepts.
      std::string hint = !dotted ? "pin one with: bpffwc -o " + path + " EXPRESSION"
                                 : "a pin's name never contains '.' (bpffs refuses it), so no program is pinned there";
      return make_error(ErrorKind::System, "no pinned program at " + loader::quoted(path), err, hint);
    }
    // BPF_OBJ_GET answers EACCES (or EINVAL) for anything that is not a pin: say what it is.
    if (err == EACCES || err == EINVAL) {
      struct statfs fs{};
      if (::statfs(path.c_str(), &fs) == 0 && static_cast<unsigned long>(fs.f_type) != BPF_FS_MAGIC)
        return make_error(ErrorKind::System, loader::quoted(path) + " is not on a BPF filesystem (bpffs)", err,
                          loader::off_bpffs_hint(path.substr(path.rfind('/') + 1)));
      struct stat st{};
      if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        return make_error(ErrorKind::Usage, loader::quoted(path) + " is a directory, not a pinned program", err);
    }
    return tl::unexpected(loader::system_error("cannot open pin " + loader::quoted(path), err));
  }
  Program program(fd);
  std::string kind = loader::bpf_object_kind(fd);
  if (kind != "prog")
    return make_error(ErrorKind::Usage, loader::quoted(path) + " is a pinned BPF " + (kind.empty() ? "object" : kind) +
                                            ", not a program");
  return program;
}

Result<Program> Program::open_id(std::uint32_t id) {
  int fd = bpf_prog_get_fd_by_id(id);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT)
      return make_error(ErrorKind::Usage, "no loaded program has id " + std::to_string(id), err,
                        "list the attached ones with: bpffwc show CGROUP");
    return tl::unexpected(loader::system_error("cannot open program " + std::to_string(id), err));
  }
  return Program(fd);
}

Result<std::vector<std::uint32_t>> Program::loaded_ids() {
  std::vector<std::uint32_t> ids;
  for (__u32 id = 0;;) {
    if (bpf_prog_get_next_id(id, &id) != 0) {
      if (errno == ENOENT) return ids;
      return tl::unexpected(loader::system_error("cannot list the loaded programs", errno));
    }
    ids.push_back(id);
  }
}

Program::Program(Program&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

Program& Program::operator=(Program&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

Program::~Program() {
  if (fd_ >= 0) ::close(fd_);
}

Result<ProgramInfo> Program::info() const {
  if (fd_ < 0) return make_error(ErrorKind::Internal, "the program has no file descriptor (moved from)");
  bpf_prog_info kernel_info{};
  __u32 length = sizeof kernel_info;
  if (bpf_obj_get_info_by_fd(fd_, &kernel_info, &length) != 0)
    return tl::unexpected(loader::system_error("cannot read the program's info", errno));
  ProgramInfo info;
  info.id = kernel_info.id;
  info.name = std::string(kernel_info.name, strnlen(kernel_info.name, sizeof kernel_info.name));
  info.xlated_bytes = kernel_info.xlated_prog_len;
  info.jited_bytes = kernel_info.jited_prog_len;
  // A kernel that does not know a field of bpf_prog_info reports a shorter length.
  if (length >= offsetof(bpf_prog_info, verified_insns) + sizeof kernel_info.verified_insns)
    info.verified_instructions = kernel_info.verified_insns;
  if (kernel_info.nr_map_ids > 0) {
    // A second call fills the ids; the count may have changed in between only for a new program.
    info.map_ids.resize(kernel_info.nr_map_ids);
    bpf_prog_info ids_info{};
    ids_info.nr_map_ids = kernel_info.nr_map_ids;
    ids_info.map_ids = reinterpret_cast<std::uintptr_t>(info.map_ids.data());
    length = sizeof ids_info;
    if (bpf_obj_get_info_by_fd(fd_, &ids_info, &length) != 0)
      return tl::unexpected(loader::system_error("cannot read the program's map ids", errno));
    info.map_ids.resize(std::min(ids_info.nr_map_ids, kernel_info.nr_map_ids));
  }
  return info;
}

Result<TestRunResult> Program::test_run(std::span<const unsigned char> ethernet_frame, std::uint32_t repeat) const {
  if (fd_ < 0) return make_error(ErrorKind::Internal, "the program has no file descriptor (moved from)");
  if (ethernet_frame.size() < 14)
    return make_error(ErrorKind::Usage, "a test frame needs at least the 14-byte Ethernet header");
  if (repeat > static_cast<std::uint32_t>(std::numeric_limits<int>::max()))
    return make_error(ErrorKind::Usage, "a test run repeats at most 2147483647 times");
  LIBBPF_OPTS(bpf_test_run_opts, options, .data_in = ethernet_frame.data(),
              .data_size_in = static_cast<__u32>(ethernet_frame.size()), .repeat = static_cast<int>(repeat));
  if (bpf_prog_test_run_opts(fd_, &options) != 0) {
    int err = errno;
    Error error = loader::system_error("BPF_PROG_TEST_RUN failed", err);
    if (err == EINVAL) error.hint = "the kernel refuses frames whose IPv4/IPv6 fixed header is cut short";
    return tl::unexpected(error);
  }
  return TestRunResult{options.retval, options.duration};
}

}  // namespace bpffw
