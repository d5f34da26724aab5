// Set files that would empty a set by accident (issue 27, item 3): a directory, a missing file, a
// file of comments only. Each is refused with exit 2 and the file named, and the live set keeps
// what it had; --allow-empty NAME says that an empty set is meant. Set files larger than a filter
// file may be (16 MiB) load, read piece by piece.
#include <cstdio>
#include <fstream>

#include <sys/stat.h>
#include <unistd.h>

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

Program open_or_fail(const std::string& pin) {
  auto program = Program::open_pinned(pin);
  REQUIRE_MESSAGE(program.has_value(), (program ? "" : program.error().message));
  return std::move(*program);
}

packet::Packet from(std::array<std::uint8_t, 4> source) {
  return packet::PacketBuilder().ipv4({.src = source}).udp(1, 80).build();
}

TEST_CASE("a set file that reads as nothing is refused, and the live set keeps its items") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  ScratchDir scratch("set-files");
  std::string pin = pins.file("blocklist");
  REQUIRE(run_bpffwc({"-o", pin, "--set", "bl=198.51.100.7", "!(src_addr in bl)"}).exit_code == 0);
  packet::Packet attacker = from({198, 51, 100, 7});
  REQUIRE_FALSE(passes(open_or_fail(pin), attacker));

  std::string comments = scratch.write("comments.txt", "# nobody blocked yet\n\n   # really\n");
  std::string empty = scratch.write("empty.txt", "");
  for (const std::string& file : {scratch.path, comments, empty, scratch.path + "/missing.txt"}) {
    CAPTURE(file);
    ProcessResult set = run_bpffwc({"set", pin, "bl=@" + file});
    CHECK_MESSAGE(set.exit_code == 2, describe(set));
    CHECK(set.err.find("'" + file + "'") != std::string::npos);
    CHECK_FALSE(passes(open_or_fail(pin), attacker));  // still blocked

    std::string other_pin = pins.file("other");
    ProcessResult compile = run_bpffwc({"-o", other_pin, "--set-file", "bl=" + file, "!(src_addr in bl)"});
    CHECK_MESSAGE(compile.exit_code == 2, describe(compile));
    CHECK(compile.err.find("'" + file + "'") != std::string::npos);
    struct stat status;
    CHECK(::stat(other_pin.c_str(), &status) != 0);  // nothing pinned
  }
  ProcessResult directory = run_bpffwc({"set", pin, "bl=@" + scratch.path});
  CHECK(directory.err.find("bpffwc: error: cannot read '" + scratch.path + "': it is a directory\n") == 0);
  ProcessResult no_items = run_bpffwc({"set", pin, "bl=@" + comments});
  CHECK(no_items.err.find("bpffwc: error: set file '" + comments + "' has no items: set 'bl' would be empty\n") == 0);
  CHECK(no_items.err.find("--allow-empty bl") != std::string::npos);

  // Said so: the set may be empty.
  ProcessResult allowed = run_bpffwc({"set", pin, "--allow-empty", "bl", "bl=@" + comments});
  REQUIRE_MESSAGE(allowed.exit_code == 0, describe(allowed));
  CHECK(passes(open_or_fail(pin), attacker));
  std::string other_pin = pins.file("other");
  ProcessResult compiled =
      run_bpffwc({"-o", other_pin, "--set-file", "bl=" + empty, "--allow-empty", "bl", "!(src_addr in bl)"});
  REQUIRE_MESSAGE(compiled.exit_code == 0, describe(compiled));
  CHECK(passes(open_or_fail(other_pin), attacker));
}

TEST_CASE("a set file larger than 16 MiB loads, read piece by piece, every line counted") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  ScratchDir scratch("set-files");
  // 17 MiB of comments between items, so that items fall on both sides of every piece read, a
  // comment longer than a piece (the reader grows its buffer), and the last item ends the file
  // without a newline.
  std::string text;
  std::string comment = "# " + std::string(1022, 'x') + "\n";
  for (int i = 0; i < 17 * 1024; ++i) {
    text += comment;
    if (i % 1024 == 0) text += "10.1." + std::to_string(i / 1024) + ".0/24\n";
  }
  text += "# " + std::string(3u << 20, 'y') + "\n";
  text += "192.0.2.9";
  REQUIRE(text.size() > (16u << 20));
  std::string file = scratch.write("large.txt", text);
  std::string pin = pins.file("large");
  ProcessResult compiled = run_bpffwc({"-o", pin, "--set-file", "bl=" + file, "!(src_addr in bl)"});
  REQUIRE_MESSAGE(compiled.exit_code == 0, describe(compiled));
  Program program = open_or_fail(pin);
  CHECK_FALSE(passes(program, from({192, 0, 2, 9})));
  CHECK_FALSE(passes(program, from({10, 1, 16, 200})));
  CHECK(passes(program, from({10, 1, 17, 1})));
  auto sets = read_sets(program);
  REQUIRE(sets.has_value());
  REQUIRE(sets->size() == 1);
  CHECK_MESSAGE(sets->front().items.prefixes.size() == 18, format_set_items(sets->front().items));

  // An error far into the file names its line.
  std::string bad = scratch.write("bad.txt", text + "\n10.0.0.300\n");
  ProcessResult refused = run_bpffwc({"--check", "--set-file", "bl=" + bad, "src_addr in bl"});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("bpffwc: error: " + bad + ":" + std::to_string(17 * 1024 + 17 + 3) + ":1: ") == 0);
}

TEST_CASE("a set declared from a file remembers the file's absolute path, kept by --force --set NAME") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  ScratchDir scratch("set-files");
  // Characters that would end an item of the metadata line: kept, escaped.
  std::string file = scratch.write("odd, name@50%.txt", "192.0.2.1\n");
  std::string pin = pins.file("remembers");
  ProcessResult compiled =
      run_process("/bin/sh", {"-c", "cd " + scratch.path + " && exec " + BPFFWC_PATH + " -o " + pin +
                                        " --set 'bl=10.0.0.1' --set-file 'files=odd, name@50%.txt' "
                                        "'src_addr in bl || src_addr in files'"});
  REQUIRE_MESSAGE(compiled.exit_code == 0, describe(compiled));
  auto metadata = read_metadata(open_or_fail(pin));
  REQUIRE(metadata.has_value());
  CHECK(metadata->sets ==
        std::vector<ProgramMetadata::SetName>{{"bl", SetElement::Address, ""}, {"files", SetElement::Address, file}});
  auto sets = read_sets(open_or_fail(pin));
  REQUIRE(sets.has_value());
  CHECK(sets->at(1).file == file);

  // Kept from the program being replaced, with its items.
  REQUIRE(run_bpffwc({"-o", pin, "--force", "--set", "files", "src_addr in files"}).exit_code == 0);
  metadata = read_metadata(open_or_fail(pin));
  REQUIRE(metadata.has_value());
  CHECK(metadata->sets == std::vector<ProgramMetadata::SetName>{{"files", SetElement::Address, file}});
}

}  // namespace
}  // namespace bpffw::test
