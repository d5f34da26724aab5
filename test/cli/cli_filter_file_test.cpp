// bpffwc -f FILE and -f - (docs/bpffwc.md): a filter kept in a file, over several lines with
// # comments (docs/filter-language.md §2.1); its errors and warnings name FILE:LINE:COLUMN.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <doctest/doctest.h>

#include "cli/run_process.hpp"
#include "loader/bpffs_fixture.hpp"

using namespace bpffw::test;

namespace {

// A file in /tmp holding `text`, removed with the object.
class TextFile {
 public:
  explicit TextFile(const std::string& text) {
    static int count = 0;
    path_ = "/tmp/bpffw-test-" + std::to_string(::getpid()) + "-" + std::to_string(count++) + ".filter";
    std::ofstream(path_) << text;
  }
  ~TextFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const char* const kWebFilter =
    "# what the web server may receive\n"
    "tcp && dst_port in {80, 443}   # HTTP and HTTPS\n"
    "  || icmp                      # ping\n";

}  // namespace

TEST_CASE("bpffwc -f: a commented filter over several lines is compiled, loaded, pinned and judged") {
  require_root_and_bpffs();
  TextFile file(kWebFilter);
  PinDirectory pins("filter-file");
  ProcessResult pinned = run_bpffwc({"-o", pins / "web", "-f", file.path()});
  CHECK(pinned.exit_code == 0);
  CHECK(pinned.err.empty());
  CHECK(path_exists(pins / "web"));
  // The program keeps its source, comments and all: `show` prints it as written.
  ProcessResult shown = run_bpffwc({"show", pins / "web"});
  CHECK(shown.exit_code == 0);
  CHECK(shown.out.find("# HTTP and HTTPS") != std::string::npos);

  ProcessResult judged = run_bpffwc({"test", "-f", file.path(), "-p", "ipv4 tcp dport=443", "-p", "ipv4 tcp dport=22",
                                     "-p", "ipv6 icmpv6", "-p", "ipv4 udp dport=53"});
  CHECK(judged.exit_code == 0);
  CHECK(judged.out ==
        "pass  ipv4 tcp 12345 -> 443, 40 bytes\n"
        "drop  ipv4 tcp 12345 -> 22, 40 bytes\n"
        "pass  ipv6 icmpv6, 48 bytes\n"
        "drop  ipv4 udp 12345 -> 53, 28 bytes\n"
        "judged in the kernel with BPF_PROG_TEST_RUN\n");
}

TEST_CASE("bpffwc -f: an error names the file, the line and the column, with the line and a caret") {
  TextFile file("# allow DNS\n# and nothing else\nudp && dst_prot == 53\n");
  ProcessResult result = run_bpffwc({"--check", "-f", file.path()});
  CHECK(result.exit_code == 1);
  CHECK(result.out.empty());
  CHECK(result.err == "bpffwc: error: " + file.path() +
                          ":3:8: unknown variable 'dst_prot' (did you mean 'dst_port'?)\n" +
                          "  udp && dst_prot == 53\n"
                          "         ^~~~~~~~\n");
  // Warnings too.
  TextFile warned("udp\n  && dst_port == 70000\n");
  ProcessResult warning = run_bpffwc({"--check", "-f", warned.path()});
  CHECK(warning.exit_code == 0);
  CHECK(warning.err.find("bpffwc: warning: " + warned.path() + ":2:6: this comparison is always false") == 0);
}

TEST_CASE("bpffwc -f -: the filter from standard input, named <stdin> in errors") {
  TextFile good(kWebFilter);
  ProcessResult read = run_process("/bin/sh", {"-c", std::string(BPFFWC_PATH) + " --check -f - < " + good.path()});
  CHECK(read.exit_code == 0);
  CHECK(read.err.empty());
  TextFile bad("tcp &&\n");
  ProcessResult refused = run_process("/bin/sh", {"-c", std::string(BPFFWC_PATH) + " --emit ast -f - < " + bad.path()});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("bpffwc: error: <stdin>:1:7: expected an operand after '&&'\n") == 0);
}

TEST_CASE("bpffwc -f: a missing file, or a file and an expression both, are usage errors") {
  ProcessResult missing = run_bpffwc({"--check", "-f", "/nonexistent/web.filter"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("bpffwc: error: cannot read '/nonexistent/web.filter': No such file or directory\n") == 0);
  TextFile file(kWebFilter);
  ProcessResult both = run_bpffwc({"--check", "-f", file.path(), "tcp"});
  CHECK(both.exit_code == 2);
  CHECK(both.err.find("give the expression either as an argument or with -f FILE, not both") != std::string::npos);
  ProcessResult test_both = run_bpffwc({"test", "-f", file.path(), "-p", "ipv4 tcp", "tcp"});
  CHECK(test_both.exit_code == 2);
}
