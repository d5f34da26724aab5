// Rule lists (docs/filter-language.md §7.4): an `||` of many terms, each an `&&` of tests of packet
// variables against constants — `(tcp && dst_port == 22 && src_addr == 192.0.2.0/24) || ...`, as
// hosts bring them from iptables — is a classifier, not a chain of tests. The terms are grouped by
// shape: which variables they test, and for an address the family and prefix length (tuple-space
// search). Each shape is one hash-map lookup of a key built from the packet: the variables' values
// and the addresses cut to the shape's prefix length. A packet costs one lookup per shape it can
// match, whatever the number of terms, and the verifier walks the same few paths.
//
// This part decides, on the AST, which chains are rule lists and which keys their terms put in the
// map (no LLVM here); rule_lookup.hpp emits the lookups.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "parser/ast.hpp"

namespace bpffw::codegen {

// From this many terms a chain is planned as a rule list; shorter chains are tested term by term
// (chains.hpp), which costs a packet less than a lookup does.
inline constexpr std::size_t kRuleListTerms = 64;
// The most shapes one rule list looks up; terms of rarer shapes are tested one by one after them.
inline constexpr std::size_t kMostRuleShapes = 256;

// One variable of a shape. A flag (a variable of 0 and 1, as tcp or established) is tested
// before the lookup and takes no room in the key; an integer takes 8 bytes (its i64 value); an
// address its family's bytes cut to `prefix_length` (IPv4 in 8 bytes, IPv6 in 16), or, in a
// shape looked up in the trie, the whole address (kAnyPrefixLength), last in the key.
inline constexpr unsigned kAnyPrefixLength = 0xffff;
struct KeySlot {
  enum class Kind : std::uint8_t { Flag, Integer, Address };
  ast::Variable variable{};
  Kind kind = Kind::Integer;
  ast::Family family = ast::Family::Ipv4;  // Address only
  unsigned prefix_length = 0;              // Address only
  unsigned bytes() const;
  auto operator<=>(const KeySlot&) const = default;
};

// Terms whose keys differ only in the prefix length of their last address share a shape looked
// up in an LPM trie (layout::kRulePrefixMap, one lookup finds the longest prefix); all others are
// looked up in the hash map (layout::kRuleMap).
struct RuleShape {
  std::uint32_t id = 0;        // the key's first word, distinct across the program's rule lists
  std::vector<KeySlot> slots;  // in key order
  bool trie = false;           // the last slot is an address of any prefix length
};

// How one `||` chain is lowered: its shapes' lookups, then its other terms one by one.
struct RuleListPlan {
  std::vector<RuleShape> shapes;
  std::vector<const ast::Expr*> residual;     // in written order
  std::vector<std::uint32_t> residual_terms;  // each one's place among the chain's terms
  std::size_t classified_terms = 0;
};

// The entries of one rule map, `key_size` bytes each, distinct, with their values
// (layout::RuleValue). In the trie a key starts with its prefix length in bits (of what follows
// it), as LPM tries want.
struct RuleKeys {
  std::uint32_t key_size = 0;  // 0 when the map has no entries
  std::vector<std::uint8_t> keys;
  std::vector<std::uint8_t> values;  // sizeof(layout::RuleValue) bytes each
  std::size_t count() const { return key_size == 0 ? 0 : keys.size() / key_size; }
};

// The rule lists of one expression, and the entries of the program's rule maps.
struct RuleLists {
  std::map<const ast::Logical*, RuleListPlan> plans;
  RuleKeys exact;  // layout::kRuleMap
  RuleKeys trie;   // layout::kRulePrefixMap
  const RuleListPlan* find(const ast::Logical& chain) const;
};

// Plans every `||` chain of `root` with at least kRuleListTerms terms of the rule-list form. The
// plans point into `root`, which must outlive them.
RuleLists plan_rule_lists(const ast::Expr& root);

}  // namespace bpffw::codegen
