// Compile once, load anywhere: bpffwc --emit bundle, then bpffwc load, against the real kernel.
#include <bpffw/program.hpp>
#include <bpffw/version.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include <unistd.h>

#include <doctest/doctest.h>

#include "cli/run_process.hpp"
#include "e2e/processes.hpp"
#include "loader/bpffs_fixture.hpp"
#include "loader/loader_test_support.hpp"

using namespace bpffw;
using namespace bpffw::test;

namespace {

// A file under /tmp, removed when it goes.
class TempFile {
 public:
  explicit TempFile(const std::string& tag) : path_("/tmp/bpffw-load-test-" + std::to_string(::getpid()) + "-" + tag) {}
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }
  std::string read() const {
    std::ifstream in(path_, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  void write(const std::string& bytes) const { std::ofstream(path_, std::ios::binary | std::ios::trunc) << bytes; }

 private:
  std::string path_;
};

std::string describe(const ProcessResult& result) {
  return "exit " + std::to_string(result.exit_code) + ", stderr: " + result.err;
}

void bpffwc_ok(const std::vector<std::string>& args) {
  ProcessResult result = run_bpffwc(args);
  REQUIRE_MESSAGE(result.exit_code == 0, describe(result));
}

std::uint64_t passed_packets(const std::string& pin) {
  ProcessResult stats = run_bpffwc({"stats", "--json", pin});
  REQUIRE_MESSAGE(stats.exit_code == 0, describe(stats));
  const std::string key = "\"passed_packets\":";
  std::size_t at = stats.out.find(key);
  REQUIRE(at != std::string::npos);
  return std::stoull(stats.out.substr(at + key.size()));
}

// The bundle's FNV-1a 64 checksum, its last 8 bytes, made right again after an edit.
void reseal(std::string& bundle) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (std::size_t i = 0; i + 8 < bundle.size(); ++i)
    hash = (hash ^ static_cast<unsigned char>(bundle[i])) * 0x100000001b3ull;
  for (int i = 0; i < 8; ++i) bundle[bundle.size() - 8 + i] = static_cast<char>(hash >> (8 * i));
}

}  // namespace

TEST_CASE("a bundle loaded with load -o judges as the compiled filter, its set and rule list included") {
  require_root_and_bpffs();
  PinDirectory dir;
  TempFile set_bundle("set"), rules_bundle("rules");
  const std::vector<std::string> set_filter = {"--set", "ports=53,80..90", "udp && dst_port in ports"};
  std::string rules;  // a rule list: its entries are written at load, as a set's items
  for (int i = 0; i < 70; ++i)
    rules += (i ? " || " : "") + std::string("(udp && dst_port == ") + std::to_string(100 + i) + ")";

  std::vector<std::string> emit = {"--emit", "bundle", "-O", set_bundle.path()};
  emit.insert(emit.end(), set_filter.begin(), set_filter.end());
  bpffwc_ok(emit);
  bpffwc_ok({"--emit", "bundle", "-O", rules_bundle.path(), rules});
  ProcessResult loaded = run_bpffwc({"load", set_bundle.path(), "-o", dir / "set-loaded"});
  CHECK_MESSAGE(loaded.exit_code == 0, describe(loaded));
  CHECK(loaded.err.empty());
  bpffwc_ok({"load", rules_bundle.path(), "-o", dir / "rules-loaded"});
  std::vector<std::string> compile = {"-o", dir / "set-compiled"};
  compile.insert(compile.end(), set_filter.begin(), set_filter.end());
  bpffwc_ok(compile);
  bpffwc_ok({"-o", dir / "rules-compiled", rules});

  for (std::uint16_t port : {53, 54, 80, 85, 90, 91, 100, 169, 170}) {
    CAPTURE(port);
    CHECK(udp_verdict(dir / "set-loaded", port) == udp_verdict(dir / "set-compiled", port));
    CHECK(udp_verdict(dir / "rules-loaded", port) == udp_verdict(dir / "rules-compiled", port));
  }
  CHECK(udp_verdict(dir / "set-loaded", 85) == 1);
  CHECK(udp_verdict(dir / "rules-loaded", 169) == 1);
  CHECK(udp_verdict(dir / "rules-loaded", 170) == 0);
  // The set is the program's, live: show lists it.
  ProcessResult shown = run_bpffwc({"show", dir / "set-loaded", "--set", "ports"});
  CHECK(shown.out == "53\n80..90\n");

  // --force over a pin: the new program continues the old one's counters.
  const std::uint64_t passed = passed_packets(dir / "set-loaded");
  CHECK(passed > 0);
  auto old_id = Program::open_pinned(dir / "set-loaded")->info()->id;
  bpffwc_ok({"load", set_bundle.path(), "-o", dir / "set-loaded", "--force"});
  CHECK(Program::open_pinned(dir / "set-loaded")->info()->id != old_id);
  CHECK(passed_packets(dir / "set-loaded") == passed);
  CHECK(udp_verdict(dir / "set-loaded", 53) == 1);
}

TEST_CASE("an egress bundle brings its socket programs, and load --attach attaches them all") {
  require_root_and_bpffs();
  PinDirectory dir;
  TempFile bundle("egress");
  bpffwc_ok({"--emit", "bundle", "-t", "egress", "-O", bundle.path(), "tcp && dst_port == 443"});
  bpffwc_ok({"load", bundle.path(), "-o", dir / "out"});
  CHECK(path_exists(dir / "out-connect4"));
  CHECK(path_exists(dir / "out-sendmsg6"));

  bpffwc_ok({"load", bundle.path(), "-o", dir / "bare", "--no-socket-programs"});
  CHECK(!path_exists(dir / "bare-connect4"));

  e2e::ScratchCgroup cgroup;
  ProcessResult wrong = run_bpffwc({"load", bundle.path(), "--attach", cgroup.path(), "-t", "ingress"});
  CHECK(wrong.exit_code == 2);
  CHECK(wrong.err.find("was compiled for egress (-t egress), not ingress") != std::string::npos);
  CHECK(e2e::attached_ids(cgroup.path(), Direction::Ingress, e2e::Whose::Any).empty());

  bpffwc_ok({"load", bundle.path(), "--attach", cgroup.path(), "-t", "egress", "-o", dir / "attached"});
  CHECK(e2e::attached_ids(cgroup.path(), Direction::Egress, e2e::Whose::Bpffw).size() == 1);
  ProcessResult shown = run_bpffwc({"show", cgroup.path()});
  CHECK(shown.out.find("connect4") != std::string::npos);
  // --replace-everywhere: the program at the pin and in the cgroup is the bundle's new one.
  const auto before = e2e::attached_ids(cgroup.path(), Direction::Egress, e2e::Whose::Bpffw);
  ProcessResult everywhere = run_bpffwc({"load", bundle.path(), "--replace-everywhere", dir / "attached"});
  CHECK_MESSAGE(everywhere.exit_code == 0, describe(everywhere));
  const auto after = e2e::attached_ids(cgroup.path(), Direction::Egress, e2e::Whose::Bpffw);
  REQUIRE(after.size() == 1);
  CHECK(after != before);
  CHECK(Program::open_pinned(dir / "attached")->info()->id == after.front());
  bpffwc_ok({"detach", cgroup.path(), "-t", "egress", "--all"});
}

TEST_CASE("load refuses a damaged bundle, another bpffw's, a plain object and text, pinning nothing") {
  require_root_and_bpffs();
  PinDirectory dir;
  TempFile good("good"), bad("bad");
  bpffwc_ok({"--emit", "bundle", "-O", good.path(), "tcp && dst_port == 22"});
  const std::string bytes = good.read();
  REQUIRE(bytes.rfind("BPFFWOBJ", 0) == 0);

  auto refused = [&](const std::string& content, const std::string& message) {
    bad.write(content);
    ProcessResult result = run_bpffwc({"load", bad.path(), "-o", dir / "x"});
    CHECK_MESSAGE(result.exit_code == 2, describe(result));
    CHECK_MESSAGE(result.err.find(message) != std::string::npos, result.err);
    CHECK(dir.entries().empty());
  };
  std::string flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x01;
  refused(flipped, "is damaged: its checksum does not match");
  refused(bytes.substr(0, bytes.size() - 100), "is damaged");

  // The version right after the magic (8), the format (4) and the text's length (8).
  std::string other = bytes;
  const std::string version = kVersion;
  REQUIRE(other.compare(20, version.size(), version) == 0);
  other[20 + version.size() - 1] = version.back() == '9' ? '8' : '9';
  reseal(other);
  refused(other, "was compiled by bpffw " + other.substr(20, version.size()) + "; this bpffw (" + version + ")");
  std::string format = bytes;
  format[8] = 2;
  reseal(format);
  refused(format, "the bundle is of format 2");

  refused("tcp && dst_port == 22\n", "is not a bpffw bundle");
  TempFile elf("elf");
  bpffwc_ok({"--emit", "obj", "-O", elf.path(), "tcp"});
  refused(elf.read(), "is a plain BPF object (--emit obj), not a bpffw bundle");

  ProcessResult audit = run_bpffwc({"load", good.path(), "--audit", "-o", dir / "x"});
  CHECK(audit.exit_code == 2);
  CHECK(audit.err.find("--audit is fixed when the bundle is compiled") != std::string::npos);
  ProcessResult missing = run_bpffwc({"load", "/nonexistent/web.bpffw", "-o", dir / "x"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("cannot load '/nonexistent/web.bpffw': No such file") != std::string::npos);
  CHECK(dir.entries().empty());
}
