// bpffwc: the command line of bpffw. One table of commands, one dispatch, one place for errors.
#include <algorithm>
#include <cctype>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include <bpffw/filter.hpp>

#include "parser/names.hpp"  // edit_distance, for a misspelt subcommand

#include "command.hpp"
#include "companions.hpp"
#include "diagnostics.hpp"
#include "version_text.hpp"

namespace bpffwc {
namespace {

// Every command of bpffwc: the top-level compile command (which also does --attach) and one line
// per subcommand, each implemented in <name>_command.cpp by its make_*_command() (command.hpp).
const CommandEntry kCommands[] = {
    {"", "compile EXPRESSION and pin it (-o), attach it (--attach), print a stage (--emit) or check it (--check)",
     nullptr, &make_compile_command},
    {"load",
     "load a bundle compiled elsewhere (bpffwc --emit bundle), without a compiler: pin it (-o), put it in place "
     "(--replace-everywhere) or attach it (--attach)",
     "Examples:\n"
     "  bpffwc --emit bundle -t ingress -O web.bpffw -f web.filter         # where bpffw is built\n"
     "  bpffwc load /usr/lib/bpffw/web.bpffw -o /sys/fs/bpf/web --force      # on each host\n"
     "  bpffwc load web.bpffw --attach system.slice/web.service -t ingress --replace-all",
     &make_load_command},
    {"cache",
     "show the compile cache's entries (show) or remove them (clear): programs compiled before, which bpffwc loads "
     "without compiling again",
     "Examples:\n"
     "  bpffwc cache show\n"
     "  bpffwc cache clear\n"
     "\n"
     "The cache is BPFFW_CACHE_DIR (default /var/cache/bpffw), at most BPFFW_CACHE_MAX_BYTES (default 64 MiB).",
     &make_cache_command},
    {"attach", "attach a pinned program to a cgroup: attach CGROUP -t DIR PIN (--replace-all: in place of bpffw's)",
     "Examples:\n"
     "  bpffwc attach system.slice/web.service -t ingress /sys/fs/bpf/web\n"
     "  bpffwc attach self -t egress --replace-all /sys/fs/bpf/web-out",
     &make_attach_command},
    {"detach", "detach a pinned bpffw program (PIN) or all of them (--all) from a cgroup",
     "Examples:\n"
     "  bpffwc detach system.slice/web.service -t ingress /sys/fs/bpf/web\n"
     "  bpffwc detach self -t egress --all    (exit 0 when none is attached)\n"
     "\n"
     "The pin stays; rm it to let the program go.",
     &make_detach_command},
    {"show",
     "list the bpffw programs attached to a cgroup with their expressions, parameters, counters; or one PIN or id:N",
     "Examples:\n"
     "  bpffwc show system.slice/web.service\n"
     "  bpffwc show /sys/fs/bpf/mtu\n"
     "  bpffwc show /sys/fs/bpf/web --set blocklist > blocklist.txt\n"
     "  bpffwc show /sys/fs/bpf/web --set blocklist --match 192.0.2.7   # exit 1: no entry matches",
     &make_show_command},
    {"test", "judge packets described in words (--packet SPEC) with EXPRESSION: a dry run",
     "Examples:\n"
     "  bpffwc test 'udp && dst_port == 53' -p 'ipv4 udp dport=53' -p 'ipv6 tcp dport=53'\n"
     "  bpffwc test --param mtu=576 -p 'ipv4 udp len=1000' 'len <= mtu'\n"
     "  bpffwc test -p arp -- '-1 < len'",
     &make_test_command},
    {"diff", "the flows of a capture (--pcap FILE) whose verdict differs between two filters: diff -t DIR OLD NEW",
     "Examples:\n"
     "  bpffwc diff -t ingress /sys/fs/bpf/bpffw/web /etc/bpffw/web.filter --pcap last-night.pcap\n"
     "  bpffwc diff -t ingress 'tcp && dst_port == 22' 'tcp' --pcap web.pcap --json\n"
     "\n"
     "OLD and NEW: a pinned program, a filter file or an expression. Exit 1 when some verdict differs.",
     &make_diff_command},
    {"stats",
     "print the packet counters of a program: PIN, id:N or CGROUP -t DIR, or of every bpffw program (--all); "
     "--json for a machine, --prometheus for Prometheus",
     "Examples:\n"
     "  bpffwc stats --json /sys/fs/bpf/mtu\n"
     "  bpffwc stats --all --prometheus --output /var/lib/prometheus/node-exporter/bpffw.prom   # bpffw-metrics.timer",
     &make_stats_command},
    {"set",
     "change runtime parameters and named sets of a program in place: set PIN|id:N|CGROUP -t DIR NAME=VALUE... "
     "SET+=ITEMS SET-=ITEMS SET=ITEMS SET=@FILE",
     "Example:\n"
     "  bpffwc set /sys/fs/bpf/mtu mtu=576",
     &make_set_command},
    {"watch", "live view of a program's counters, rates per second and parameters; follows its PIN until removed",
     "Example:\n"
     "  bpffwc watch --interval 0.5 /sys/fs/bpf/mtu",
     &make_watch_command},
    {"log",
     "follow the drops programs compiled with --log record, live: PIN, id:N, CGROUP -t DIR, or --all; as lines, "
     "JSON or journal entries",
     "Examples:\n"
     "  bpffwc log /sys/fs/bpf/web\n"
     "  bpffwc log --json system.slice/web.service -t ingress\n"
     "  bpffwc log --all --journal      # what bpffw-log.service runs: journalctl -u web.service shows its drops",
     &make_log_command},
    {"status",
     "whether each named filter (/etc/bpffw/NAME.filter, bpffw@NAME) runs as its files declare: its pin, program, "
     "attachments, and every divergence; exit 1 if any",
     "Examples:\n"
     "  bpffwc status\n"
     "  bpffwc status web --json",
     &make_status_command},
};

constexpr const char* kDescription =
    "bpffwc compiles a filter expression into a Linux cgroup_skb BPF program, in memory (no clang),\n"
    "and loads and pins it on bpffs, e.g. for systemd's IPIngressFilterPath=/IPEgressFilterPath=.";

constexpr const char* kFooter =
    "Examples:\n"
    "  bpffwc -o /sys/fs/bpf/port-firewall 'icmp || (udp && dst_port == 53) || (tcp && dst_port == 80)'\n"
    "  bpffwc --force -o /sys/fs/bpf/port-firewall 'tcp && dst_port == 443'\n"
    "  bpffwc --emit asm 'udp && dst_port == 53'\n"
    "  bpffwc --check -- '-1 < len'\n"
    "\n"
    "Exit codes:\n"
    "  0  success\n"
    "  1  invalid expression\n"
    "  2  usage error (bad options, existing pin without --force, ...)\n"
    "  3  system or kernel failure (permissions, bpffs, verifier)\n"
    "\n"
    "The language: docs/filter-language.md; this command: docs/bpffwc.md.";

// CLI11's messages start with a capital letter; ours start lowercase (house style).
std::string lowercase_start(std::string message) {
  if (message.size() > 1 && std::isupper(static_cast<unsigned char>(message[0])) &&
      std::islower(static_cast<unsigned char>(message[1])))
    message[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(message[0])));
  return message;
}

// An argument such as "-1 < len" or "-(tcp)" is an expression, not an option: say how to pass it
// to the command that takes expressions, the top level ("") or test.
std::string hint_for_extras(const std::vector<std::string>& args, const std::string& subcommand) {
  if (!subcommand.empty() && subcommand != "test") return {};
  for (const std::string& arg : args) {
    if (arg.size() < 2 || arg[0] != '-' || arg[1] == '-') continue;
    bool looks_like_expression =
        std::isdigit(static_cast<unsigned char>(arg[1])) || arg.find_first_of(" ()!~&|<>=") != std::string::npos;
    if (!looks_like_expression) continue;
    std::string example = subcommand.empty() ? "bpffwc --check -- '" : "bpffwc test -p SPEC -- '";
    return "put '--' after the options, before an expression that starts with '-': " + example + arg + "'";
  }
  return {};
}

// An argument as it would be typed into a shell: quoted when it holds anything but plain characters.
std::string shell_quoted(const std::string& arg) {
  if (!arg.empty() &&
      arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,@%+") ==
          std::string::npos)
    return arg;
  std::string quoted = "'";
  for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string command_line(const std::vector<std::string>& args) {
  std::string line = kProgram;
  for (const std::string& arg : args) line += " " + shell_quoted(arg);
  return line;
}

// `bpffwc --check dst_port == 443`: the shell split the expression, CLI11 took its first word
// and refuses the rest (in reverse order). Says to quote it, with the command quoted.
std::optional<std::pair<std::string, std::string>> split_expression(const std::vector<std::string>& args,
                                                                    CLI::App& parsed,
                                                                    const std::vector<std::string>& extras) {
  const CLI::Option* expression = parsed.get_option_no_throw("EXPRESSION");
  if (expression == nullptr || expression->count() != 1 || extras.empty()) return std::nullopt;
  // An unknown option (`test tcp -p arp --check`) is not a piece of the expression.
  for (const std::string& extra : extras)
    if (extra.size() > 1 && extra[0] == '-') return std::nullopt;
  const std::string first = expression->results().front();
  std::vector<std::string> rest = extras;
  std::size_t start = 0;
  while (start < args.size() && args[start] != first) ++start;
  if (start == args.size()) return std::nullopt;
  std::vector<std::string> fixed(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(start));
  std::string joined = first;
  std::size_t words = 1;
  std::vector<std::string> after;
  for (std::size_t i = start + 1; i < args.size(); ++i) {
    auto used = std::find(rest.begin(), rest.end(), args[i]);
    if (used == rest.end()) {
      after.push_back(args[i]);
      continue;
    }
    rest.erase(used);
    joined += " " + args[i];
    ++words;
  }
  if (!rest.empty()) return std::nullopt;
  fixed.insert(fixed.end(), after.begin(), after.end());
  fixed.push_back(joined);
  return std::pair{"the expression is split over " + std::to_string(words) + " arguments: " + joined,
                   "quote it as one argument: " + command_line(fixed)};
}

// `bpffwc --check -tcp` would be `-t cp`: an expression after '-' and a letter needs '--' before
// it (a '-' and a digit, as in '-1 < len', is read as the expression either way).
std::optional<std::pair<std::string, std::string>> expression_read_as_options(const std::vector<std::string>& args,
                                                                              std::size_t first) {
  for (std::size_t i = first; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") return std::nullopt;
    if (arg.size() < 3 || arg[0] != '-' || !std::isalpha(static_cast<unsigned char>(arg[1]))) continue;
    if (!bpffw::Filter::parse(arg)) continue;
    std::vector<std::string> fixed;
    for (std::size_t j = 0; j < args.size(); ++j)
      if (j != i) fixed.push_back(args[j]);
    fixed.push_back("--");
    fixed.push_back(arg);
    return std::pair{"'" + arg + "' would be read as options ('" + arg.substr(0, 2) + " " + arg.substr(2) +
                         "'); an expression that starts with '-' needs '--' before it",
                     command_line(fixed)};
  }
  return std::nullopt;
}

// CLI11 would write "bpffwc [OPTIONS] [EXPRESSION] [SUBCOMMAND]", but a subcommand comes first.
class UsageFormatter final : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App* app, std::string name) const override {
    if (app->get_parent() != nullptr) return CLI::Formatter::make_usage(app, std::move(name));
    return "Usage: " + name + " [OPTIONS] EXPRESSION\n       " + name + " SUBCOMMAND [OPTIONS] [ARGS]\n";
  }
};

bool is_subcommand_name(const std::string& arg) {
  for (const CommandEntry& entry : kCommands)
    if (*entry.name && arg == entry.name) return true;
  return false;
}

// `bpffwc shwo PIN`, `bpffwc stat`: a first argument that is a bare word, no subcommand and no valid
// expression, but close to a subcommand's name (or a top-level option's: `attach` for --attach).
std::optional<std::string> misspelt_subcommand(const std::vector<std::string>& args, const CLI::App& app) {
  const std::string& word = args.front();
  if (word.empty() || !std::all_of(word.begin(), word.end(),
                                   [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }))
    return std::nullopt;
  auto parsed = bpffw::Filter::parse(word);
  if (parsed || parsed.error().message.find("did you mean") != std::string::npos) return std::nullopt;
  // `bpffwc stat --param stat=1 --check`: a declared parameter is a word of the expression.
  for (std::size_t i = 1; i < args.size(); ++i)
    if (args[i] == word || args[i].rfind(word + "=", 0) == 0) return std::nullopt;
  if (app.get_option_no_throw("--" + word) != nullptr)
    return "'" + word + "' is not a subcommand (did you mean the option '--" + word + "'?)";
  std::size_t allowed = std::max<std::size_t>(1, word.size() / 3);
  const char* best = nullptr;
  std::size_t best_distance = allowed + 1;
  for (const CommandEntry& entry : kCommands) {
    if (!*entry.name) continue;
    std::size_t distance = bpffw::parser::edit_distance(word, entry.name);
    if (distance < best_distance) {
      best = entry.name;
      best_distance = distance;
    }
  }
  if (best == nullptr) return std::nullopt;
  return "'" + word + "' is not a subcommand (did you mean '" + best + "'?)";
}

int run(int argc, char** argv) {
  CLI::App app(kDescription, kProgram);
  app.set_version_flag("--version", version_text(), "print the version of bpffwc, LLVM and libbpf");
  app.set_help_flag("-h,--help", "print this help");
  app.formatter(std::make_shared<UsageFormatter>());
  // At most one subcommand, so that inside one a word spelled like another is an argument
  // ('bpffwc test --param set=1 -p arp set').
  app.require_subcommand(0, 1);

  struct Registered {
    CLI::App* app;
    std::unique_ptr<Command> command;
  };
  std::vector<Registered> registered;
  for (const CommandEntry& entry : kCommands) {
    CLI::App* target = *entry.name ? app.add_subcommand(entry.name, entry.summary) : &app;
    if (target != &app) target->footer(entry.footer);
    registered.push_back({target, entry.make()});
    registered.back().command->define(*target);
  }
  // Set after the subcommands exist: CLI11 copies a parent's footer into every later subcommand.
  app.footer(kFooter);

  // A subcommand is its name as the first argument. Anywhere else the word is the compile
  // command's expression: 'bpffwc --check --param test=1 test' checks the expression 'test'.
  std::vector<std::string> raw_args(argv + 1, argv + argc);
  bool help_first = !raw_args.empty() && (raw_args[0] == "-h" || raw_args[0] == "--help");
  if (!raw_args.empty() && !help_first && !is_subcommand_name(raw_args[0]))
    for (Registered& command : registered)
      if (command.app != &app) command.app->disabled();

  bool to_subcommand = !raw_args.empty() && is_subcommand_name(raw_args[0]);
  if (!raw_args.empty() && !help_first && !to_subcommand)
    if (auto misspelt = misspelt_subcommand(raw_args, app)) return report_usage(*misspelt);
  if (!to_subcommand || raw_args[0] == "test") {
    set_usage_subcommand(to_subcommand ? "test" : "");
    if (auto options = expression_read_as_options(raw_args, to_subcommand ? 1 : 0))
      return report_usage(options->first, options->second);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) { return app.exit(e); } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) { return app.exit(e); } catch (const CLI::ParseError& e) {
    std::string subcommand;
    for (const Registered& command : registered)
      if (command.app != &app && command.app->parsed()) subcommand = command.app->get_name();
    set_usage_subcommand(subcommand);
    std::string hint = hint_for_extras(raw_args, subcommand);
    const auto* extras = dynamic_cast<const CLI::ExtrasError*>(&e);
    CLI::App* parsed = subcommand.empty() ? &app : app.get_subcommand(subcommand);
    if (extras != nullptr && hint.empty() && (subcommand.empty() || subcommand == "test"))
      if (auto split = split_expression(raw_args, *parsed, parsed->remaining()))
        return report_usage(split->first, split->second);
    return report_usage(lowercase_start(e.what()), hint);
  }

  // The subcommand that was used runs; otherwise the top-level (compile) command.
  for (const Registered& command : registered) {
    if (command.app == &app || !command.app->parsed()) continue;
    set_usage_subcommand(command.app->get_name());
    return command.command->run();
  }
  return registered.front().command->run();
}

}  // namespace
}  // namespace bpffwc

int main(int argc, char** argv) {
  bpffwc::set_invocation_name(argv[0]);
  return bpffwc::run(argc, argv);
}
