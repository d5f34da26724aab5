// Inspecting a named set (docs/bpffwc.md, "Inspecting a set"): `bpffwc show PIN --set NAME` lists
// the live items as a set file takes them, `--match VALUE` names the entry a packet's value meets
// by the program's own lookups; the library's visit_set and match_in_set underneath. Real kernel:
// pinned programs, packets through BPF_PROG_TEST_RUN to show the listing is what the program sees.
#include <algorithm>
#include <cstdio>
#include <sstream>

#include <unistd.h>

#include <doctest/doctest.h>

#include "cli/run_process.hpp"
#include "packet/packet_spec.hpp"
#include "runtime/runtime_test_support.hpp"
#include "support/kernel_env.hpp"

namespace bpffw::test {
namespace {

std::string describe(const ProcessResult& result) {
  return "exit " + std::to_string(result.exit_code) + "\nstdout: " + result.out.substr(0, 2000) +
         "\nstderr: " + result.err;
}

void bpffwc_ok(const std::vector<std::string>& args) {
  ProcessResult result = run_bpffwc(args);
  REQUIRE_MESSAGE(result.exit_code == 0, describe(result));
}

std::vector<std::string> sorted_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

// `show PIN --set NAME`'s lines, sorted (an address set is listed in the maps' order).
std::vector<std::string> listed(const std::string& pin, const std::string& name) {
  ProcessResult show = run_bpffwc({"show", pin, "--set", name});
  REQUIRE_MESSAGE(show.exit_code == 0, describe(show));
  return sorted_lines(show.out);
}

ProcessResult match(const std::string& pin, const std::string& name, const std::string& value) {
  return run_bpffwc({"show", pin, "--set", name, "--match", value});
}

Program open_or_fail(const std::string& pin) {
  auto program = Program::open_pinned(pin);
  REQUIRE_MESSAGE(program.has_value(), (program ? "" : program.error().message));
  return std::move(*program);
}

bool passes_spec(const std::string& pin, const std::string& words) {
  auto packet = packet::parse_packet_spec(words);
  REQUIRE_MESSAGE(packet.has_value(), words);
  return passes(open_or_fail(pin), *packet);
}

// A file removed when the test ends, however it ends.
struct ScratchFile {
  std::string path = "/tmp/bpffw-set-listing-" + std::to_string(::getpid()) + ".txt";
  explicit ScratchFile(const std::string& text) {
    std::FILE* out = std::fopen(path.c_str(), "w");
    REQUIRE(out != nullptr);
    std::fwrite(text.data(), 1, text.size(), out);
    std::fclose(out);
  }
  ~ScratchFile() { std::remove(path.c_str()); }
};

TEST_CASE("bpffwc show --set lists an address set's live items and set +=/-=/=@FILE change the listing") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  std::string pin = pins.file("web");
  bpffwc_ok({"-o", pin, "--set", "s=10.0.0.0/8, 10.1.0.0/16, 192.0.2.1, 10.1.2.3, 2001:db8::/32, fd00::1, ::/0",
             "src_addr in s"});
  CHECK(listed(pin, "s") ==
        sorted_lines("10.0.0.0/8\n10.1.0.0/16\n192.0.2.1\n10.1.2.3\n2001:db8::/32\nfd00::1\n::/0\n"));

  bpffwc_ok({"set", pin, "s+=198.51.100.0/24,2001:db8::7", "s-=10.1.0.0/16,fd00::1"});
  std::vector<std::string> now =
      sorted_lines("10.0.0.0/8\n192.0.2.1\n10.1.2.3\n2001:db8::/32\n::/0\n198.51.100.0/24\n2001:db8::7\n");
  CHECK(listed(pin, "s") == now);

  // The listing is a set file: replaced by itself, the set is the same.
  ProcessResult show = run_bpffwc({"show", pin, "--set", "s"});
  REQUIRE_MESSAGE(show.exit_code == 0, describe(show));
  ScratchFile file(show.out);
  bpffwc_ok({"set", pin, "s=@" + file.path});
  CHECK(listed(pin, "s") == now);
  // JSON: one array of the same strings.
  ProcessResult json = run_bpffwc({"show", "--json", pin, "--set", "s"});
  REQUIRE_MESSAGE(json.exit_code == 0, describe(json));
  CHECK(json.out.front() == '[');
  CHECK(json.out.ends_with("]\n"));
  CHECK(std::count(json.out.begin(), json.out.end(), ',') == static_cast<long>(now.size()) - 1);
  CHECK(json.out.find("\"198.51.100.0/24\"") != std::string::npos);
}

TEST_CASE("bpffwc show --set --match names the whole address or the longest prefix, as the packet path sees it") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  std::string pin = pins.file("m");
  bpffwc_ok({"-o", pin, "--set", "s=10.0.0.0/8, 10.1.0.0/16, 10.1.2.3, 2001:db8::/32, 2001:db8:1::/48, fd00::1",
             "src_addr in s"});
  struct Case {
    const char* value;
    const char* entry;  // "" for none
  };
  for (Case c : {Case{"10.1.2.3", "10.1.2.3"}, Case{"10.1.2.4", "10.1.0.0/16"}, Case{"10.2.0.1", "10.0.0.0/8"},
                 Case{"11.0.0.1", ""}, Case{"2001:db8:1::5", "2001:db8:1::/48"}, Case{"2001:db8:2::5", "2001:db8::/32"},
                 Case{"fd00::1", "fd00::1"}, Case{"fd00::2", ""}}) {
    ProcessResult found = match(pin, "s", c.value);
    bool hit = *c.entry != '\0';
    CHECK_MESSAGE(found.exit_code == (hit ? 0 : 1), c.value << ": " << describe(found));
    CHECK_MESSAGE(found.out == (hit ? std::string(c.entry) + "\n" : ""), c.value);
    // What the packet path sees: the program passes exactly the packets whose source matched.
    std::string family = std::string(c.value).find(':') != std::string::npos ? "ipv6" : "ipv4";
    CHECK_MESSAGE(passes_spec(pin, family + " src=" + c.value + " udp dport=53") == hit, c.value);
  }
  ProcessResult none = match(pin, "s", "11.0.0.1");
  CHECK(none.err == "bpffwc: note: no entry of set 's' matches 11.0.0.1\n");
  ProcessResult json = run_bpffwc({"show", pin, "--json", "--set", "s", "--match", "10.9.9.9"});
  CHECK(json.exit_code == 0);
  CHECK(json.out == "{\"set\":\"s\",\"value\":\"10.9.9.9\",\"match\":\"10.0.0.0/8\"}\n");
  ProcessResult json_none = run_bpffwc({"show", pin, "--json", "--set", "s", "--match", "11.0.0.1"});
  CHECK(json_none.exit_code == 1);
  CHECK(json_none.out == "{\"set\":\"s\",\"value\":\"11.0.0.1\",\"match\":null}\n");

  // Removed, the /16 no longer answers: the /8 does.
  bpffwc_ok({"set", pin, "s-=10.1.0.0/16"});
  CHECK(match(pin, "s", "10.1.2.4").out == "10.0.0.0/8\n");
  // A prefix or a port is no packet address; an address is no port.
  ProcessResult prefix = match(pin, "s", "10.0.0.0/8");
  CHECK(prefix.exit_code == 2);
  CHECK(prefix.err.find("is not one integer or one address") != std::string::npos);
  ProcessResult port = match(pin, "s", "80");
  CHECK(port.exit_code == 2);
  CHECK(port.err.find("set 's' holds addresses, not integers") != std::string::npos);
  ProcessResult bad = match(pin, "s", "10.0.0.300");
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("bpffwc: error: bad --match value '10.0.0.300'") == 0);
}

TEST_CASE("bpffwc show --set lists a port set as ranges and --match names the range") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  std::string pin = pins.file("ports");
  bpffwc_ok({"-o", pin, "--set", "ports=8000..8100, 22, 80, 443", "--set", "empty=", "dst_port in ports",
             "--set-capacity", "1024"});
  ProcessResult show = run_bpffwc({"show", pin, "--set", "ports"});
  REQUIRE_MESSAGE(show.exit_code == 0, describe(show));
  CHECK(show.out == "22\n80\n443\n8000..8100\n");  // ascending
  bpffwc_ok({"set", pin, "ports+=8101,81", "ports-=8050,443"});
  CHECK(run_bpffwc({"show", pin, "--set", "ports"}).out == "22\n80..81\n8000..8049\n8051..8101\n");
  CHECK(run_bpffwc({"show", pin, "--set", "ports", "--json"}).out ==
        "[\"22\",\"80..81\",\"8000..8049\",\"8051..8101\"]\n");
  ProcessResult in_range = match(pin, "ports", "8060");
  CHECK(in_range.exit_code == 0);
  CHECK(in_range.out == "8051..8101\n");
  CHECK(match(pin, "ports", "22").out == "22\n");
  CHECK(match(pin, "ports", "8050").exit_code == 1);
  CHECK(passes(open_or_fail(pin), udp_packet(8060, 4)));
  CHECK_FALSE(passes(open_or_fail(pin), udp_packet(8050, 4)));

  ProcessResult empty = run_bpffwc({"show", pin, "--set", "empty"});
  CHECK(empty.exit_code == 0);
  CHECK(empty.out.empty());
  CHECK(run_bpffwc({"show", pin, "--set", "empty", "--json"}).out == "[]\n");
}

TEST_CASE("bpffwc show --set of an unknown set names the program's sets and a program without sets says so") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  std::string pin = pins.file("two");
  bpffwc_ok({"-o", pin, "--set", "ports=22", "--set", "blocklist=10.0.0.0/8",
             "dst_port in ports && !(src_addr in blocklist)"});
  ProcessResult unknown = run_bpffwc({"show", pin, "--set", "blocklst"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err ==
        "bpffwc: error: the program has no set 'blocklst' (did you mean 'blocklist'?)\n"
        "bpffwc: hint: its sets: ports, blocklist\n");
  CHECK(unknown.out.empty());
  CHECK(match(pin, "nope", "1").exit_code == 2);

  std::string plain = pins.file("plain");
  bpffwc_ok({"-o", plain, "udp"});
  ProcessResult none = run_bpffwc({"show", plain, "--set", "s"});
  CHECK(none.exit_code == 2);
  CHECK(none.err ==
        "bpffwc: error: the program has no set 's'\n"
        "bpffwc: hint: it was compiled without --set or --set-file\n");

  ProcessResult alone = run_bpffwc({"show", pin, "--match", "22"});
  CHECK(alone.exit_code == 2);
  CHECK(alone.err.find("bpffwc: error: --match needs --set NAME") == 0);
  ProcessResult cgroup = run_bpffwc({"show", "self", "--set", "ports"});
  CHECK(cgroup.exit_code == 2);
  CHECK(cgroup.err.find("give its PIN or id:N, not a cgroup") != std::string::npos);
}

TEST_CASE("a set of 10^5 items is listed whole and batch by batch (bpffwc and visit_set)") {
  require_root();
  ensure_bpffs();
  ScopedPinDir pins;
  std::string pin = pins.file("big");
  constexpr int kItems = 100000;
  std::string items;
  items.reserve(kItems * 14);
  for (int i = 0; i < kItems; ++i)
    items +=
        "10." + std::to_string(i >> 16) + "." + std::to_string(i >> 8 & 255) + "." + std::to_string(i & 255) + "\n";
  ScratchFile file(items);
  bpffwc_ok({"-o", pin, "--set-capacity", "262144", "--set-file", "s=" + file.path, "src_addr in s"});
  ProcessResult show = run_bpffwc({"show", pin, "--set", "s"});
  REQUIRE_MESSAGE(show.exit_code == 0, describe(show));
  CHECK(sorted_lines(show.out) == sorted_lines(items));

  // The library hands the items on in batches of at most 8192, and stops when asked.
  Program program = open_or_fail(pin);
  std::size_t total = 0, batches = 0, largest = 0;
  auto visited = visit_set(program, "s", [&](const SetItems& batch) {
    total += batch.prefixes.size();
    largest = std::max(largest, batch.prefixes.size());
    ++batches;
    return true;
  });
  REQUIRE(visited.has_value());
  CHECK(total == kItems);
  CHECK(largest <= 8192);
  CHECK(batches >= kItems / 8192);
  std::size_t calls = 0;
  REQUIRE(visit_set(program, "s", [&](const SetItems&) { return ++calls < 2; }).has_value());
  CHECK(calls == 2);
  auto sets = read_sets(program);
  REQUIRE(sets.has_value());
  CHECK((*sets)[0].items.prefixes.size() == kItems);
}

}  // namespace
}  // namespace bpffw::test
