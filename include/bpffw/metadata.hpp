// What every program bpffw compiles says about itself (its metadata, map_layout.hpp), and reading it
// from a loaded program. Apart from <bpffw/runtime.hpp> so that the layers below the runtime (the
// loader's attach checks, the metadata's encoding) can use it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <bpffw/compiler.hpp>
#include <bpffw/direction.hpp>
#include <bpffw/error.hpp>
#include <bpffw/program.hpp>
#include <bpffw/sets.hpp>

namespace bpffw {

// What a program says about itself.
struct ProgramMetadata {
  std::string bpffw_version;                 // of the bpffw that compiled it, e.g. "0.1.0"
  bool counters = false;                     // compiled with counters
  bool audit = false;                        // compiled in audit mode (CompileOptions::audit)
  std::vector<std::string> parameter_names;  // in declaration order
  // The named sets (docs/filter-language.md §9), in declaration order.
  struct SetName {
    std::string name;
    SetElement element = SetElement::Integer;
    std::string file = {};  // NamedSet::file: the set file it was declared from, if any
    bool operator==(const SetName&) const = default;
  };
  std::vector<SetName> sets;
  // The direction it was compiled for (-t, ParseOptions::direction); empty: either.
  std::optional<Direction> direction;
  std::optional<LogLimit> log;  // compiled with the drop log (CompileOptions::log)
  std::string expression;       // the filter's source text
};

// The program's self-description. ErrorKind::Usage for a program bpffw did not compile.
Result<ProgramMetadata> read_metadata(const Program& program);

}  // namespace bpffw
