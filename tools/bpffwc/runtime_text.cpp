#include "runtime_text.hpp"

#include <cstdio>

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "diagnostics.hpp"

namespace bpffwc {

std::string counters_text(const bpffw::Counters& c) {
  return "passed " + std::to_string(c.passed_packets) + " packets (" + std::to_string(c.passed_bytes) +
         " bytes), dropped " + std::to_string(c.dropped_packets) + " packets (" + std::to_string(c.dropped_bytes) +
         " bytes)";
}

std::string counters_json(const bpffw::Counters& c) {
  return "{\"passed_packets\":" + std::to_string(c.passed_packets) +
         ",\"dropped_packets\":" + std::to_string(c.dropped_packets) +
         ",\"passed_bytes\":" + std::to_string(c.passed_bytes) +
         ",\"dropped_bytes\":" + std::to_string(c.dropped_bytes) + "}";
}

std::string parameters_text(const std::vector<bpffw::Parameter>& parameters) {
  if (parameters.empty()) return "none";
  std::string text;
  for (const bpffw::Parameter& p : parameters) text += (text.empty() ? "" : " ") + p.name + "=" + std::to_string(p.value);
  return text;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

bool is_bpffs_path(const std::string& argument) {
  auto on_bpffs = [](const std::string& path) {
    struct statfs fs {};
    return ::statfs(path.c_str(), &fs) == 0 && static_cast<unsigned long>(fs.f_type) == BPF_FS_MAGIC;
  };
  struct stat st {};
  if (::stat(argument.c_str(), &st) == 0) return on_bpffs(argument);
  if (argument.empty() || argument[0] != '/') return false;
  // Missing: the nearest existing ancestor says which file system the path would be on.
  std::string ancestor = argument;
  while (ancestor.size() > 1) {
    std::size_t slash = ancestor.find_last_of('/', ancestor.size() - 2);
    ancestor = slash == 0 ? "/" : ancestor.substr(0, slash);
    if (::stat(ancestor.c_str(), &st) == 0) return on_bpffs(ancestor);
  }
  return false;
}

int show_pin(const std::string& pin) {
  auto program = bpffw::Program::open_pinned(pin);
  if (!program) return report(program.error());
  auto info = program->info();
  if (!info) return report(info.error());
  auto metadata = bpffw::read_metadata(*program);
  if (!metadata) return report(metadata.error());
  auto parameters = bpffw::read_parameters(*program);
  if (!parameters) return report(parameters.error());
  std::string out = pin + "\n";
  out += "program     " + std::to_string(info->id) + " " + info->name + ", compiled by bpffw " + metadata->bpffw_version + "\n";
  out += "expression  " + metadata->expression + "\n";
  out += std::string("direction   ") +
         (metadata->direction ? bpffw::to_string(*metadata->direction) : "either (compiled without -t)") + "\n";
  out += "parameters  " + parameters_text(*parameters) + "\n";
  if (metadata->counters) {
    auto counters = bpffw::read_counters(*program);
    if (!counters) return report(counters.error());
    out += "counters    " + counters_text(*counters) + "\n";
  } else {
    out += "counters    none (compiled with --no-counters)\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitSuccess;
}

}  // namespace bpffwc
