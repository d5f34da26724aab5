// --set NAME=ITEMS, --set NAME, --set-file NAME=FILE and --set-capacity N: the named sets
// (docs/filter-language.md §9) that the compile and test commands declare.
//
// `--set NAME` without items keeps the set's current contents in the program being replaced
// (-o PIN --force, --replace PIN), as `--param NAME` keeps a parameter's value.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <bpffw/program.hpp>
#include <bpffw/sets.hpp>

namespace bpffwc {

struct SetArguments {
  std::vector<std::string> sets;         // --set, as given
  std::vector<std::string> set_files;    // --set-file, as given
  std::vector<std::string> allow_empty;  // --allow-empty: sets whose file may have no items
};

// Reads set NAME's file, streamed (bpffw::SetFileParser); a bad line is reported as
// FILE:LINE:COLUMN with the line and a caret. A file without items is a usage error unless
// `may_be_empty`, and `items` is left as it was on any error. Returns kExitSuccess or the exit code
// of the reported error.
int read_set_file(const std::string& name, const std::string& path, bool may_be_empty, bpffw::SetItems& items);

// --allow-empty NAME (repeatable), and whether `allowed` names `name`.
void add_allow_empty_option(CLI::App& app, std::vector<std::string>& allowed);
bool may_be_empty(const std::vector<std::string>& allowed, const std::string& name);

// --set, --set-file and --allow-empty on `app`, repeatable.
void add_set_options(CLI::App& app, SetArguments& given);

// The declared sets, --set ones first, then --set-file ones, each in the order given. Errors in
// items are reported with a caret under the --set text, or as FILE:LINE:COLUMN for a set file.
// Returns kExitSuccess or the exit code of the reported error.
int resolve_sets(const SetArguments& given, const bpffw::Program* old_program, std::vector<bpffw::NamedSet>& sets);

}  // namespace bpffwc
