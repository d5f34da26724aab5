// The compile cache (docs/bpffwc.md, "The compile cache"), against the real kernel: a hit is served
// by the small bpffwc without its compiler module and without bpffwc-full; what it loads judges as the filter compiled;
// only what root alone could have written is used; damage means a compile, never a load.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <bpffw/program.hpp>

#include "cli/run_process.hpp"
#include "loader/bpffs_fixture.hpp"
#include "loader/loader_test_support.hpp"
#include "support/scratch_dir.hpp"

using namespace bpffw;
using namespace bpffw::test;
namespace fs = std::filesystem;

namespace {

std::string describe(const ProcessResult& result) {
  return "exit " + std::to_string(result.exit_code) + ", stderr: " + result.err;
}

// A copy of bpffwc, its compiler module and bpffwc-full, so that the test may take them away, with a
// cache of its own.
struct Installation {
  ScratchDir dir{"cache-test"};
  std::string bpffwc = dir.path + "/bpffwc";
  std::string module = dir.path + "/bpffwc-compiler.so";
  std::string full = dir.path + "/bpffwc-full";
  std::string cache = dir.path + "/cache";
  std::vector<std::string> env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "BPFFW_CACHE_DIR=" + cache};

  Installation() {
    fs::copy_file(BPFFWC_PATH, bpffwc);
    fs::copy_file(BPFFWC_COMPILER_PATH, module);
    fs::copy_file(BPFFWC_FULL_PATH, full);
  }
  ProcessResult run(const std::vector<std::string>& args) const { return run_process(bpffwc, args, {env}); }
  void ok(const std::vector<std::string>& args) const {
    ProcessResult result = run(args);
    REQUIRE_MESSAGE(result.exit_code == 0, describe(result));
  }
  // Succeeds, and loads the compiler module (a compile) or not (a cache hit): the dynamic loader
  // says what it loads (LD_DEBUG=files, on standard error).
  void ok_compiling(const std::vector<std::string>& args, bool compiling) const {
    std::vector<std::string> observed = env;
    observed.push_back("LD_DEBUG=files");
    ProcessResult result = run_process(bpffwc, args, {observed});
    REQUIRE_MESSAGE(result.exit_code == 0, describe(result));
    const bool loaded = result.err.find("file=" + module) != std::string::npos;
    CHECK_MESSAGE(loaded == compiling,
                  (std::string(compiling ? "not compiled: " : "compiled, not a cache hit: ") + result.err));
  }
  // A hit, also with a compiler module that cannot be loaded: its first 4 KiB, the ELF header and
  // the build id that the cache's key names, and nothing more.
  void hit(const std::vector<std::string>& args) const {
    installed_file(module, false);
    {
      std::ifstream whole(module + ".aside", std::ios::binary);
      std::string head(4096, '\0');
      whole.read(head.data(), static_cast<std::streamsize>(head.size()));
      std::ofstream(module, std::ios::binary) << head;
    }
    ok_compiling(args, false);
    fs::rename(module + ".aside", module);
  }
  void compile(const std::vector<std::string>& args) const { ok_compiling(args, true); }
  // Moved aside, or back.
  static void installed_file(const std::string& path, bool installed) {
    const std::string aside = path + ".aside";
    fs::rename(installed ? aside : path, installed ? path : aside);
  }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    if (fs::exists(cache))
      for (const auto& entry : fs::directory_iterator(cache)) names.push_back(entry.path().string());
    return names;
  }
};

// F compiled once, pinned at pins/first: the cache holds its one entry.
struct RootAndBpffs {
  RootAndBpffs() { require_root_and_bpffs(); }
};
struct CompiledOnce : RootAndBpffs {
  PinDirectory pins;
  Installation installed;
  const std::string filter = "udp && dst_port == 53";
  CompiledOnce() {
    installed.ok({"-o", pins / "first", filter});
    REQUIRE(installed.entries().size() == 1);
  }
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE_FIXTURE(CompiledOnce, "a cache hit is loaded by the small bpffwc alone and judges as the filter compiled") {
  Installation::installed_file(installed.full, false);
  installed.hit({"-o", pins / "second", filter});
  CHECK(udp_verdict(pins / "second", 53) == 1);
  CHECK(udp_verdict(pins / "second", 54) == 0);
  // Anything else needs the compiler, and --no-cache compiles.
  installed.compile({"--no-cache", "-o", pins / "third", filter});
  CHECK(udp_verdict(pins / "third", 53) == 1);
  // Without it, a clear error, and nothing pinned.
  Installation::installed_file(installed.module, false);
  ProcessResult other = installed.run({"-o", pins / "fourth", "udp && dst_port == 54"});
  CHECK(other.exit_code == 3);
  CHECK_MESSAGE(other.err.find("bpffwc: error: cannot load the compiler: ") == 0, other.err);
  CHECK_MESSAGE(other.err.find("bpffwc-compiler.so: cannot open shared object file") != std::string::npos, other.err);
  CHECK_MESSAGE(other.err.find("bpffwc: hint: bpffwc is installed incompletely") != std::string::npos, other.err);
  CHECK_FALSE(fs::exists(pins / "fourth"));
  // A shared object that is not bpffwc's compiler is refused, not called.
  fs::copy_file("/lib/x86_64-linux-gnu/libz.so.1", installed.module);
  ProcessResult foreign = installed.run({"-o", pins / "fourth", "udp && dst_port == 54"});
  CHECK(foreign.exit_code == 3);
  CHECK_MESSAGE(foreign.err.find("is not bpffwc's compiler") != std::string::npos, foreign.err);
  CHECK_FALSE(fs::exists(pins / "fourth"));
  fs::remove(installed.module);
  // A compiler of another build (its build token changed in a copy) is refused before anything
  // crosses: the objects would not have its layout.
  std::string module_bytes = read_file(installed.module + ".aside");
  const std::size_t token = module_bytes.find(BPFFWC_BUILD_TOKEN);
  REQUIRE(token != std::string::npos);
  module_bytes[token] = module_bytes[token] == '9' ? '8' : '9';
  std::ofstream(installed.module, std::ios::binary) << module_bytes;
  ProcessResult other_build = installed.run({"-o", pins / "fourth", "udp && dst_port == 54"});
  CHECK(other_build.exit_code == 3);
  CHECK_MESSAGE(other_build.err.find("this bpffwc of build " BPFFWC_BUILD_TOKEN) != std::string::npos, other_build.err);
  CHECK_FALSE(fs::exists(pins / "fourth"));
  fs::remove(installed.module);
  Installation::installed_file(installed.module, true);
  Installation::installed_file(installed.full, true);
  REQUIRE(::unlink((pins / "third").c_str()) == 0);

  // The options are part of the key: another entry.
  installed.ok({"--no-counters", "-o", pins / "third", filter});
  CHECK(installed.entries().size() == 2);
  ProcessResult shown = installed.run({"cache", "show"});
  CHECK(shown.exit_code == 0);
  CHECK_MESSAGE(shown.out.find("2 entries") != std::string::npos, shown.out);
  CHECK_MESSAGE(shown.out.find(filter) != std::string::npos, shown.out);
  ProcessResult cleared = installed.run({"cache", "clear"});
  CHECK_MESSAGE(cleared.out == "removed 2 entries from " + installed.cache + "\n", cleared.out);
  CHECK(installed.entries().empty());
}

TEST_CASE("a compile the cache does not serve runs in bpffwc itself, with its compiler module") {
  require_root_and_bpffs();
  PinDirectory pins;
  Installation installed;
  Installation::installed_file(installed.full, false);  // no second process to hand a compile to
  installed.ok({"-o", pins / "first", "udp && dst_port == 53"});
  CHECK(udp_verdict(pins / "first", 53) == 1);
  CHECK(udp_verdict(pins / "first", 54) == 0);
  installed.ok({"--no-cache", "-o", pins / "second", "udp && dst_port == 54"});
  CHECK(udp_verdict(pins / "second", 54) == 1);

  ProcessResult emitted = installed.run({"--emit", "asm", "udp"});
  CHECK_MESSAGE(emitted.exit_code == 0, describe(emitted));
  CHECK_MESSAGE(emitted.out.find("exit") != std::string::npos, emitted.out);
  ProcessResult refused = installed.run({"--check", "udp && dst_prot == 53"});
  CHECK(refused.exit_code == 1);
  CHECK_MESSAGE(refused.err.find("bpffwc: error: 1:8: ") == 0, refused.err);
  // An expression on standard input, read once, by bpffwc.
  ProcessResult piped = run_process(
      "/bin/sh", {"-c", "echo 'udp && dst_port == 55' | " + installed.bpffwc + " -o " + (pins / "third") + " -f -"},
      {installed.env});
  CHECK_MESSAGE(piped.exit_code == 0, describe(piped));
  CHECK(udp_verdict(pins / "third", 55) == 1);
  CHECK(udp_verdict(pins / "third", 53) == 0);
}

TEST_CASE("a named set's items are not part of the key: a hit loads the set as its file holds it now") {
  require_root_and_bpffs();
  PinDirectory pins;
  Installation installed;
  const std::string set_file = installed.dir.write("ports", "53\n");
  const std::vector<std::string> compile = {"--set-file", "ports=" + set_file, "udp && dst_port in ports"};
  std::vector<std::string> first = {"-o", pins / "first"};
  first.insert(first.end(), compile.begin(), compile.end());
  installed.ok(first);

  installed.dir.write("ports", "80\n81\n");
  std::vector<std::string> second = {"-o", pins / "second"};
  second.insert(second.end(), compile.begin(), compile.end());
  installed.hit(second);
  CHECK(udp_verdict(pins / "second", 53) == 0);
  CHECK(udp_verdict(pins / "second", 80) == 1);
  CHECK(udp_verdict(pins / "second", 81) == 1);
  CHECK(udp_verdict(pins / "first", 53) == 1);
  CHECK(installed.entries().size() == 1);
}

TEST_CASE_FIXTURE(CompiledOnce, "a damaged entry is compiled again, never loaded") {
  const std::string entry = installed.entries().front();
  std::string bytes = read_file(entry);
  // A byte of the object itself (the bundle's checksum covers it), past the key.
  bytes[bytes.size() - 100] = static_cast<char>(bytes[bytes.size() - 100] ^ 0x55);
  std::ofstream(entry, std::ios::binary | std::ios::trunc) << bytes;

  installed.compile({"-o", pins / "second", filter});
  CHECK(udp_verdict(pins / "second", 53) == 1);
  CHECK(udp_verdict(pins / "second", 54) == 0);
  CHECK(read_file(entry) != bytes);  // stored again, whole
}

TEST_CASE_FIXTURE(CompiledOnce, "only entries and a directory that root alone could have written are used") {
  const std::string entry = installed.entries().front();

  SUBCASE("an entry of another user") { REQUIRE(::chown(entry.c_str(), 65534, 65534) == 0); }
  SUBCASE("an entry others can write to") { REQUIRE(::chmod(entry.c_str(), 0666) == 0); }
  installed.compile({"-o", pins / "second", filter});  // not used: a miss
  struct stat status{};
  REQUIRE(::stat(entry.c_str(), &status) == 0);
  CHECK(status.st_uid == 0);  // replaced by one of root's
  CHECK((status.st_mode & 0777) == 0600);
}

TEST_CASE("a cache directory others can write to is not used, with a note saying how to mend it") {
  require_root_and_bpffs();
  PinDirectory pins;
  Installation installed;
  REQUIRE(::mkdir(installed.cache.c_str(), 0700) == 0);
  REQUIRE(::chmod(installed.cache.c_str(), 0770) == 0);
  ProcessResult loaded = installed.run({"-o", pins / "first", "udp && dst_port == 53"});
  CHECK_MESSAGE(loaded.exit_code == 0, describe(loaded));
  CHECK_MESSAGE(loaded.err.find("bpffwc: note: the compile cache at " + installed.cache +
                                " is not used: its mode is 0770, not 0700 (make it root's and writable by root "
                                "alone: chown root: " +
                                installed.cache + "; chmod 0700 " + installed.cache + ")") != std::string::npos,
                loaded.err);
  CHECK(installed.entries().empty());
  CHECK(udp_verdict(pins / "first", 53) == 1);
}

TEST_CASE("the cache keeps within its bound, the least recently used entries leaving first") {
  require_root_and_bpffs();
  PinDirectory pins;
  Installation installed;
  installed.ok({"-o", pins / "sizer", "udp && dst_port == 1"});
  const auto entry_bytes = fs::file_size(installed.entries().front());
  // Room for two entries of about this size, not three.
  installed.env.push_back("BPFFW_CACHE_MAX_BYTES=" + std::to_string(entry_bytes * 2 + entry_bytes / 2));
  installed.ok({"-o", pins / "two", "udp && dst_port == 2"});
  REQUIRE(installed.entries().size() == 2);
  // "1" is used again (a hit) after "2" was stored: "2" is now the least recently used.
  installed.ok({"-o", pins / "one-again", "udp && dst_port == 1"});
  installed.ok({"-o", pins / "three", "udp && dst_port == 3"});
  ProcessResult shown = installed.run({"cache", "show"});
  CHECK_MESSAGE(shown.out.find("2 entries") != std::string::npos, shown.out);
  CHECK_MESSAGE(shown.out.find("dst_port == 1") != std::string::npos, shown.out);
  CHECK_MESSAGE(shown.out.find("dst_port == 3") != std::string::npos, shown.out);
  CHECK_MESSAGE(shown.out.find("dst_port == 2") == std::string::npos, shown.out);
}
