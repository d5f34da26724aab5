// Keeps the user documentation honest: every subcommand and long option that `bpffwc --help` and
// `bpffwc SUB --help` list must appear in the manual page, in docs/bpffwc.md and in the bash
// completion, and the manual page must render without a single warning. A new option without
// documentation fails here, with its name.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <doctest/doctest.h>

#include "cli/run_process.hpp"

using namespace bpffw::test;

namespace {

std::string read_source_file(const std::string& relative) {
  std::string path = std::string(BPFFW_SOURCE_DIR) + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The man page as a reader sees its words: "\-\-param" is "--param", font changes are dropped.
std::string man_source_as_text(std::string roff) {
  std::string out;
  for (std::size_t i = 0; i < roff.size(); ++i) {
    if (roff[i] == '\\' && i + 1 < roff.size()) {
      char next = roff[i + 1];
      if (next == '-') {
        out += '-';
        ++i;
        continue;
      }
      if (next == 'f' && i + 2 < roff.size()) {  // \fB \fI \fR \fP
        i += 2;
        continue;
      }
      if (next == '&') {
        ++i;
        continue;
      }
    }
    out += roff[i];
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The entries of one section of CLI11's help ("Options:", "Subcommands:"): the first column of the
// lines indented by two spaces, up to the next section or blank line.
std::vector<std::string> help_section(const std::string& help, const std::string& title) {
  std::vector<std::string> entries;
  bool inside = false;
  for (const std::string& line : lines_of(help)) {
    if (line == title) {
      inside = true;
      continue;
    }
    if (!inside) continue;
    if (line.empty() || line[0] != ' ') break;
    if (line.size() < 3 || line[2] == ' ') continue;  // a wrapped description
    std::string first = line.substr(2, line.find(' ', 2) - 2);
    entries.push_back(first);
  }
  return entries;
}

// "-o,--pin" -> {"--pin"}; "--json" -> {"--json"}; "-h,--help" -> {"--help"}.
std::vector<std::string> long_options(const std::vector<std::string>& option_columns) {
  std::vector<std::string> names;
  for (const std::string& column : option_columns) {
    std::istringstream parts(column);
    for (std::string name; std::getline(parts, name, ',');)
      if (name.rfind("--", 0) == 0) names.push_back(name);
  }
  return names;
}

struct CommandLine {
  std::vector<std::string> subcommands;
  std::vector<std::string> options;  // long options of bpffwc and of every subcommand
};

CommandLine command_line_from_help() {
  ProcessResult top = run_bpffwc({"--help"});
  REQUIRE(top.exit_code == 0);
  CommandLine cli;
  cli.subcommands = help_section(top.out, "Subcommands:");
  cli.options = long_options(help_section(top.out, "Options:"));
  for (const std::string& sub : cli.subcommands) {
    ProcessResult help = run_bpffwc({sub, "--help"});
    REQUIRE_MESSAGE(help.exit_code == 0, "bpffwc " << sub << " --help failed: " << help.err);
    for (const std::string& option : long_options(help_section(help.out, "Options:")))
      if (std::find(cli.options.begin(), cli.options.end(), option) == cli.options.end()) cli.options.push_back(option);
  }
  return cli;
}

// `word` appears in `text` with no letter, digit, '-' or '_' right before or after it.
bool contains_word(const std::string& text, const std::string& word) {
  auto part_of_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; };
  for (std::size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    bool starts = at == 0 || !part_of_word(text[at - 1]);
    bool ends = at + word.size() == text.size() || !part_of_word(text[at + word.size()]);
    if (starts && ends) return true;
  }
  return false;
}

std::string find_in_path(const std::string& program) {
  for (const char* dir : {"/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin"}) {
    std::string path = std::string(dir) + "/" + program;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return {};
}

}  // namespace

TEST_CASE("docs: bpffwc --help lists the subcommands and options the docs test relies on") {
  // Guards the help parsing below: if CLI11's layout changed, the other checks would pass vacuously.
  CommandLine cli = command_line_from_help();
  for (const char* sub : {"attach", "detach", "show", "test", "stats", "set", "watch"})
    CHECK_MESSAGE(std::find(cli.subcommands.begin(), cli.subcommands.end(), sub) != cli.subcommands.end(),
                  "subcommand '" << sub << "' not found in bpffwc --help");
  for (const char* option : {"--pin", "--force", "--emit", "--output", "--check", "--attach", "--type", "--replace",
                             "--param", "--no-counters", "--packet", "--interpret", "--json", "--interval", "--count",
                             "--all", "--replace-all", "--help", "--version"})
    CHECK_MESSAGE(std::find(cli.options.begin(), cli.options.end(), option) != cli.options.end(),
                  "option '" << option << "' not found in the --help of bpffwc or its subcommands");
}

TEST_CASE("docs: every subcommand and long option is in the man page, docs/bpffwc.md and the completion") {
  CommandLine cli = command_line_from_help();
  REQUIRE(!cli.subcommands.empty());
  REQUIRE(!cli.options.empty());
  const std::string man = man_source_as_text(read_source_file("docs/man/bpffwc.1"));
  const std::string guide = read_source_file("docs/bpffwc.md");
  const std::string completion = read_source_file("completions/bpffwc.bash");

  for (const std::string& sub : cli.subcommands) {
    CHECK_MESSAGE(man.find("bpffwc " + sub) != std::string::npos,
                  "docs/man/bpffwc.1 has no 'bpffwc " << sub << "' (SYNOPSIS)");
    CHECK_MESSAGE(guide.find("bpffwc " + sub) != std::string::npos, "docs/bpffwc.md has no 'bpffwc " << sub << "'");
    CHECK_MESSAGE(contains_word(completion, sub), "completions/bpffwc.bash does not offer '" << sub << "'");
  }
  for (const std::string& option : cli.options) {
    CHECK_MESSAGE(contains_word(man, option), "docs/man/bpffwc.1 does not mention " << option);
    CHECK_MESSAGE(contains_word(guide, option), "docs/bpffwc.md does not mention " << option);
    CHECK_MESSAGE(contains_word(completion, option), "completions/bpffwc.bash does not offer " << option);
  }
}

TEST_CASE("docs: the man page renders with no warnings (man --warnings -l)") {
  const std::string man = find_in_path("man");
  REQUIRE_MESSAGE(!man.empty(), "man not found: install the man-db package (scripts/bootstrap does)");
  const std::string page = std::string(BPFFW_SOURCE_DIR) + "/docs/man/bpffwc.1";
  for (const std::string width : {"MANWIDTH=100", "MANWIDTH=80"}) {
    ProcessResult rendered = run_process(man, {"--warnings", "-l", page},
                                         ProcessOptions{.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", width}});
    CHECK_MESSAGE(rendered.exit_code == 0, width << ": man exited " << rendered.exit_code << ": " << rendered.err);
    CHECK_MESSAGE(rendered.err.empty(), width << ": warnings: " << rendered.err);
    // It rendered the page, not an empty one: the sections a reader looks for are there.
    for (const char* section :
         {"NAME", "SYNOPSIS", "OPTIONS", "SUBCOMMANDS", "EXIT STATUS", "EXAMPLES", "FILES", "SEE ALSO"})
      CHECK_MESSAGE(rendered.out.find(std::string("\n") + section + "\n") != std::string::npos,
                    width << ": no section " << section);
  }
}

namespace {

// What the completion offers for `bpffwc test -p CUR`, from bash itself.
std::vector<std::string> completed_packet_words(const std::string& cur) {
  const std::string bash = find_in_path("bash");
  REQUIRE_MESSAGE(!bash.empty(), "bash not found");
  const std::string script = "source '" + std::string(BPFFW_SOURCE_DIR) +
                             "/completions/bpffwc.bash'; COMP_WORDS=(bpffwc test -p '" + cur +
                             "'); COMP_CWORD=3; _bpffwc; printf '%s\\n' \"${COMPREPLY[@]}\"";
  ProcessResult result = run_process(bash, {"--norc", "-c", script});
  REQUIRE_MESSAGE(result.exit_code == 0, result.err);
  std::vector<std::string> words;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) words.push_back(line);
  return words;
}

// The words of docs/bpffwc.md's table of --packet words, as typed up to their value:
// `hbh[=N]` is hbh, `sport=N` is sport=, `hex:BYTES` is hex:, `sock=none\|udp` is sock= and the
// socket states.
struct DocumentedPacketWords {
  std::vector<std::string> words;
  std::vector<std::string> socket_states;
};

DocumentedPacketWords documented_packet_words() {
  const std::string guide = read_source_file("docs/bpffwc.md");
  std::size_t start = guide.find("| words | meaning |");
  REQUIRE_MESSAGE(start != std::string::npos, "docs/bpffwc.md has no table of --packet words");
  std::size_t end = guide.find("\n\n", start);
  DocumentedPacketWords documented;
  std::istringstream rows(guide.substr(start, end - start));
  for (std::string row; std::getline(rows, row);) {
    std::size_t cell_end = row.find(" | ", 2);
    if (row.rfind("| `", 0) != 0 || cell_end == std::string::npos) continue;
    std::string cell = row.substr(2, cell_end - 2);
    for (std::size_t tick = cell.find('`'); tick != std::string::npos; tick = cell.find('`', tick + 1)) {
      std::size_t close = cell.find('`', tick + 1);
      std::string code = cell.substr(tick + 1, close - tick - 1);
      tick = close;
      if (code.rfind("sock=", 0) == 0) {
        documented.words.push_back("sock=");
        std::string states = code.substr(5) + "\\|";
        for (std::size_t from = 0, bar; (bar = states.find("\\|", from)) != std::string::npos; from = bar + 2)
          documented.socket_states.push_back(states.substr(from, bar - from));
        continue;
      }
      std::istringstream items(code);
      for (std::string item; items >> item;) {
        if (item.rfind("flags=", 0) == 0 && item != "flags=syn,ack") continue;  // a second form of flags=
        std::size_t value = item.find_first_of("=[:");
        if (value == std::string::npos) documented.words.push_back(item);
        else documented.words.push_back(item[value] == '[' ? item.substr(0, value) : item.substr(0, value + 1));
      }
    }
  }
  return documented;
}

bool has(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

TEST_CASE("docs: the completion offers every --packet word of docs/bpffwc.md, and the socket states") {
  DocumentedPacketWords documented = documented_packet_words();
  REQUIRE(documented.words.size() >= 30);
  REQUIRE(documented.socket_states.size() == 8);
  const std::vector<std::string> offered = completed_packet_words("");
  for (const std::string& word : documented.words)
    CHECK_MESSAGE(has(offered, word), "completions/bpffwc.bash does not offer the --packet word " << word);
  for (const std::string& word : offered)
    CHECK_MESSAGE(has(documented.words, word),
                  "completions/bpffwc.bash offers " << word << ", which docs/bpffwc.md lacks");
  const std::vector<std::string> states = completed_packet_words("sock=");
  for (const std::string& state : documented.socket_states)
    CHECK_MESSAGE(has(states, "sock=" + state), "completions/bpffwc.bash does not offer sock=" << state);
  CHECK(states.size() == documented.socket_states.size());
}
