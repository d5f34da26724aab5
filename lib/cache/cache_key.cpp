// compile_cache_key (<bpffw/compile_cache.hpp>): what decides a compiled object, as text. The whole
// key is stored in each entry and compared on every hit, so that two filters can never share an
// entry; its hash only names the file.
#include <bpffw/compile_cache.hpp>

#include <bpffw/version.hpp>

#include "parser/set_maps.hpp"

namespace bpffw {
namespace {

// A text field whose end is not to be guessed: its length first.
void field(std::string& key, std::string_view name, std::string_view value) {
  key += name;
  key += ' ';
  key += std::to_string(value.size());
  key += ':';
  key += value;
  key += '\n';
}

}  // namespace

std::string compile_cache_key(const Filter& filter, const CompileOptions& options, bool socket_programs,
                              std::string_view compiler) {
  std::string key = "bpffw compile cache 1\n";
  field(key, "bpffw", kVersion);
  field(key, "llvm", BPFFW_LLVM_VERSION);
  field(key, "compiler", compiler);
  field(key, "direction", filter.direction() ? to_string(*filter.direction()) : "none");
  key += "options O" + std::to_string(options.optimization_level) + " counters=" + (options.counters ? "1" : "0") +
         " audit=" + (options.audit ? "1" : "0") + " set_capacity=" + std::to_string(options.set_capacity) +
         " socket_programs=" + (socket_programs ? "1" : "0");
  key += options.log ? " log=" + std::to_string(options.log->rate_per_second) + "/" + std::to_string(options.log->burst)
                     : std::string(" log=none");
  key += '\n';
  for (const Parameter& parameter : filter.parameters())
    field(key, "parameter " + std::to_string(parameter.value), parameter.name);
  for (const NamedSet& set : filter.sets()) {
    field(key, set.items.element == SetElement::Address ? "set address" : "set integer", set.name);
    field(key, "set file", set.file);
  }
  const parser::SetMapSizes capacity = parser::set_map_capacities(filter.sets(), options.set_capacity);
  key += "set maps " + std::to_string(capacity.integers) + " " + std::to_string(capacity.ipv4_exact) + " " +
         std::to_string(capacity.ipv6_exact) + " " + std::to_string(capacity.ipv4_prefixes) + " " +
         std::to_string(capacity.ipv6_prefixes) + " " + std::to_string(capacity.ipv4_cover) + " " +
         std::to_string(capacity.ipv6_cover) + "\n";
  field(key, "expression", filter.source());
  field(key, "ast", filter.dump_ast());
  return key;
}

}  // namespace bpffw
