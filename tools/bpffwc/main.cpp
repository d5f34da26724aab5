// bpffwc: the command line of bpffw. One table of commands, one dispatch, one place for errors.
#include <cctype>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "command.hpp"
#include "diagnostics.hpp"
#include "version_text.hpp"

namespace bpffwc {
namespace {

// Every command of bpffwc. Later: attach/detach/show, test, stats, set, watch — each one a file
// with a make_*_command() and a line here.
const CommandEntry kCommands[] = {
    {"", "compile EXPRESSION and pin it (-o), print a stage (--emit) or check it (--check)", &make_compile_command},
    {"detach", "detach a pinned bpffw program (PIN) or all of them (--all) from a cgroup", &make_detach_command},
    {"show", "list the bpffw programs attached to a cgroup; for a PIN: its expression, parameters, counters", &make_show_command},
    {"test", "judge packets described in words (--packet SPEC) with EXPRESSION: a dry run", &make_test_command},
    {"stats", "print the packet counters of a pinned program (--json for a machine)", &make_stats_command},
    {"set", "change runtime parameters of a pinned program in place: set PIN NAME=VALUE...", &make_set_command},
    {"watch", "live view of a pinned program's counters, rates per second and parameters", &make_watch_command},
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

// An argument such as "-1 < len" or "-(tcp)" is an expression, not an option: say how to pass it.
std::string hint_for_extras(const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (arg.size() < 2 || arg[0] != '-' || arg[1] == '-') continue;
    bool looks_like_expression = std::isdigit(static_cast<unsigned char>(arg[1])) ||
                                 arg.find_first_of(" ()!~&|<>=") != std::string::npos;
    if (looks_like_expression) return "put '--' after the options, before an expression that starts with '-': bpffwc --check -- '" +
             arg + "'";
  }
  return {};
}

int run(int argc, char** argv) {
  CLI::App app(kDescription, kProgram);
  app.footer(kFooter);
  app.set_version_flag("--version", version_text(), "print the version of bpffwc, LLVM and libbpf");
  app.set_help_flag("-h,--help", "print this help");

  struct Registered {
    CLI::App* app;
    std::unique_ptr<Command> command;
  };
  std::vector<Registered> registered;
  for (const CommandEntry& entry : kCommands) {
    CLI::App* target = *entry.name ? app.add_subcommand(entry.name, entry.summary) : &app;
    registered.push_back({target, entry.make()});
    registered.back().command->define(*target);
  }

  std::vector<std::string> raw_args(argv + 1, argv + argc);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report_usage(lowercase_start(e.what()), hint_for_extras(raw_args));
  }

  // A subcommand that was used runs; otherwise the top-level (compile) command.
  for (auto it = registered.rbegin(); it != registered.rend(); ++it)
    if (it->app != &app && it->app->parsed()) return it->command->run();
  return registered.front().command->run();
}

}  // namespace
}  // namespace bpffwc

int main(int argc, char** argv) { return bpffwc::run(argc, argv); }
