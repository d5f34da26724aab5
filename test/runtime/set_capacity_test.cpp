// How large a program's set maps are (docs/filter-language.md §9, set_capacity_for in
// <bpffw/sets.hpp>): the least power of two at least twice what the sets hold, or the default when
// that is more. A set filled from a file then takes as many live additions again, or a whole
// replace; past the capacity a change is refused and changes nothing.
#include <cstdio>
#include <string>

#include <unistd.h>

#include <doctest/doctest.h>

#include "cli/run_process.hpp"
#include "layout/map_layout.hpp"
#include "loader/program_maps.hpp"
#include "runtime/runtime_test_support.hpp"
#include "support/kernel_env.hpp"
#include "support/scratch_dir.hpp"

namespace bpffw::test {
namespace {

// Distinct IPv4 addresses, the i-th 10.x.y.z with x.y.z = i: as set file lines or as items.
std::string address(std::uint32_t i) {
  return "10." + std::to_string(i >> 16 & 255) + "." + std::to_string(i >> 8 & 255) + "." + std::to_string(i & 255);
}
std::string address_lines(std::uint32_t first, std::uint32_t count) {
  std::string text;
  for (std::uint32_t i = first; i < first + count; ++i) text += address(i) + "\n";
  return text;
}
SetItems address_items(std::uint32_t first, std::uint32_t count) {
  auto items = parse_set_file_text(address_lines(first, count));
  REQUIRE(items.has_value());
  return std::move(*items);
}

std::uint32_t max_entries(const Program& program, const char* map) {
  auto found = loader::find_program_map(program.fd(), map);
  REQUIRE(found.has_value());
  REQUIRE(found->has_value());
  return (*found)->info.max_entries;
}

TEST_CASE("set_capacity_for is the least power of two at least twice the entries, up to the maximum") {
  CHECK(set_capacity_for(0) == 1);
  CHECK(set_capacity_for(1) == 2);
  CHECK(set_capacity_for(5000) == 16384);
  CHECK(set_capacity_for(8192) == 16384);
  CHECK(set_capacity_for(8193) == 32768);
  CHECK(set_capacity_for(500000) == 1048576);
  CHECK(set_capacity_for(kMaxSetCapacity / 2) == kMaxSetCapacity);
  CHECK(set_capacity_for(kMaxSetCapacity / 2 + 1) == kMaxSetCapacity);
  CHECK(set_capacity_for(std::uint64_t{1} << 40) == kMaxSetCapacity);
}

TEST_CASE("a set filled from a file takes as many live additions again, then is refused and unchanged") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  std::string pin = pins.file("grown");
  constexpr std::uint32_t kFile = 10000;  // above half the default of 16,384 whole addresses
  const ScratchDir scratch("set-capacity");
  const std::string file = scratch.write("s.txt", address_lines(0, kFile));
  ProcessResult loaded = run_bpffwc({"-o", pin, "--set-file", "s=" + file, "src_addr in s"});
  REQUIRE_MESSAGE(loaded.exit_code == 0, loaded.err);
  auto program = Program::open_pinned(pin);
  REQUIRE(program.has_value());
  const std::uint32_t capacity = max_entries(*program, layout::kIpv4ExactSetMap);
  CHECK(capacity == 32768);
  CHECK(max_entries(*program, layout::kIpv6ExactSetMap) == kDefaultExactAddressSetCapacity);

  // As many again, live: the documented headroom.
  REQUIRE(add_to_set(*program, "s", address_items(kFile, kFile)).has_value());
  // The rest of the map, then one more than it holds: refused, and the set is as it was.
  const std::uint32_t rest = capacity - 2 * kFile;
  REQUIRE(add_to_set(*program, "s", address_items(2 * kFile, rest)).has_value());
  auto full = add_to_set(*program, "s", address_items(capacity, 1));
  REQUIRE_FALSE(full.has_value());
  CHECK(full.error().kind == ErrorKind::Usage);
  CHECK(full.error().message == "the set map is full");
  CHECK(full.error().hint.find("--set-capacity") != std::string::npos);
  auto sets = read_sets(*program);
  REQUIRE(sets.has_value());
  CHECK((*sets)[0].items.prefixes.size() == capacity);
}

TEST_CASE("a set filled from a file can be replaced whole by one of the same size") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  std::string pin = pins.file("replaced");
  constexpr std::uint32_t kFile = 9000;
  const ScratchDir scratch("set-capacity");
  const std::string file = scratch.write("s.txt", address_lines(0, kFile));
  ProcessResult loaded = run_bpffwc({"-o", pin, "--set-file", "s=" + file, "src_addr in s"});
  REQUIRE_MESSAGE(loaded.exit_code == 0, loaded.err);
  auto program = Program::open_pinned(pin);
  REQUIRE(program.has_value());
  CHECK(max_entries(*program, layout::kIpv4ExactSetMap) == set_capacity_for(kFile));
  REQUIRE(replace_set(*program, "s", address_items(kFile, kFile)).has_value());
  auto sets = read_sets(*program);
  REQUIRE(sets.has_value());
  CHECK((*sets)[0].items.prefixes.size() == kFile);
  auto kept = match_in_set(*program, "s", address_items(kFile, 1));
  REQUIRE(kept.has_value());
  CHECK(kept->has_value());
  auto gone = match_in_set(*program, "s", address_items(0, 1));
  REQUIRE(gone.has_value());
  CHECK_FALSE(gone->has_value());
}

}  // namespace
}  // namespace bpffw::test
