// The library's compile cache (<bpffw/compile_cache.hpp>): the key, and compile(filter, options,
// cache) serving what it stored. No kernel needed; bpffwc's use of it is test/cli/cli_cache_test.
#include <filesystem>
#include <fstream>
#include <iterator>

#include <doctest/doctest.h>

#include <bpffw/compile_cache.hpp>

#include "support/scratch_dir.hpp"

using namespace bpffw;
using bpffw::test::ScratchDir;

namespace {

Filter parse(const std::string& text, ParseOptions options = {}) {
  auto filter = Filter::parse(text, std::move(options));
  REQUIRE_MESSAGE(filter, (filter ? "" : filter.error().message));
  return std::move(*filter);
}

std::string key(const Filter& filter, const CompileOptions& options = {}) {
  return compile_cache_key(filter, options, false, "build");
}

// The default options with one change.
template <class Change>
CompileOptions options_with(Change change) {
  CompileOptions options;
  change(options);
  return options;
}

}  // namespace

TEST_CASE("the key tells apart everything that decides the object, and not the sets' items") {
  const Filter base = parse("udp && dst_port == 53");
  CHECK(key(base) == key(parse("udp && dst_port == 53")));
  CHECK(key(base) != key(parse("udp &&  dst_port == 53")));  // the expression is in the metadata
  CHECK(key(base) != key(parse("udp && dst_port == 53", {.direction = Direction::Egress})));
  CHECK(key(base) != key(base, options_with([](CompileOptions& o) { o.counters = false; })));
  CHECK(key(base) != key(base, options_with([](CompileOptions& o) { o.audit = true; })));
  CHECK(key(base) != key(base, options_with([](CompileOptions& o) { o.log = LogLimit{}; })));
  CHECK(key(base, options_with([](CompileOptions& o) { o.log = LogLimit{}; })) !=
        key(base, options_with([](CompileOptions& o) { o.log = LogLimit{5, 5}; })));
  CHECK(key(base) != key(base, options_with([](CompileOptions& o) { o.optimization_level = 1; })));
  CHECK(key(base) != key(base, options_with([](CompileOptions& o) { o.set_capacity = 1024; })));
  CHECK(key(base) != compile_cache_key(base, {}, true, "build"));
  CHECK(key(base) != compile_cache_key(base, {}, false, "another build"));

  // `ports` with these items, and a second set declared but unused.
  auto with_set = [](const std::string& items, const std::string& unused = "spare") {
    auto parsed = parse_set_items(items);
    REQUIRE(parsed);
    return parse("udp && dst_port in ports", {.sets = {{"ports", *parsed}, {unused, {}}}});
  };
  CHECK(key(with_set("53")) == key(with_set("80, 81")));
  CHECK(key(with_set("53")) != key(with_set("53", "other")));  // the sets declared are in the metadata
  // Enough items to need larger maps: another capacity, another program.
  CHECK(key(with_set("53")) != key(with_set("1..300000")));
  CHECK(key(parse("dst_port == p", {.parameters = {{"p", 1}}})) !=
        key(parse("dst_port == p", {.parameters = {{"p", 2}}})));
}

TEST_CASE("compile through the cache stores once, then serves the same object with the filter's sets") {
  ScratchDir dir("compile-cache");
  CompileCacheOptions options;
  options.directory = dir.path + "/cache";
  auto cache = CompileCache::open(options);
  REQUIRE_MESSAGE(cache, (cache ? "" : cache.error().message));
  auto items = parse_set_items("53, 80");
  REQUIRE(items);
  const Filter filter = parse("udp && dst_port in ports", {.sets = {{"ports", *items}}});
  auto compiled = compile(filter, {}, *cache);
  REQUIRE(compiled);
  REQUIRE(cache->entries().size() == 1);
  auto served = compile(filter, {}, *cache);
  REQUIRE(served);
  CHECK(served->bytes == compiled->bytes);
  CHECK(served->sets == filter.sets());

  // A changed byte: the bundle's checksum fails, the entry goes, and the object is compiled again.
  const std::string entry = dir.path + "/cache/" + cache->entries().front().file;
  std::string bytes;
  {
    std::ifstream in(entry, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 1);
  std::ofstream(entry, std::ios::binary | std::ios::trunc) << bytes;
  auto again = compile(filter, {}, *cache);
  REQUIRE(again);
  CHECK(again->bytes == compiled->bytes);
  CHECK(cache->entries().size() == 1);  // stored again
  CHECK(cache->clear() == 1u);
}

TEST_CASE("a cache directory that another user owns is refused") {
  ScratchDir dir("compile-cache-owner");
  const std::string path = dir.path + "/cache";
  REQUIRE(std::filesystem::create_directory(path));
  REQUIRE(::chown(path.c_str(), 65534, 65534) == 0);
  CompileCacheOptions options;
  options.directory = path;
  auto cache = CompileCache::open(options);
  REQUIRE_FALSE(cache);
  CHECK(cache.error().kind == ErrorKind::Permission);
  CHECK(cache.error().message == "the compile cache at " + path + " is not used: it belongs to user 65534");
}
