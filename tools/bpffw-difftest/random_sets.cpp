#include "random_sets.hpp"

#include <algorithm>

#include "random/addresses.hpp"
#include "random/random_packet.hpp"

namespace bpffw::difftest {

SetItems SetModel::items() const {
  SetItems items;
  items.element = element_;
  for (std::int64_t value : integers_) items.ranges.push_back({value, value});
  for (const auto& [ipv6, bytes, length] : prefixes_) items.prefixes.push_back({ipv6, bytes, length});
  return items;
}

// Entries as the maps hold them: one per integer, one per prefix.
void SetModel::add(const SetItems& items) {
  for (const SetIntegerRange& range : items.ranges)
    for (std::int64_t value = range.lo; value <= range.hi; ++value) integers_.insert(value);
  for (const SetPrefix& prefix : items.prefixes) prefixes_.insert({prefix.ipv6, prefix.bytes, prefix.length});
}

void SetModel::remove(const SetItems& items) {
  for (const SetIntegerRange& range : items.ranges)
    for (std::int64_t value = range.lo; value <= range.hi; ++value) integers_.erase(value);
  for (const SetPrefix& prefix : items.prefixes) prefixes_.erase({prefix.ipv6, prefix.bytes, prefix.length});
}

void SetModel::replace(const SetItems& items) {
  integers_.clear();
  prefixes_.clear();
  add(items);
}

SetItems random_set_items(random::Rng& rng, SetElement element, unsigned most) {
  std::string text;
  const std::uint64_t count = rng.below(most + 1);
  for (std::uint64_t i = 0; i < count; ++i) {
    if (!text.empty()) text += ", ";
    if (element == SetElement::Integer) {
      std::uint16_t port = random::random_port(rng);
      text += std::to_string(port);
      if (rng.chance(1, 6)) text += ".." + std::to_string(std::min<unsigned>(65535, port + rng.below(4)));
      continue;
    }
    bool v6 = rng.chance(1, 2);
    random::RandomAddress address = random::random_address(rng, v6);
    // Whole addresses (the hash maps) as often as shorter prefixes (the tries).
    unsigned length = rng.chance(1, 2) ? (v6 ? 128 : 32) : random::random_prefix_length(rng, v6);
    text += random::prefix_text(address, length);
  }
  // Parsed as `--set s=ITEMS` is, so the items are what a user's would be.
  auto items = parse_set_items(text);
  if (!items) return SetItems{element};
  items->element = element;
  return std::move(*items);
}

std::string random_set_test(random::Rng& rng, SetElement element, bool directional) {
  static constexpr const char* kAddresses[] = {"src_addr", "dst_addr", "local_addr", "remote_addr"};
  static constexpr const char* kPorts[] = {"src_port", "dst_port", "local_port", "remote_port"};
  const char* const* variables = element == SetElement::Address ? kAddresses : kPorts;
  std::string test = std::string(variables[rng.below(directional ? 4 : 2)]) + " in " + kRandomSetName;
  return rng.chance(1, 4) ? "!(" + test + ")" : test;
}

std::string with_set_test(random::Rng& rng, const std::string& test, const std::string& other) {
  switch (rng.below(3)) {
    case 0: return test;
    case 1: return test + " && (" + other + ")";
    default: return "(" + other + ") || " + test;
  }
}

bool same_contents(const SetItems& program, const SetModel& model) {
  SetModel read(model.element());
  read.add(program);
  return read.items() == model.items();
}

}  // namespace bpffw::difftest
