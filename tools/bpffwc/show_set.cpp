#include "show_set.hpp"

#include <cerrno>
#include <cstdio>

#include <bpffw/runtime.hpp>

#include "diagnostics.hpp"
#include "runtime_text.hpp"

namespace bpffwc {
namespace {

std::string item_text(const bpffw::SetItems& items, std::size_t i) {
  return i < items.ranges.size() ? bpffw::format_set_range(items.ranges[i])
                                 : bpffw::format_set_prefix(items.prefixes[i - items.ranges.size()]);
}

int written(int listed) {
  if (std::fflush(stdout) == 0 && !std::ferror(stdout)) return listed;
  return report(bpffw::make_error(bpffw::ErrorKind::System, "cannot write to standard output", errno).value());
}

int show_match(const bpffw::Program& program, const std::string& name, const std::string& text, bool json) {
  auto value = bpffw::parse_set_items(text);
  if (!value)
    return report_usage("bad --match value '" + text + "': " + value.error().message,
                        "give one integer or one address, e.g. --match 8080 or --match 192.0.2.7");
  auto match = bpffw::match_in_set(program, name, *value);
  if (!match) return report(match.error());
  std::string entry = *match ? item_text(**match, 0) : "";
  if (json) {
    std::string out = "{\"set\":" + json_string(name) + ",\"value\":" + json_string(text) +
                      ",\"match\":" + (*match ? json_string(entry) : "null") + "}\n";
    std::fputs(out.c_str(), stdout);
  } else if (*match) {
    std::fputs((entry + "\n").c_str(), stdout);
  } else {
    report_note("no entry of set '" + name + "' matches " + text);
  }
  return written(*match ? kExitSuccess : kExitNoMatch);
}

}  // namespace

int show_set(const std::string& argument, const std::string& name, const std::optional<std::string>& match, bool json) {
  auto program = open_program(argument);
  if (!program) return report(program.error());
  if (match) return show_match(*program, name, *match, json);
  // Each batch is printed as soon as it is read: a set of millions is never held whole here.
  bool first = true;
  std::string out;
  auto print = [&](const bpffw::SetItems& batch) {
    out.clear();
    for (std::size_t i = 0; i < batch.ranges.size() + batch.prefixes.size(); ++i) {
      std::string item = item_text(batch, i);
      if (json) out += (first ? "[" : ",") + json_string(item);
      else out += item + "\n";
      first = false;
    }
    return std::fwrite(out.data(), 1, out.size(), stdout) == out.size();
  };
  auto listed = bpffw::visit_set(*program, name, print);
  if (!listed) {
    if (!first) std::fputs(json ? "]\n" : "", stdout);  // what was printed stays well-formed
    std::fflush(stdout);
    return report(listed.error());
  }
  if (json) std::fputs(first ? "[]\n" : "]\n", stdout);
  return written(kExitSuccess);
}

}  // namespace bpffwc
