// Named sets for bpffw-difftest --sets (docs/filter-language.md §9): a random set `s` of ports or
// of addresses and prefixes from the pools random packets use, a random test of it, and random
// changes. The model is what the set must hold after the changes: the interpreter judges with it,
// and the program's own contents (read_sets) must equal it.
#pragma once

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <tuple>

#include <bpffw/sets.hpp>

#include "random/rng.hpp"

namespace bpffw::difftest {

inline constexpr const char* kRandomSetName = "s";

class SetModel {
 public:
  explicit SetModel(SetElement element) : element_(element) {}
  SetElement element() const { return element_; }
  // The contents as items: integers one by one, prefixes sorted.
  SetItems items() const;
  void add(const SetItems& items);
  void remove(const SetItems& items);
  void replace(const SetItems& items);

 private:
  using PrefixKey = std::tuple<bool, std::array<std::uint8_t, 16>, unsigned>;
  SetElement element_;
  std::set<std::int64_t> integers_;
  std::set<PrefixKey> prefixes_;
};

// Up to `most` random items of the element type: ports and small port ranges, or addresses and
// prefixes of both families that random packets' addresses often fall in, or just miss.
SetItems random_set_items(random::Rng& rng, SetElement element, unsigned most);

// `VAR in s` or `!(VAR in s)` for a variable of the set's type; local_*/remote_* only when
// `directional` (a direction is chosen for the filter after).
std::string random_set_test(random::Rng& rng, SetElement element, bool directional);

// A set-only filter, or the test joined to `other` by && or ||.
std::string with_set_test(random::Rng& rng, const std::string& test, const std::string& other);

// The program's contents and the model's, equal as sets of entries.
bool same_contents(const SetItems& program, const SetModel& model);

}  // namespace bpffw::difftest
