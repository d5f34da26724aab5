// Random filter texts over every operator and variable of the spec (§2-§4) and sets (§7), with constants at the
// edges (0, 1, 53, 65535, 65536, negatives, INT64_MIN/MAX, shift counts >= 64, zero divisors).
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
};

// A filter that parses; the same rng state gives the same text.
std::string random_filter(Rng& rng, const RandomFilterOptions& options = {});

// A constant at the edges of the value range, as text that parses (INT64_MIN has no literal).
std::string random_edge_constant(Rng& rng);

}  // namespace bpffw::random
