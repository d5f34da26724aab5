// <bpffw/runtime.hpp>: counters, parameters and metadata of a loaded program, through its maps.
#include <bpffw/runtime.hpp>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include <unistd.h>

#include "layout/map_layout.hpp"
#include "loader/bpf_fd.hpp"
#include "loader/program_maps.hpp"
#include "parser/names.hpp"

namespace bpffw {
namespace {

struct ParameterStore {
  loader::ProgramMap map;
  std::size_t offset = 0;
  std::vector<unsigned char> value;  // the whole map value
};

Result<ParameterStore> open_parameters(const Program& program, std::size_t count) {
  auto map = loader::require_program_map(program, layout::kParametersMap, "the program has no parameter map");
  if (!map) return tl::unexpected(map.error());
  ParameterStore store{std::move(*map), 0, {}};
  store.offset = loader::variable_offset(store.map.info, layout::kParametersGlobal);
  if (store.offset + count * sizeof(std::int64_t) > store.map.info.value_size)
    return make_error(ErrorKind::Internal, "the program's parameter map is smaller than its parameter list");
  auto value = loader::read_single_value(store.map, store.map.info.value_size);
  if (!value) return tl::unexpected(value.error());
  store.value = std::move(*value);
  return store;
}

std::int64_t parameter_at(const ParameterStore& store, std::size_t index) {
  std::int64_t v = 0;
  std::memcpy(&v, store.value.data() + store.offset + index * sizeof v, sizeof v);
  return v;
}

}  // namespace

Result<Counters> read_counters(const Program& program) {
  auto map = loader::require_program_map(program, layout::kCountersMap,
                                         "the program has no counters: it was compiled with --no-counters");
  if (!map) return tl::unexpected(map.error());
  // A program of bpffw before audit mode has the first four fields only.
  const std::size_t fields = map->info.value_size / sizeof(std::uint64_t);
  if (map->info.value_size != sizeof(layout::CounterSlot) && map->info.value_size != layout::kCounterSlotV1Bytes)
    return make_error(ErrorKind::Usage, "the program's counter map has an unknown layout");
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return tl::unexpected(loader::system_error("cannot count the possible CPUs", -cpus));
  // A per-CPU lookup fills one value per possible CPU, each rounded up to 8 bytes.
  std::vector<std::uint64_t> slots(static_cast<std::size_t>(cpus) * fields);
  __u32 key = 0;
  if (bpf_map_lookup_elem(map->fd.get(), &key, slots.data()) != 0)
    return tl::unexpected(loader::system_error("cannot read the counter map", errno));
  Counters total;
  for (std::size_t cpu = 0; cpu < static_cast<std::size_t>(cpus); ++cpu) {
    layout::CounterSlot slot{};
    std::memcpy(&slot, &slots[cpu * fields], fields * sizeof(std::uint64_t));
    total.passed_packets += slot.passed_packets;
    total.passed_bytes += slot.passed_bytes;
    total.dropped_packets += slot.dropped_packets;
    total.dropped_bytes += slot.dropped_bytes;
    total.would_drop_packets += slot.would_drop_packets;
    total.would_drop_bytes += slot.would_drop_bytes;
  }
  return total;
}

namespace {

// Entry `key` of a socket program's refusal map, summed over the CPUs; 0 past the map's end (a
// program of bpffw before audit mode counts refusals only).
Result<std::uint64_t> read_refusal_slot(const SocketProgram& program, std::uint32_t key) {
  auto map = loader::require_program_map(program.program, layout::kRefusalsMap,
                                         "the socket program counts no refusals: it was compiled with --no-counters");
  if (!map) return tl::unexpected(map.error());
  if (key >= map->info.max_entries) return 0;
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return tl::unexpected(loader::system_error("cannot count the possible CPUs", -cpus));
  std::vector<std::uint64_t> slots(static_cast<std::size_t>(cpus));
  if (bpf_map_lookup_elem(map->fd.get(), &key, slots.data()) != 0)
    return tl::unexpected(loader::system_error("cannot read the refusals map", errno));
  std::uint64_t total = 0;
  for (std::uint64_t slot : slots) total += slot;
  return total;
}

}  // namespace

Result<std::uint64_t> read_refusals(const SocketProgram& program) {
  return read_refusal_slot(program, layout::refusal_slot(static_cast<unsigned>(program.hook), false));
}

Result<std::uint64_t> read_would_refusals(const SocketProgram& program) {
  return read_refusal_slot(program, layout::refusal_slot(static_cast<unsigned>(program.hook), true));
}

Result<LogCounters> read_log_counters(const Program& program) {
  auto map = loader::require_program_map(program, layout::kLogStateMap,
                                         "the program has no drop log: it was compiled without --log");
  if (!map) return tl::unexpected(map.error());
  if (map->info.value_size != sizeof(layout::LogState))
    return make_error(ErrorKind::Usage, "the program's drop-log state has an unknown layout");
  auto value = loader::read_single_value(*map, sizeof(layout::LogState));
  if (!value) return tl::unexpected(value.error());
  layout::LogState state;
  std::memcpy(&state, value->data(), sizeof state);
  return LogCounters{state.logged, state.suppressed, state.lost};
}

// The rule maps are made to hold exactly the keys Program::load writes, and nothing changes them.
Result<std::uint64_t> read_rule_entries(const Program& program) {
  std::uint64_t entries = 0;
  for (const char* name : {layout::kRuleMap, layout::kRulePrefixMap}) {
    auto map = loader::find_program_map(program.fd(), name);
    if (!map) return tl::unexpected(map.error());
    if (*map) entries += (*map)->info.max_entries;
  }
  return entries;
}

Result<std::vector<Parameter>> read_parameters(const Program& program) {
  auto metadata = read_metadata(program);
  if (!metadata) return tl::unexpected(metadata.error());
  std::vector<Parameter> parameters;
  if (metadata->parameter_names.empty()) return parameters;
  auto store = open_parameters(program, metadata->parameter_names.size());
  if (!store) return tl::unexpected(store.error());
  for (std::size_t i = 0; i < metadata->parameter_names.size(); ++i)
    parameters.push_back({metadata->parameter_names[i], parameter_at(*store, i)});
  return parameters;
}

Result<void> set_parameters(const Program& program, const std::vector<Parameter>& changes) {
  auto metadata = read_metadata(program);
  if (!metadata) return tl::unexpected(metadata.error());
  const std::vector<std::string>& names = metadata->parameter_names;
  std::vector<std::size_t> indexes;
  for (const Parameter& change : changes) {
    std::size_t index = 0;
    while (index < names.size() && names[index] != change.name) ++index;
    if (index == names.size()) {
      std::string message = "the program has no parameter '" + change.name + "'";
      if (names.empty()) return make_error(ErrorKind::Usage, message, 0, "it was compiled without --param");
      parser::NameScope scope(names);
      std::optional<std::string> nearest = scope.nearest(change.name);
      if (nearest && !parser::NameScope::is_builtin(*nearest)) message += " (did you mean '" + *nearest + "'?)";
      std::string known;
      for (const std::string& name : names) known += (known.empty() ? "" : ", ") + name;
      return make_error(ErrorKind::Usage, message, 0, "its parameters: " + known);
    }
    indexes.push_back(index);
  }
  if (changes.empty()) return {};
  auto store = open_parameters(program, names.size());
  if (!store) return tl::unexpected(store.error());
  for (std::size_t i = 0; i < changes.size(); ++i)
    std::memcpy(store->value.data() + store->offset + indexes[i] * sizeof(std::int64_t), &changes[i].value,
                sizeof(std::int64_t));
  __u32 key = 0;
  if (bpf_map_update_elem(store->map.fd.get(), &key, store->value.data(), BPF_ANY) != 0)
    return tl::unexpected(loader::system_error("cannot write the parameter map", errno));
  return {};
}

Result<Filter> recover_filter(const Program& program) {
  auto metadata = read_metadata(program);
  if (!metadata) return tl::unexpected(metadata.error());
  auto parameters = read_parameters(program);
  if (!parameters) return tl::unexpected(parameters.error());
  auto sets = read_sets(program);
  if (!sets) return tl::unexpected(sets.error());
  ParseOptions options;
  options.parameters = std::move(*parameters);
  // Sets written inline come back from the expression itself.
  std::erase_if(*sets, [](const NamedSet& set) { return is_inline_set(set.name); });
  options.sets = std::move(*sets);
  options.direction = metadata->direction;
  return Filter::parse(metadata->expression, options);
}

Result<std::int64_t> parse_parameter_value(std::string_view text) {
  std::string_view digits = text;
  bool negative = !digits.empty() && digits[0] == '-';
  if (negative) digits.remove_prefix(1);
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
  } else if (digits.size() > 1 && digits[0] == '0') {
    base = 8;
    digits.remove_prefix(1);
  }
  std::uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  bool complete = !digits.empty() && end == digits.data() + digits.size() && ec != std::errc::invalid_argument;
  if (!complete)
    return make_error(ErrorKind::Usage, "'" + std::string(text) + "' is not an integer", 0,
                      "give a decimal, 0x hexadecimal or 0 octal number, e.g. 1500 or -1");
  constexpr std::uint64_t kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (ec == std::errc::result_out_of_range || magnitude > kMax + (negative ? 1 : 0))
    return make_error(ErrorKind::Usage, "'" + std::string(text) + "' is out of the 64-bit signed range", 0,
                      "parameters hold values from -9223372036854775808 to 9223372036854775807");
  // Negate in unsigned arithmetic: -(2^63) is representable only that way.
  return static_cast<std::int64_t>(negative ? 0 - magnitude : magnitude);
}

Result<Parameter> parse_parameter_assignment(std::string_view text) {
  std::size_t equals = text.find('=');
  if (equals == std::string_view::npos || equals == 0)
    return make_error(ErrorKind::Usage, "'" + std::string(text) + "' is not NAME=VALUE", 0, "e.g. mtu=1500");
  auto value = parse_parameter_value(text.substr(equals + 1));
  if (!value) {
    Error error = value.error();
    error.message = "bad value for parameter '" + std::string(text.substr(0, equals)) + "': " + error.message;
    return tl::unexpected(error);
  }
  return Parameter{std::string(text.substr(0, equals)), *value};
}

}  // namespace bpffw
