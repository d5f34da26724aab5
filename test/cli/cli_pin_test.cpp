// bpffwc -o / --force / --emit against the real kernel and bpffs.
#include <bpffw/program.hpp>

#include <cstdio>
#include <fstream>
#include <iterator>

#include <sys/stat.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "cli/run_process.hpp"
#include "loader/bpffs_fixture.hpp"
#include "loader/loader_test_support.hpp"

using namespace bpffw;
using namespace bpffw::test;

namespace {

const std::string kF1 = "icmp || (udp && dst_port == 53) || (tcp && dst_port == 80)";

std::uint32_t verdict(const Program& program, std::uint16_t udp_port) {
  auto run = program.test_run(udp_frame(udp_port));
  REQUIRE_MESSAGE(run, (run ? "" : run.error().message));
  return run->verdict;
}

Program open_pin(const std::string& path) {
  auto program = Program::open_pinned(path);
  REQUIRE_MESSAGE(program, (program ? "" : program.error().message));
  return std::move(*program);
}

std::uint32_t id_of(const Program& program) {
  auto info = program.info();
  REQUIRE(info);
  return info->id;
}

}  // namespace

TEST_CASE("bpffwc -o pins F1 silently, with no clang, llc or bpftool on PATH") {
  PinDirectory dir;
  const std::string pin = dir / "port-firewall";
  ProcessResult result = run_bpffwc({"-o", pin, kF1}, ProcessOptions{.env = {"PATH=/nonexistent"}});
  CHECK(result.exit_code == 0);
  CHECK(result.out.empty());
  CHECK(result.err.empty());

  struct stat st{};
  REQUIRE(::stat(pin.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  Program program = open_pin(pin);
  auto info = program.info();
  REQUIRE(info);
  CHECK(info->name == "bpffw_filter");
  CHECK(verdict(program, 53) == 1);
  CHECK(verdict(program, 54) == 0);
  CHECK(dir.entries() == std::vector<std::string>{"port-firewall"});
}

TEST_CASE("an existing pin needs --force, --force replaces it") {
  PinDirectory dir;
  const std::string pin = dir / "filter";
  REQUIRE(run_bpffwc({"-o", pin, "udp && dst_port == 53"}).exit_code == 0);
  std::uint32_t old_id = id_of(open_pin(pin));

  ProcessResult refused = run_bpffwc({"-o", pin, "udp && dst_port == 54"});
  CHECK(refused.exit_code == 2);
  CHECK(refused.err == "bpffwc: error: pin '" + pin + "' already exists; use --force to replace it\n");
  CHECK(id_of(open_pin(pin)) == old_id);
  CHECK(verdict(open_pin(pin), 53) == 1);

  ProcessResult forced = run_bpffwc({"--force", "-o", pin, "udp && dst_port == 54"});
  CHECK(forced.exit_code == 0);
  CHECK(forced.err.empty());
  Program replaced = open_pin(pin);
  CHECK(id_of(replaced) != old_id);
  CHECK(verdict(replaced, 53) == 0);
  CHECK(verdict(replaced, 54) == 1);

  // --force on a path that does not exist simply pins.
  ProcessResult fresh = run_bpffwc({"-o", dir / "fresh", "--force", "--", "-1 < len"});
  CHECK(fresh.exit_code == 0);
  CHECK(fresh.err.empty());
  CHECK(verdict(open_pin(dir / "fresh"), 1) == 1);
  CHECK(dir.entries() == std::vector<std::string>{"filter", "fresh"});
}

TEST_CASE("-o outside bpffs, into a missing directory or with a dotted name: nothing is created") {
  PinDirectory dir;
  const std::string outside = "/tmp/bpffw-cli-test-" + std::to_string(::getpid());
  ProcessResult not_bpffs = run_bpffwc({"-o", outside, kF1});
  CHECK(not_bpffs.exit_code == 3);
  CHECK(not_bpffs.err == "bpffwc: error: '" + outside +
                             "' is not on a BPF filesystem (bpffs)\n"
                             "bpffwc: hint: a pin is a file name under a mounted bpffs, e.g. /sys/fs/bpf/" +
                             outside.substr(5) + "\n");
  CHECK_FALSE(path_exists(outside));

  // A bare name is in the current directory, off bpffs too; the bpffs mount itself is a directory.
  ProcessResult bare = run_bpffwc({"-o", "ux_pin", kF1});
  CHECK(bare.exit_code == 3);
  CHECK(bare.err ==
        "bpffwc: error: 'ux_pin' is not on a BPF filesystem (bpffs)\n"
        "bpffwc: hint: a pin is a file name under a mounted bpffs, e.g. /sys/fs/bpf/ux_pin\n");
  ProcessResult mount = run_bpffwc({"-o", "/sys/fs/bpf", kF1});
  CHECK(mount.exit_code == 2);
  CHECK(mount.err ==
        "bpffwc: error: pin path '/sys/fs/bpf' is a directory; a pin needs a file name in it\n"
        "bpffwc: hint: e.g. /sys/fs/bpf/NAME\n");
  ProcessResult directory = run_bpffwc({"-o", dir.path(), kF1});
  CHECK(directory.exit_code == 2);
  CHECK(directory.err == "bpffwc: error: pin path '" + dir.path() +
                             "' is a directory; a pin needs a file name in it\n"
                             "bpffwc: hint: e.g. " +
                             dir.path() + "/NAME\n");

  ProcessResult missing_dir = run_bpffwc({"--force", "-o", dir / "nope/filter", kF1});
  CHECK(missing_dir.exit_code == 3);
  CHECK(missing_dir.err == "bpffwc: error: directory '" + (dir / "nope") +
                               "' does not exist\n"
                               "bpffwc: hint: create it on bpffs first, e.g. mkdir -p " +
                               (dir / "nope") + "\n");

  ProcessResult dotted = run_bpffwc({"-o", dir / "port.firewall", kF1});
  CHECK(dotted.exit_code == 2);
  CHECK(dotted.err ==
        "bpffwc: error: pin name 'port.firewall' contains '.', which bpffs does not allow\n"
        "bpffwc: hint: use another character, e.g. 'port-firewall'\n");
  CHECK(dir.entries().empty());
}

TEST_CASE("without root, -o says loading needs root, --emit still works") {
  PinDirectory dir;
  ProcessResult result = run_bpffwc({"-o", dir / "filter", kF1}, ProcessOptions{.as_nobody = true});
  CHECK(result.exit_code == 3);
  CHECK(result.err ==
        "bpffwc: error: loading BPF programs needs root (CAP_BPF and CAP_NET_ADMIN)\n"
        "bpffwc: hint: run as root, e.g. with sudo\n");
  CHECK(dir.entries().empty());

  ProcessResult emitted = run_bpffwc({"--emit", "asm", kF1}, ProcessOptions{.as_nobody = true});
  CHECK(emitted.exit_code == 0);
  CHECK(emitted.err.empty());
  CHECK(emitted.out.find("exit") != std::string::npos);
}

TEST_CASE("--emit obj writes an ELF BPF object that loads and filters") {
  require_root_and_bpffs();
  ProcessResult result = run_bpffwc({"--emit", "obj", kF1});
  CHECK(result.exit_code == 0);
  CHECK(result.err.empty());
  REQUIRE(result.out.size() > 64);
  CHECK(result.out.compare(0, 4,
                           "\x7f"
                           "ELF") == 0);
  CHECK(static_cast<unsigned char>(result.out[18]) == 247);  // e_machine EM_BPF

  ObjectFile object{std::vector<unsigned char>(result.out.begin(), result.out.end())};
  auto program = Program::load(object);
  REQUIRE_MESSAGE(program, (program ? "" : program.error().message));
  CHECK(verdict(*program, 53) == 1);
  CHECK(verdict(*program, 5353) == 0);

  // -O FILE gets the same bytes.
  const std::string file = "/tmp/bpffw-cli-test-" + std::to_string(::getpid()) + ".o";
  ProcessResult to_file = run_bpffwc({"--emit", "obj", "-O", file, kF1});
  CHECK(to_file.exit_code == 0);
  CHECK(to_file.out.empty());
  std::ifstream in(file, std::ios::binary);
  std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(written == result.out);
  std::remove(file.c_str());

  ProcessResult unwritable = run_bpffwc({"--emit", "obj", "-O", "/nonexistent/dir/f.o", kF1});
  CHECK(unwritable.exit_code == 3);
  CHECK(unwritable.err.rfind("bpffwc: error: cannot write '/nonexistent/dir/f.o': ", 0) == 0);
}

// Sets and rule lists are map entries bpffw writes when it loads: an object another tool loads
// has none, and a deny list in it would let everything through. --emit obj says so.
TEST_CASE("--emit obj warns when the object's maps need entries only bpffw's load writes") {
  std::string rules;
  for (int i = 0; i < 70; ++i)
    rules += (i ? " || " : "") + std::string("(udp && dst_port == ") + std::to_string(i) + ")";
  const std::string file = "/tmp/bpffw-cli-test-" + std::to_string(::getpid()) + ".o";
  ProcessResult deny = run_bpffwc({"--emit", "obj", "-O", file, "!(" + rules + ")"});
  CHECK(deny.exit_code == 0);
  CHECK(deny.err.find("bpffwc: warning: the object's maps need 70 rule-list entries that bpffw writes when it loads") ==
        0);
  ProcessResult set = run_bpffwc({"--emit", "obj", "-O", file, "--set", "ports=22,80", "tcp && dst_port in ports"});
  CHECK(set.exit_code == 0);
  CHECK(set.err.find("1 set(s)") != std::string::npos);
  ProcessResult plain = run_bpffwc({"--emit", "obj", "-O", file, kF1});
  CHECK(plain.exit_code == 0);
  CHECK(plain.err.empty());
  std::remove(file.c_str());
}

TEST_CASE("--emit asm, llvm and ast print text") {
  ProcessResult assembly = run_bpffwc({"--emit", "asm", kF1});
  CHECK(assembly.exit_code == 0);
  CHECK(assembly.out.find("bpffw_filter:") != std::string::npos);
  CHECK(assembly.out.find("exit") != std::string::npos);

  ProcessResult ir = run_bpffwc({"--emit", "llvm", kF1});
  CHECK(ir.exit_code == 0);
  CHECK(ir.out.find("define") != std::string::npos);
  CHECK(ir.out.find("@bpffw_filter") != std::string::npos);

  ProcessResult ast = run_bpffwc({"--emit", "ast", "tcp && dst_port == 80"});
  CHECK(ast.exit_code == 0);
  CHECK(ast.out.find("variable dst_port 1:8") != std::string::npos);
  CHECK(ast.out.find("literal 80") != std::string::npos);

  for (const ProcessResult* r : {&assembly, &ir, &ast}) CHECK(r->err.empty());
}
