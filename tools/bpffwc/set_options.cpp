#include "set_options.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>

#include <bpffw/runtime.hpp>

#include "diagnostics.hpp"
#include "expression_source.hpp"  // read_text_file

namespace bpffwc {
namespace {

// "NAME=REST" split at the first '='; std::nullopt for a bare NAME.
std::pair<std::string, std::optional<std::string>> split_assignment(const std::string& text) {
  std::size_t equals = text.find('=');
  if (equals == std::string::npos) return {text, std::nullopt};
  return {text.substr(0, equals), text.substr(equals + 1)};
}

}  // namespace

int read_set_file(const std::string& name, const std::string& path, bool may_be_empty, bpffw::SetItems& items) {
  // Streamed: a set file may hold 10^6 prefixes; each piece is parsed and dropped.
  bpffw::SetFileParser parser;
  int refused = kExitSuccess;
  auto read = read_text_pieces(path, [&](std::string_view piece) {
    auto fed = parser.feed(piece);
    if (!fed) refused = report(fed.error(), piece, path);
    return fed.has_value();
  });
  if (!read) return report(read.error());
  if (refused != kExitSuccess) return refused;
  bpffw::SetItems read_items = parser.finish();
  // A blocklist that reads as nothing fails open: only an explicit --allow-empty makes it so.
  if (read_items.empty() && !may_be_empty)
    return report_usage("set file '" + path + "' has no items: set '" + name + "' would be empty",
                        "put at least one item in it, or say that the set may be empty with --allow-empty " + name);
  items = std::move(read_items);
  return kExitSuccess;
}

bool may_be_empty(const std::vector<std::string>& allowed, const std::string& name) {
  return std::find(allowed.begin(), allowed.end(), name) != allowed.end();
}

void add_allow_empty_option(CLI::App& app, std::vector<std::string>& allowed) {
  app.add_option("--allow-empty", allowed,
                 "set NAME may be empty: a set file of NAME without items is not an error. Repeatable")
      ->type_name("NAME")
      ->allow_extra_args(false);
}

void add_set_options(CLI::App& app, SetArguments& given) {
  app.add_option("--set", given.sets,
                 "declare named set NAME, usable as 'x in NAME', with ITEMS written as in an inline set "
                 "(22,80,8000..8100 or 10.0.0.0/8,fd00::/8); change it later with 'bpffwc set PIN NAME+=ITEMS'. "
                 "Plain NAME keeps the set's contents in the program replaced with --force/--replace. Repeatable")
      ->type_name("NAME[=ITEMS]")
      ->allow_extra_args(false);
  app.add_option("--set-file", given.set_files,
                 "declare named set NAME with the items in FILE, one or more per line, '#' comments; a FILE without "
                 "items is an error unless --allow-empty NAME. Repeatable")
      ->type_name("NAME=FILE")
      ->allow_extra_args(false);
  add_allow_empty_option(app, given.allow_empty);
}

int resolve_sets(const SetArguments& given, const bpffw::Program* old_program, std::vector<bpffw::NamedSet>& sets) {
  std::optional<std::vector<bpffw::NamedSet>> old_sets;  // read once, only if needed
  for (const std::string& text : given.sets) {
    auto [name, items] = split_assignment(text);
    if (items) {
      auto parsed = bpffw::parse_set_items(*items);
      if (!parsed) return report(parsed.error(), *items, "--set " + name);
      sets.push_back({name, std::move(*parsed)});
      continue;
    }
    if (old_program == nullptr)
      return report_usage("set '" + name + "' has no items and there is no program being replaced to keep them from",
                          "give items: --set " + name + "=ITEMS, or an empty set: --set " + name + "=");
    if (!old_sets) {
      auto read = bpffw::read_sets(*old_program);
      if (!read) return report(read.error());
      old_sets = std::move(*read);
    }
    bool found = false;
    for (const bpffw::NamedSet& old : *old_sets) {
      if (old.name != name) continue;
      sets.push_back(old);
      found = true;
    }
    if (!found)
      return report_usage("set '" + name + "' has no items: the program being replaced has no such set",
                          "give items: --set " + name + "=ITEMS");
  }
  for (const std::string& text : given.set_files) {
    auto [name, file] = split_assignment(text);
    if (!file || file->empty()) return report_usage("--set-file takes NAME=FILE, not '" + text + "'");
    bpffw::SetItems items;
    if (int read = read_set_file(name, *file, may_be_empty(given.allow_empty, name), items); read != kExitSuccess)
      return read;
    // Remembered in the program by its absolute path: `set` and `status` name it later, from anywhere.
    std::error_code error;
    std::filesystem::path absolute = *file == "-" ? std::filesystem::path() : std::filesystem::absolute(*file, error);
    sets.push_back({name, std::move(items), error ? std::string() : absolute.lexically_normal().string()});
  }
  return kExitSuccess;
}

}  // namespace bpffwc
