// Program::load, info, test_run and open_pinned against the real kernel, with hand-assembled
// programs (bpf_elf_builder), so that these tests do not depend on the code generator.
#include <bpffw/program.hpp>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include <bpf/bpf.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "loader/bpf_elf_builder.hpp"
#include "loader/bpffs_fixture.hpp"
#include "loader/loader_test_support.hpp"

using namespace bpffw;
using namespace bpffw::test;

TEST_CASE("a loaded program is a cgroup_skb program with its fd, name and sizes") {
  require_root_and_bpffs();
  auto program = Program::load(returning(1));
  REQUIRE_MESSAGE(program, (program ? "" : program.error().message));
  CHECK(program->fd() >= 3);
  auto info = program->info();
  REQUIRE(info);
  CHECK(info->id > 0);
  CHECK(info->name == "bpffw_filter");
  CHECK(info->xlated_bytes == 2 * 8);
  CHECK(info->jited_bytes > 0);
  CHECK(info->verified_instructions.value_or(2) >= 2);  // not reported before 5.16

  bpf_prog_info kernel_info{};
  __u32 length = sizeof kernel_info;
  REQUIRE(bpf_obj_get_info_by_fd(program->fd(), &kernel_info, &length) == 0);
  CHECK(kernel_info.type == BPF_PROG_TYPE_CGROUP_SKB);
}

TEST_CASE("test_run returns the program's verdict") {
  require_root_and_bpffs();
  auto pass = Program::load(returning(1));
  auto drop = Program::load(returning(0));
  REQUIRE(pass);
  REQUIRE(drop);
  auto frame = udp_frame(53);
  auto passed = pass->test_run(frame);
  auto dropped = drop->test_run(frame, 100);
  REQUIRE(passed);
  REQUIRE(dropped);
  CHECK(passed->verdict == 1);
  CHECK(dropped->verdict == 0);

  auto too_short = pass->test_run(std::span<const unsigned char>(frame.data(), 10));
  REQUIRE_FALSE(too_short);
  CHECK(too_short.error().kind == ErrorKind::Usage);
}

TEST_CASE("moving a Program moves its fd, a moved-from Program reports an error, not a crash") {
  require_root_and_bpffs();
  auto loaded = Program::load(returning(1));
  REQUIRE(loaded);
  int fd = loaded->fd();
  Program moved = std::move(*loaded);
  CHECK(moved.fd() == fd);
  CHECK(loaded->fd() == -1);
  CHECK_FALSE(loaded->info());
  Program other = std::move(*Program::load(returning(0)));
  other = std::move(moved);
  CHECK(other.fd() == fd);
  CHECK(other.info());
}

TEST_CASE("a verifier refusal is ErrorKind::Verifier with the kernel's log, and nothing on stderr") {
  require_root_and_bpffs();
  StderrCapture stderr_capture;
  // `exit` with r0 never written: the verifier says "R0 !read_ok".
  auto refused = Program::load(build_bpf_object({exit_insn()}));
  std::string printed = stderr_capture.finish();
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind == ErrorKind::Verifier);
  CHECK(refused.error().verifier_log.find("R0 !read_ok") != std::string::npos);
  CHECK(refused.error().message.find("verifier") != std::string::npos);
  CHECK(refused.error().message.find('\n') == std::string::npos);
  CHECK(refused.error().hint.find("bug in bpffw") != std::string::npos);
  CHECK(printed.empty());
}

TEST_CASE("an object that is not a BPF ELF is an internal error with libbpf's reason") {
  require_root_and_bpffs();
  StderrCapture stderr_capture;
  auto garbage = Program::load(ObjectFile{{'n', 'o', 't', ' ', 'e', 'l', 'f'}});
  auto empty = Program::load(ObjectFile{});
  CHECK(stderr_capture.finish().empty());
  REQUIRE_FALSE(garbage);
  REQUIRE_FALSE(empty);
  CHECK(garbage.error().kind == ErrorKind::Internal);
  CHECK(garbage.error().message.find("libbpf cannot read the generated object: ") == 0);
  CHECK(garbage.error().message.find('\n') == std::string::npos);
  CHECK(empty.error().kind == ErrorKind::Internal);
}

TEST_CASE("without privileges, load says it needs root") {
  require_root_and_bpffs();
  // Drop to nobody in a child: setuid from root clears every capability.
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(10);
    auto loaded = Program::load(returning(1));
    if (loaded) ::_exit(11);
    if (loaded.error().kind != ErrorKind::Permission) ::_exit(12);
    if (loaded.error().message != "loading BPF programs needs root (CAP_BPF and CAP_NET_ADMIN)") ::_exit(13);
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("loads from several threads at once each get their own result and log") {
  require_root_and_bpffs();
  StderrCapture stderr_capture;
  std::atomic<int> good_loads{0}, refusals_with_log{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        if (t % 2 == 0) {
          std::uint32_t verdict = t == 0 ? 0 : 1;
          auto program = Program::load(returning(static_cast<std::int32_t>(verdict)));
          auto run = program ? program->test_run(udp_frame(53)) : tl::unexpected(program.error());
          (run && run->verdict == verdict ? good_loads : wrong)++;
        } else {
          auto refused = Program::load(build_bpf_object({exit_insn()}));
          bool own_log = !refused && refused.error().kind == ErrorKind::Verifier &&
                         refused.error().verifier_log.find("R0 !read_ok") != std::string::npos;
          (own_log ? refusals_with_log : wrong)++;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(good_loads == 20);
  CHECK(refusals_with_log == 20);
  CHECK(wrong == 0);
  CHECK(stderr_capture.finish().empty());
}

TEST_CASE("open_pinned: missing path, a map pin, a file outside bpffs") {
  PinDirectory dir;
  auto missing = Program::open_pinned(dir / "missing");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::System);
  CHECK(missing.error().message == "no pinned program at '" + (dir / "missing") + "'");

  int map = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bpffw_test", 4, 8, 1, nullptr);
  REQUIRE(map >= 0);
  REQUIRE(bpf_obj_pin(map, (dir / "a_map").c_str()) == 0);
  ::close(map);
  auto not_a_program = Program::open_pinned(dir / "a_map");
  REQUIRE_FALSE(not_a_program);
  CHECK(not_a_program.error().kind == ErrorKind::Usage);
  CHECK(not_a_program.error().message == "'" + (dir / "a_map") + "' is a pinned BPF map, not a program");

  auto not_bpffs = Program::open_pinned("/proc/self/status");
  REQUIRE_FALSE(not_bpffs);
  CHECK(not_bpffs.error().kind == ErrorKind::System);
  CHECK(not_bpffs.error().message == "'/proc/self/status' is not on a BPF filesystem (bpffs)");
  CHECK(not_bpffs.error().hint == "a pin is a file name under a mounted bpffs, e.g. /sys/fs/bpf/status");

  auto directory = Program::open_pinned(dir.path());
  REQUIRE_FALSE(directory);
  CHECK(directory.error().kind == ErrorKind::Usage);
  CHECK(directory.error().message == "'" + dir.path() + "' is a directory, not a pinned program");
}
