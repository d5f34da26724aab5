// Runtime control of loaded programs: packet counters, runtime parameters and the program's
// description of itself — all read from (and written to) the maps of a loaded Program, so a
// pin alone is enough (Program::open_pinned). Nothing here recompiles or reloads anything.
//
// Every program bpffw compiles carries, unless compiled with CompileOptions::counters = false:
//   - a per-CPU counter map: packets and bytes passed and dropped (read_counters sums the CPUs);
// and always:
//   - a parameter map holding the runtime parameters' current values (read/set_parameters);
//   - a read-only metadata map: bpffw version, parameter names, the expression (read_metadata).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <bpffw/direction.hpp>
#include <bpffw/error.hpp>
#include <bpffw/filter.hpp>
#include <bpffw/metadata.hpp>
#include <bpffw/program.hpp>
#include <bpffw/sets.hpp>

namespace bpffw {

// Totals over all CPUs since the counter map was created. A program loaded with
// LoadOptions::keep_counters_of continues the old program's totals.
struct Counters {
  std::uint64_t passed_packets = 0;  // that the filter passed
  std::uint64_t dropped_packets = 0;
  std::uint64_t passed_bytes = 0;  // skb->len: from the IP header on
  std::uint64_t dropped_bytes = 0;
  // That an audit program (CompileOptions::audit) passed and its filter would have dropped. Counted
  // apart from the drops, also across a switch between audit and enforcing (--force keeps both).
  std::uint64_t would_drop_packets = 0;
  std::uint64_t would_drop_bytes = 0;
  bool operator==(const Counters&) const = default;
};

// The drop log's own counters, kept across --force and --replace like the packet counters.
struct LogCounters {
  std::uint64_t logged = 0;      // records written to the ring buffer
  std::uint64_t suppressed = 0;  // drops over the rate limit: not recorded
  std::uint64_t lost = 0;        // drops within the limit that found the ring buffer full
  bool operator==(const LogCounters&) const = default;
};

// The self-description compile() puts into a program, without compiling: what read_metadata would
// read from the program compile(filter, options) makes (`bpffwc status` compares the two).
ProgramMetadata metadata_for(const Filter& filter, const CompileOptions& options = {});

// Sums the per-CPU counters. ErrorKind::Usage when the program was compiled without counters.
Result<Counters> read_counters(const Program& program);

// ErrorKind::Usage when the program was compiled without the drop log.
Result<LogCounters> read_log_counters(const Program& program);

// How many entries the program's rule lists put in its rule maps (docs/filter-language.md §7.4):
// each term of a list once per combination of the values it accepts, less duplicates. 0 for a
// program without a rule list.
Result<std::uint64_t> read_rule_entries(const Program& program);

// How many calls a socket program (Program::load_socket_programs) refused with EPERM since it was
// loaded. A program compiled with --no-counters has none to read (ErrorKind::Usage).
Result<std::uint64_t> read_refusals(const SocketProgram& program);
// How many calls a socket program of an audit program (CompileOptions::audit) let go ahead that it
// would have refused. Counted apart from the refusals.
Result<std::uint64_t> read_would_refusals(const SocketProgram& program);

// The runtime parameters with their current values, in declaration order (empty if none).
Result<std::vector<Parameter>> read_parameters(const Program& program);

// Changes runtime parameters of the loaded program: the same program keeps running and sees the
// new values from its next packet on. All names are checked first; an unknown name is
// ErrorKind::Usage (with a did-you-mean) and changes nothing. The values are then written with
// one map update, so a packet sees either all old or all new values.
Result<void> set_parameters(const Program& program, const std::vector<Parameter>& changes);

// Named sets (docs/filter-language.md §9) of a loaded program: the same program keeps running
// and judges its next packet by the changed set. An unknown set name is ErrorKind::Usage naming
// the sets the program has; items of the other element type are ErrorKind::Usage. A change that
// fails leaves the set as it was.
//
// Every set with its current contents, in declaration order (gathered with visit_set's listing).
Result<std::vector<NamedSet>> read_sets(const Program& program);
// Receives a batch of a set's items (of the set's element type); returns false to stop.
using SetVisitor = std::function<bool(const SetItems& batch)>;
// Lists the set's current items a batch at a time (up to 8192 items each), without holding the
// whole set: an address set as the kernel's maps hand out their entries (whole IPv4 addresses,
// whole IPv6 addresses, then shorter IPv4 and shorter IPv6 prefixes, each group unsorted); an
// integer set in ascending ranges (its map holds one entry per integer, so those are gathered
// first, 8 bytes each, to be sorted and merged). ErrorKind::System when the set is replaced
// whole while it is read (the listing may then miss items: read it again).
Result<void> visit_set(const Program& program, std::string_view name, const SetVisitor& visit);
// The entry of the set that a packet's `value` meets, by the lookups the program makes, in its
// maps: for an integer the range it lies in (the run of consecutive integers around it); for an
// address the whole address, else the longest prefix containing it. Empty when none does.
// `value` holds one integer or one whole address (parse_set_items("192.0.2.7")), else
// ErrorKind::Usage; so is a value of the other element type.
Result<std::optional<SetItems>> match_in_set(const Program& program, std::string_view name, const SetItems& value);
// Adds the items that are not in the set yet.
Result<void> add_to_set(const Program& program, std::string_view name, const SetItems& items);
// Removes the items (an item not in the set is no error). An integer range removes each integer;
// a prefix removes that exact prefix (an address inside a wider prefix of the set stays matched by
// it: match_in_set tells). `removed`, if given, receives what was in the set and is removed: each
// integer as a range of its own, the prefixes in the order of `items` (nothing on an error).
Result<void> remove_from_set(const Program& program, std::string_view name, const SetItems& items,
                             SetItems* removed = nullptr);
// Replaces the set's contents whole, atomically: a packet is judged by the old contents or by
// the new ones, never by a mix (lib/layout/map_layout.hpp says how).
Result<void> replace_set(const Program& program, std::string_view name, const SetItems& items);

// The filter the program was compiled from, parsed again with its parameters' current values
// and its sets' current contents as their initial ones: for interpret() on a loaded program, or to recompile it.
Result<Filter> recover_filter(const Program& program);

// A parameter value as bpffwc --param and set accept it: an integer literal of the language
// (decimal, 0x hex, 0 octal), optionally preceded by '-', within the 64-bit signed range.
// ErrorKind::Usage otherwise.
Result<std::int64_t> parse_parameter_value(std::string_view text);

// "name=value" (parse_parameter_value for the value); the name is not checked here.
Result<Parameter> parse_parameter_assignment(std::string_view text);

}  // namespace bpffw
