// Live set edits are not lost silently (issue 27, item 2): `bpffwc set` on a set declared from a
// file says that the next reload from the file will undo the change; `--save` writes the change
// into the file too, atomically, keeping its comments and order; removing an item the set does not
// hold, or one a wider prefix still matches, is noted. Verdicts through the pinned program
// (BPF_PROG_TEST_RUN); the set files in a scratch directory.
#include <dirent.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include <doctest/doctest.h>

#include "cli/run_process.hpp"
#include "runtime/runtime_test_support.hpp"
#include "support/kernel_env.hpp"
#include "support/scratch_dir.hpp"

namespace bpffw::test {
namespace {

std::string describe(const ProcessResult& result) {
  return "exit " + std::to_string(result.exit_code) + "\nstdout: " + result.out + "\nstderr: " + result.err;
}

ProcessResult bpffwc_ok(const std::vector<std::string>& args) {
  ProcessResult result = run_bpffwc(args);
  REQUIRE_MESSAGE(result.exit_code == 0, describe(result));
  return result;
}

Program open_or_fail(const std::string& pin) {
  auto program = Program::open_pinned(pin);
  REQUIRE_MESSAGE(program.has_value(), (program ? "" : program.error().message));
  return std::move(*program);
}

packet::Packet from(std::array<std::uint8_t, 4> source, std::uint16_t port = 80) {
  packet::Ipv4Fields ip;
  ip.src = source;
  return packet::PacketBuilder().ipv4(ip).udp(1, port).build();
}

bool passes_from(const std::string& pin, std::array<std::uint8_t, 4> source) {
  return passes(open_or_fail(pin), from(source));
}

bool passes_to_port(const std::string& pin, std::uint16_t port) {
  return passes(open_or_fail(pin), packet::PacketBuilder().ipv4().udp(1, port).build());
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The names in a directory, sorted, without . and ..
std::vector<std::string> listing(const std::string& path) {
  std::vector<std::string> names;
  if (DIR* dir = ::opendir(path.c_str())) {
    while (dirent* entry = ::readdir(dir))
      if (std::string name = entry->d_name; name != "." && name != "..") names.push_back(name);
    ::closedir(dir);
  }
  std::sort(names.begin(), names.end());
  return names;
}

struct stat stat_or_fail(const std::string& path) {
  struct stat status{};
  REQUIRE(::stat(path.c_str(), &status) == 0);
  return status;
}

const char* const kFilter = "!(src_addr in bl)";

TEST_CASE("a live change to a set read from a file is undone by the next reload, and set says so") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  ScratchDir scratch("set-save");
  std::string file = scratch.write("bl.txt", "192.0.2.1\n");
  std::string pin = pins.file("web");
  bpffwc_ok({"-o", pin, "--set-file", "bl=" + file, kFilter});
  REQUIRE(passes_from(pin, {198, 51, 100, 7}));

  ProcessResult set = bpffwc_ok({"set", pin, "bl+=198.51.100.7"});
  CHECK(set.err == "bpffwc: note: set 'bl' is read from " + file +
                       " at every reload: the next reload will undo this change (--save writes it to the file too)\n");
  CHECK_FALSE(passes_from(pin, {198, 51, 100, 7}));

  // The reload of a named filter: the file wins, as the note said.
  bpffwc_ok({"--replace-everywhere", pin, "--set-file", "bl=" + file, kFilter});
  CHECK(passes_from(pin, {198, 51, 100, 7}));
  CHECK_FALSE(passes_from(pin, {192, 0, 2, 1}));

  // Every kind of change is noted, except a replace from the set's own file.
  for (const std::string& change :
       std::vector<std::string>{"bl-=192.0.2.1", "bl=10.0.0.1", "bl=@" + scratch.write("other.txt", "10.0.0.2\n")}) {
    CAPTURE(change);
    ProcessResult noted = bpffwc_ok({"set", pin, change});
    CHECK(noted.err.find("bpffwc: note: set 'bl' is read from " + file + " at every reload") == 0);
  }
  ProcessResult own = bpffwc_ok({"set", pin, "bl=@" + file});
  CHECK(own.err == "");
  CHECK_FALSE(passes_from(pin, {192, 0, 2, 1}));
}

TEST_CASE("set --save writes +=, -= and = into the set file, keeping its comments and order") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  ScratchDir scratch("set-save");
  std::string file = scratch.write("bl.txt",
                                   "# blocklist of web\n"
                                   "192.0.2.1  # scanner\n"
                                   "198.51.100.0/24, 203.0.113.5   # a net and a host\n"
                                   "\n"
                                   "# the end\n"
                                   "2001:db8::1");  // no final newline
  std::string pin = pins.file("web");
  bpffwc_ok({"-o", pin, "--set-file", "bl=" + file, kFilter});

  // += appends what the file does not hold yet.
  ProcessResult added = bpffwc_ok({"set", pin, "--save", "bl+=203.0.113.5,10.9.9.9,10.9.9.9"});
  CHECK(added.err == "");
  CHECK(read_text(file) ==
        "# blocklist of web\n192.0.2.1  # scanner\n198.51.100.0/24, 203.0.113.5   # a net and a host\n\n"
        "# the end\n2001:db8::1\n10.9.9.9\n");
  CHECK_FALSE(passes_from(pin, {10, 9, 9, 9}));
  // ... and the reload keeps it now.
  bpffwc_ok({"--replace-everywhere", pin, "--set-file", "bl=" + file, kFilter});
  CHECK_FALSE(passes_from(pin, {10, 9, 9, 9}));

  // -= takes the items out of their lines: a line left empty goes with its comment.
  ProcessResult removed = bpffwc_ok({"set", pin, "--save", "bl-=203.0.113.5,192.0.2.1"});
  CHECK(removed.err == "");
  CHECK(read_text(file) ==
        "# blocklist of web\n198.51.100.0/24   # a net and a host\n\n# the end\n2001:db8::1\n10.9.9.9\n");
  CHECK(passes_from(pin, {192, 0, 2, 1}));
  CHECK(passes_from(pin, {203, 0, 113, 5}));
  CHECK_FALSE(passes_from(pin, {198, 51, 100, 9}));

  // = keeps the lines without items where they are, the new items where the first item line was.
  bpffwc_ok({"set", pin, "--save", "bl=10.1.1.1,10.2.2.0/24"});
  CHECK(read_text(file) == "# blocklist of web\n10.1.1.1\n10.2.2.0/24\n\n# the end\n");
  CHECK(passes_from(pin, {198, 51, 100, 9}));
  CHECK_FALSE(passes_from(pin, {10, 2, 2, 200}));
  bpffwc_ok({"--replace-everywhere", pin, "--set-file", "bl=" + file, kFilter});
  CHECK(passes_from(pin, {198, 51, 100, 9}));
  CHECK_FALSE(passes_from(pin, {10, 2, 2, 200}));
  CHECK_FALSE(passes_from(pin, {10, 1, 1, 1}));

  // =@OTHER writes OTHER's items; =@ its own file leaves it alone.
  std::string other = scratch.write("other.txt", "# other\n192.0.2.77\n");
  bpffwc_ok({"set", pin, "--save", "bl=@" + other});
  CHECK(read_text(file) == "# blocklist of web\n192.0.2.77\n\n# the end\n");
  CHECK_FALSE(passes_from(pin, {192, 0, 2, 77}));
  ProcessResult own = bpffwc_ok({"set", pin, "--save", "bl=@" + file});
  CHECK(own.err == "");
}

TEST_CASE("set --save on an integer set splits a range the removed integer lies in") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  ScratchDir scratch("set-save");
  std::string file = scratch.write("ports.txt", "22  # ssh\n8000..8100, 9000 # alternates\n");
  std::string pin = pins.file("ports");
  bpffwc_ok({"-o", pin, "--set-file", "ports=" + file, "dst_port in ports"});
  bpffwc_ok({"set", pin, "--save", "ports-=8050,9000"});
  CHECK(read_text(file) == "22  # ssh\n8000..8049, 8051..8100 # alternates\n");
  CHECK_FALSE(passes_to_port(pin, 8050));
  CHECK(passes_to_port(pin, 8051));
  bpffwc_ok({"set", pin, "--save", "ports+=20..25"});
  CHECK(read_text(file) == "22  # ssh\n8000..8049, 8051..8100 # alternates\n20..21\n23..25\n");
  CHECK(passes_to_port(pin, 20));
}

TEST_CASE("set --save replaces the file atomically: a new inode, the same mode and owner, no file left over") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  ScratchDir scratch("set-save");
  std::string file = scratch.write("bl.txt", "192.0.2.1\n");
  REQUIRE(::chmod(file.c_str(), 0640) == 0);
  REQUIRE(::chown(file.c_str(), 65534, 65534) == 0);
  std::string pin = pins.file("web");
  bpffwc_ok({"-o", pin, "--set-file", "bl=" + file, kFilter});
  struct stat before = stat_or_fail(file);
  bpffwc_ok({"set", pin, "--save", "bl+=192.0.2.2"});
  struct stat after = stat_or_fail(file);
  CHECK(after.st_ino != before.st_ino);
  CHECK((after.st_mode & 07777) == 0640);
  CHECK(after.st_uid == 65534);
  CHECK(after.st_gid == 65534);
  CHECK(listing(scratch.path) == std::vector<std::string>{"bl.txt"});

  // Through a symbolic link: the file it leads to is rewritten, the link stays.
  std::string link = scratch.path + "/link.txt";
  REQUIRE(::symlink(file.c_str(), link.c_str()) == 0);
  std::string linked_pin = pins.file("linked");
  bpffwc_ok({"-o", linked_pin, "--set-file", "bl=" + link, kFilter});
  bpffwc_ok({"set", linked_pin, "--save", "bl+=192.0.2.3"});
  CHECK(read_text(file) == "192.0.2.1\n192.0.2.2\n192.0.2.3\n");
  struct stat link_status{};
  REQUIRE(::lstat(link.c_str(), &link_status) == 0);
  CHECK(S_ISLNK(link_status.st_mode));

  // A map change that fails (items of the other type) leaves the file, and nothing beside it.
  ProcessResult wrong = run_bpffwc({"set", pin, "--save", "bl+=22"});
  CHECK_MESSAGE(wrong.exit_code == 2, describe(wrong));
  CHECK(read_text(file) == "192.0.2.1\n192.0.2.2\n192.0.2.3\n");
  CHECK(listing(scratch.path) == std::vector<std::string>{"bl.txt", "link.txt"});

  // A line of the file that is not items: refused before anything changes, with its place.
  scratch.write("bl.txt", "192.0.2.1\n  10.0.0.300\n");
  ProcessResult bad = run_bpffwc({"set", pin, "--save", "bl+=192.0.2.4"});
  CHECK_MESSAGE(bad.exit_code == 2, describe(bad));
  CHECK(bad.err.find("bpffwc: error: " + file + ":2:3: ") == 0);
  CHECK(passes_from(pin, {192, 0, 2, 4}));
  CHECK(listing(scratch.path) == std::vector<std::string>{"bl.txt", "link.txt"});
}

TEST_CASE("set --save on a set without a file is a usage error that changes nothing") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  ScratchDir scratch("set-save");
  std::string file = scratch.write("bl.txt", "192.0.2.1\n");
  std::string pin = pins.file("web");
  bpffwc_ok({"-o", pin, "--set", "ports=22", "--set-file", "bl=" + file, "--param", "limit=1",
             "dst_port in ports && !(src_addr in bl) && len > limit"});
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"set", pin, "--save", "bl+=198.51.100.7", "ports+=80"},
        std::vector<std::string>{"set", pin, "--save", "limit=100", "ports+=80"}}) {
    ProcessResult refused = run_bpffwc(args);
    CHECK_MESSAGE(refused.exit_code == 2, describe(refused));
    CHECK(refused.err.find("bpffwc: error: cannot save set 'ports': it was not declared from a file\n") == 0);
  }
  ProcessResult no_set = run_bpffwc({"set", pin, "--save", "limit=100"});
  CHECK_MESSAGE(no_set.exit_code == 2, describe(no_set));
  CHECK(no_set.err.find("bpffwc: error: --save writes set changes into the sets' files") == 0);

  CHECK(read_text(file) == "192.0.2.1\n");
  CHECK(passes(open_or_fail(pin), from({198, 51, 100, 7}, 22)));
  CHECK_FALSE(passes_to_port(pin, 80));
  auto parameters = read_parameters(open_or_fail(pin));
  REQUIRE(parameters.has_value());
  CHECK(parameters->at(0).value == 1);
}

TEST_CASE("removing an item the set does not hold, or one a wider prefix still matches, is noted") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  std::string pin = pins.file("web");
  bpffwc_ok({"-o", pin, "--set", "bl=198.51.100.0/24,198.51.100.7,192.0.2.1,2001:db8::/32,2001:db8::1", "--set",
             "ports=22,80..90", "dst_port in ports && !(src_addr in bl)"});

  ProcessResult covered = bpffwc_ok({"set", pin, "bl-=198.51.100.7,203.0.113.9,2001:db8::1"});
  CHECK(covered.err ==
        "bpffwc: note: set 'bl' did not hold 203.0.113.9: nothing to remove there\n"
        "bpffwc: note: 198.51.100.7 is no longer in set 'bl', but 198.51.100.0/24 still matches it\n"
        "bpffwc: note: 2001:db8::1 is no longer in set 'bl', but 2001:db8::/32 still matches it\n");
  CHECK_FALSE(passes(open_or_fail(pin), from({198, 51, 100, 7})));

  // Removed and matched by nothing: no note.
  ProcessResult plain = bpffwc_ok({"set", pin, "bl-=192.0.2.1"});
  CHECK(plain.err == "");
  CHECK(passes(open_or_fail(pin), from({192, 0, 2, 1})));

  ProcessResult integers = bpffwc_ok({"set", pin, "ports-=85..95,22,1000"});
  CHECK(integers.err == "bpffwc: note: set 'ports' did not hold 91..95 and 1000: nothing to remove there\n");
  CHECK(passes_to_port(pin, 84));
  CHECK_FALSE(passes_to_port(pin, 85));
  CHECK_FALSE(passes_to_port(pin, 22));

  // Many: the first 20 shown, then a count.
  std::string many = "bl-=";
  for (int i = 1; i <= 25; ++i) many += (i == 1 ? "" : ",") + std::string("203.0.113.") + std::to_string(i);
  ProcessResult absent = bpffwc_ok({"set", pin, many});
  CHECK(absent.err.find(", 203.0.113.19, 203.0.113.20 and 5 more: nothing to remove there\n") != std::string::npos);
}

TEST_CASE("remove_from_set hands back what it removed") {
  require_root();
  Program program = load_or_fail(
      parse_or_fail("!(src_addr in bl)", {.sets = {{"bl", *parse_set_items("192.0.2.1,192.0.2.2,10.0.0.0/8")}}}));
  SetItems removed;
  REQUIRE(remove_from_set(program, "bl", *parse_set_items("192.0.2.2,192.0.2.9,10.0.0.0/8"), &removed));
  CHECK(removed == *parse_set_items("192.0.2.2,10.0.0.0/8"));
}

}  // namespace
}  // namespace bpffw::test
