// Program::pin on bpffs: mode 0600, CreateNew vs Replace, atomic replacement, and that every
// failure leaves nothing behind.
#include <bpffw/program.hpp>

#include <atomic>
#include <cerrno>
#include <thread>

#include <bpf/bpf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "loader/bpffs_fixture.hpp"
#include "loader/loader_test_support.hpp"

using namespace bpffw;
using namespace bpffw::test;

namespace {

Program load_returning(int verdict) {
  auto program = Program::load(returning(verdict));
  REQUIRE_MESSAGE(program, (program ? "" : program.error().message));
  return std::move(*program);
}

std::uint32_t id_of(const Program& program) {
  auto info = program.info();
  REQUIRE(info);
  return info->id;
}

std::uint32_t pinned_id(const std::string& path) {
  auto program = Program::open_pinned(path);
  REQUIRE_MESSAGE(program, (program ? "" : program.error().message));
  return id_of(*program);
}

}  // namespace

TEST_CASE("pin creates a 0600 pin that opens as the same program") {
  PinDirectory dir;
  Program program = load_returning(1);
  auto pinned = program.pin(dir / "filter");
  REQUIRE_MESSAGE(pinned, (pinned ? "" : pinned.error().message));
  struct stat st{};
  REQUIRE(::stat((dir / "filter").c_str(), &st) == 0);
  CHECK(S_ISREG(st.st_mode));
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(pinned_id(dir / "filter") == id_of(program));
  CHECK(dir.entries() == std::vector<std::string>{"filter"});
}

TEST_CASE("the pin is 0600 whatever the umask") {
  PinDirectory dir;
  Program program = load_returning(1);
  mode_t old_umask = ::umask(0277);
  auto pinned = program.pin(dir / "strict");
  auto replaced = program.pin(dir / "strict", PinMode::Replace);
  ::umask(old_umask);
  REQUIRE(pinned);
  REQUIRE(replaced);
  struct stat st{};
  REQUIRE(::stat((dir / "strict").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
}

TEST_CASE("CreateNew on an existing pin fails and leaves the old pin") {
  PinDirectory dir;
  Program old_program = load_returning(1);
  Program new_program = load_returning(0);
  REQUIRE(old_program.pin(dir / "filter"));
  auto again = new_program.pin(dir / "filter", PinMode::CreateNew);
  REQUIRE_FALSE(again);
  CHECK(again.error().kind == ErrorKind::Usage);
  CHECK(again.error().message == "pin '" + (dir / "filter") + "' already exists; use --force to replace it");
  CHECK(pinned_id(dir / "filter") == id_of(old_program));
  CHECK(dir.entries() == std::vector<std::string>{"filter"});
}

TEST_CASE("Replace swaps the pin, the path never goes missing") {
  PinDirectory dir;
  const std::string path = dir / "filter";
  Program first = load_returning(1);
  Program second = load_returning(0);
  REQUIRE(first.pin(path));

  std::atomic<bool> stop{false};
  std::atomic<long> checks{0}, missing{0};
  std::thread watcher([&] {
    struct stat st{};
    while (!stop) {
      if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) ++missing;
      ++checks;
    }
  });
  bool all_replaced = true;
  for (int i = 0; i < 300; ++i) {
    const Program& next = i % 2 == 0 ? second : first;
    if (!next.pin(path, PinMode::Replace)) all_replaced = false;
  }
  stop = true;
  watcher.join();
  CHECK(all_replaced);
  CHECK(checks > 300);
  CHECK(missing == 0);
  // 300 replaces, the last (i = 299) pinned `first`.
  CHECK(pinned_id(path) == id_of(first));
  REQUIRE(second.pin(path, PinMode::Replace));
  CHECK(pinned_id(path) == id_of(second));
  struct stat st{};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(dir.entries() == std::vector<std::string>{"filter"});
}

TEST_CASE("Replace on a missing path simply pins") {
  PinDirectory dir;
  Program program = load_returning(1);
  REQUIRE(program.pin(dir / "fresh", PinMode::Replace));
  CHECK(pinned_id(dir / "fresh") == id_of(program));
  CHECK(dir.entries() == std::vector<std::string>{"fresh"});
}

TEST_CASE("a path outside bpffs is refused with the mount hint, and nothing is created") {
  require_root_and_bpffs();
  Program program = load_returning(1);
  const std::string path = "/tmp/bpffw-pin-test-" + std::to_string(::getpid());
  for (PinMode mode : {PinMode::CreateNew, PinMode::Replace}) {
    auto pinned = program.pin(path, mode);
    REQUIRE_FALSE(pinned);
    CHECK(pinned.error().kind == ErrorKind::System);
    CHECK(pinned.error().message == "'" + path + "' is not on a BPF filesystem (bpffs)");
    CHECK(pinned.error().hint == "a pin is a file name under a mounted bpffs, e.g. /sys/fs/bpf/" + path.substr(5));
    CHECK_FALSE(path_exists(path));
  }
}

TEST_CASE("a missing directory is refused, and nothing is created") {
  PinDirectory dir;
  Program program = load_returning(1);
  const std::string path = dir / "no-such-dir/filter";
  for (PinMode mode : {PinMode::CreateNew, PinMode::Replace}) {
    auto pinned = program.pin(path, mode);
    REQUIRE_FALSE(pinned);
    CHECK(pinned.error().kind == ErrorKind::System);
    CHECK(pinned.error().message == "directory '" + (dir / "no-such-dir") + "' does not exist");
    CHECK_FALSE(pinned.error().hint.empty());
  }
  CHECK(dir.entries().empty());
}

TEST_CASE("failures leave no temporary pin and the old pin untouched") {
  PinDirectory dir;
  Program old_program = load_returning(1);
  Program new_program = load_returning(0);
  REQUIRE(old_program.pin(dir / "filter"));

  // Replace onto a directory: the temporary pin is made, rename(2) fails, the temporary goes.
  REQUIRE(::mkdir((dir / "subdir").c_str(), 0700) == 0);
  auto onto_directory = new_program.pin(dir / "subdir", PinMode::Replace);
  REQUIRE_FALSE(onto_directory);
  CHECK(onto_directory.error().kind == ErrorKind::Usage);

  // Replace a map pin: refused, the map stays.
  int map = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bpffw_test", 4, 8, 1, nullptr);
  REQUIRE(map >= 0);
  REQUIRE(bpf_obj_pin(map, (dir / "a_map").c_str()) == 0);
  ::close(map);
  auto onto_map = new_program.pin(dir / "a_map", PinMode::Replace);
  REQUIRE_FALSE(onto_map);
  CHECK(onto_map.error().kind == ErrorKind::Usage);
  CHECK(onto_map.error().message ==
        "'" + (dir / "a_map") + "' is a pinned BPF map, not a program; refusing to replace it");

  // Names bpffs does not allow.
  auto dotted = new_program.pin(dir / "port.firewall");
  REQUIRE_FALSE(dotted);
  CHECK(dotted.error().kind == ErrorKind::Usage);
  CHECK(dotted.error().message == "pin name 'port.firewall' contains '.', which bpffs does not allow");
  auto trailing_slash = new_program.pin(dir / "x/", PinMode::Replace);
  REQUIRE_FALSE(trailing_slash);
  CHECK(trailing_slash.error().kind == ErrorKind::Usage);
  auto empty = new_program.pin("");
  REQUIRE_FALSE(empty);
  CHECK(empty.error().kind == ErrorKind::Usage);

  auto existing = new_program.pin(dir / "filter");
  REQUIRE_FALSE(existing);

  CHECK(pinned_id(dir / "filter") == id_of(old_program));
  CHECK(dir.entries() == std::vector<std::string>{"a_map", "filter", "subdir"});
}

TEST_CASE("a moved-from Program cannot be pinned") {
  PinDirectory dir;
  Program program = load_returning(1);
  Program taken = std::move(program);
  auto pinned = program.pin(dir / "filter");
  REQUIRE_FALSE(pinned);
  CHECK(pinned.error().kind == ErrorKind::Internal);
  CHECK(dir.entries().empty());
}
