// Random filter texts over every operator of docs/filter-language.md (§2-§3), every variable of
// the field table (§4: lib/fields/packet_fields.hpp's rows, drawn from the table, so that a new
// row is drawn with no change here) and sets (§7). Each row is tested against constants of its
// own range (min, max, its absent value, one beyond either end, values inside) and after its
// guard's test (`tcp && dst_port == 22`); other constants sit at the edges of int64 (INT64_MIN/MAX,
// shift counts >= 64, zero divisors). Address tests are against prefixes near the random packets'
// addresses (random/addresses.hpp); TCP flag masks use the flag names (§4.4).
// Used by the kernel differential test and bpffw-difftest.
#pragma once

#include <string>

#include "random/rng.hpp"

namespace bpffw::random {

struct RandomFilterOptions {
  unsigned max_depth = 7;   // nesting of a generated tree
  unsigned max_width = 5;   // operands of one && / || chain (a "wide" filter has 6 times more)
  unsigned max_nodes = 80;  // about how many operators and leaves one tree may have
  unsigned max_spine = 60;  // levels of a "deep" filter: one operator wrapped around another
  // Whether local_addr, remote_addr, local_port and remote_port may appear: such filters parse
  // only with ParseOptions::direction (§4.6).
  bool directional = false;
};

// A filter that parses (with a direction when options.directional); the same rng state gives the
// same text. Every address use follows the type rules of §6.2.
std::string random_filter(Rng& rng, const RandomFilterOptions& options = {});

// A constant at the edges of the value range, as text that parses (INT64_MIN has no literal).
std::string random_edge_constant(Rng& rng);

}  // namespace bpffw::random
