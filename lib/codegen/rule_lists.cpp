#include "codegen/rule_lists.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>
#include <utility>

#include "codegen/chains.hpp"
#include "layout/map_layout.hpp"

namespace bpffw::codegen {
namespace {

// A term's test of one variable may stand for this many values (`dst_port in {80, 443}`,
// `icmp_type < 4`) before the term is left to the chain: each value is a key.
constexpr std::uint64_t kMostValuesPerTest = 64;
// The most keys one term may put in the map (the product of its tests' values).
constexpr std::uint64_t kMostKeysPerTerm = 256;
// The most bytes of a shape's key after its id: two IPv6 addresses and four integers.
constexpr unsigned kMostSlotBytes = 64;

// One test of a term: the variable, and the values (or prefixes) that make it true.
struct KeyTest {
  ast::Variable variable;
  bool flag = false;
  std::vector<std::int64_t> values;
  std::vector<ast::Prefix> prefixes;
  std::size_t count() const { return flag ? 1 : values.size() + prefixes.size(); }
};

bool is_flag(ast::Variable variable) {
  const fields::PacketField& row = fields::field(variable);
  return row.type == fields::Type::Integer && row.min == 0 && row.max == 1 && row.absent == 0;
}

std::optional<KeyTest> key_test(const ast::Expr& expr) {
  if (const auto* ref = std::get_if<ast::VariableRef>(&expr.node)) {
    if (is_flag(ref->variable)) return KeyTest{ref->variable, true, {}, {}};
    return std::nullopt;
  }
  if (const auto* match = std::get_if<ast::AddressMatch>(&expr.node))
    return KeyTest{match->variable, false, {}, match->prefixes};
  auto test = as_variable_test(expr);
  if (!test || fields::field(test->variable).type != fields::Type::Integer) return std::nullopt;
  // Only the values the variable takes (or reads when absent) can be in a packet's key.
  const KnownBounds bounds = variable_bounds(test->variable);
  KeyTest key{test->variable, false, {}, {}};
  for (const ValueRange& range : test->ranges) {
    const std::int64_t lo = std::max(range.lo, bounds.min), hi = std::min(range.hi, bounds.max);
    if (lo > hi) continue;
    if (static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo) >= kMostValuesPerTest - key.values.size())
      return std::nullopt;
    for (std::int64_t value = lo;; ++value) {
      key.values.push_back(value);
      if (value == hi) break;
    }
  }
  if (key.values == std::vector<std::int64_t>{1} && is_flag(key.variable)) key.flag = true;
  return key;
}

// The tests of a term (an && of tests, or one test), each of a different variable; nullopt when
// the term has any other part.
std::optional<std::vector<KeyTest>> key_tests(const ast::Expr& term) {
  std::vector<const ast::Expr*> parts;
  if (const auto* logical = std::get_if<ast::Logical>(&term.node); logical && logical->op == ast::LogicalOp::And) {
    for (const ast::ExprPtr& operand : logical->operands) parts.push_back(operand.get());
  } else {
    parts.push_back(&term);
  }
  std::vector<KeyTest> tests;
  std::uint64_t keys = 1;
  for (const ast::Expr* part : parts) {
    auto test = key_test(*part);
    if (!test || test->count() == 0) return std::nullopt;  // an empty set: the chain's own code says false
    for (const KeyTest& other : tests)
      if (other.variable == test->variable) return std::nullopt;
    keys *= test->count();
    if (keys > kMostKeysPerTerm) return std::nullopt;
    tests.push_back(std::move(*test));
  }
  std::sort(tests.begin(), tests.end(), [](const KeyTest& a, const KeyTest& b) { return a.variable < b.variable; });
  return tests;
}

// One key of a term before its shape has an id: the slots and each slot's bytes.
struct TermKey {
  std::vector<KeySlot> slots;
  std::vector<std::vector<std::uint8_t>> chunks;  // one per slot
};

std::vector<std::uint8_t> integer_bytes(std::int64_t value) {
  std::vector<std::uint8_t> bytes(8);
  std::memcpy(bytes.data(), &value, 8);  // the program stores the i64 as the host does (bpfel)
  return bytes;
}

// Every combination of one value per test.
void expand(const std::vector<KeyTest>& tests, std::size_t next, TermKey& key, std::vector<TermKey>& out) {
  if (next == tests.size()) {
    out.push_back(key);
    return;
  }
  const KeyTest& test = tests[next];
  auto recurse = [&](KeySlot slot, std::vector<std::uint8_t> bytes) {
    key.slots.push_back(slot);
    key.chunks.push_back(std::move(bytes));
    expand(tests, next + 1, key, out);
    key.slots.pop_back();
    key.chunks.pop_back();
  };
  if (test.flag) {
    recurse(KeySlot{test.variable, KeySlot::Kind::Flag}, {});
    return;
  }
  for (std::int64_t value : test.values) recurse(KeySlot{test.variable, KeySlot::Kind::Integer}, integer_bytes(value));
  for (const ast::Prefix& prefix : test.prefixes) {
    KeySlot slot{test.variable, KeySlot::Kind::Address, prefix.family, prefix.length};
    // The address's own bytes (host bits 0), then zeros to the slot's size.
    const unsigned own = prefix.family == ast::Family::Ipv4 ? 4 : 16;
    std::vector<std::uint8_t> bytes(prefix.bytes.begin(), prefix.bytes.begin() + own);
    bytes.resize(slot.bytes(), 0);
    recurse(slot, std::move(bytes));
  }
}

// The index of the key's last address slot, if it has one.
std::optional<std::size_t> last_address(const std::vector<KeySlot>& slots) {
  for (std::size_t i = slots.size(); i-- > 0;)
    if (slots[i].kind == KeySlot::Kind::Address) return i;
  return std::nullopt;
}

// The key's slots with the last address of any length, moved to the end: the trie's shape.
std::vector<KeySlot> trie_shape(std::vector<KeySlot> slots, std::size_t address) {
  KeySlot any = slots[address];
  any.prefix_length = kAnyPrefixLength;
  slots.erase(slots.begin() + static_cast<std::ptrdiff_t>(address));
  slots.push_back(any);
  return slots;
}

// What names a term of the form that is true (the interpreter's rule): an && hands the decision
// to its last operand; a test decides itself. Its span as offset | length << 32.
std::uint64_t decider_when_true(const ast::Expr& term) {
  const ast::Expr* decides = &term;
  if (const auto* logical = std::get_if<ast::Logical>(&term.node)) decides = logical->operands.back().get();
  return layout::decider_word(decides->span.offset, decides->span.length);
}

unsigned slot_bytes(const std::vector<KeySlot>& slots) {
  unsigned bytes = 0;
  for (const KeySlot& slot : slots) bytes += slot.bytes();
  return bytes;
}

}  // namespace

unsigned KeySlot::bytes() const {
  switch (kind) {
    case Kind::Flag: return 0;
    case Kind::Integer: return 8;
    case Kind::Address: return family == ast::Family::Ipv4 ? 8 : 16;
  }
  return 0;
}

const RuleListPlan* RuleLists::find(const ast::Logical& chain) const {
  auto found = plans.find(&chain);
  return found == plans.end() ? nullptr : &found->second;
}

namespace {

class Planner {
 public:
  void visit(const ast::Expr& expr) {
    std::visit(ast::overloaded{
                   [&](const ast::Unary& node) { visit(*node.operand); },
                   [&](const ast::Binary& node) {
                     visit(*node.lhs);
                     visit(*node.rhs);
                   },
                   [&](const ast::Logical& node) {
                     if (node.op == ast::LogicalOp::Or) plan(node);
                     for (const ast::ExprPtr& operand : node.operands) visit(*operand);
                   },
                   [&](const ast::Conditional& node) {
                     visit(*node.condition);
                     visit(*node.if_true);
                     visit(*node.if_false);
                   },
                   [](const auto&) {},
               },
               expr.node);
  }

  RuleLists finish() {
    RuleLists lists;
    lists.plans = std::move(plans_);
    lists.exact = keys_of(exact_keys_, false);
    lists.trie = keys_of(trie_keys_, true);
    return lists;
  }

 private:
  // A key of a shape: its id, its slots' bytes in the shape's order, and for the trie the prefix
  // length in bits of the key after the length word.
  struct ShapeKey {
    std::uint32_t shape;
    std::vector<std::uint8_t> bytes;
    std::optional<std::uint32_t> prefix_bits;
    layout::RuleValue value;
  };

  // Head and slots: the hash map's keys {shape, 0}, the trie's {prefix length, shape}, so that
  // the slots start 8-aligned in both.
  static RuleKeys keys_of(const std::vector<ShapeKey>& keys, bool trie) {
    RuleKeys out;
    if (keys.empty()) return out;
    std::size_t widest = 0;
    for (const ShapeKey& key : keys) widest = std::max(widest, key.bytes.size());
    out.key_size = static_cast<std::uint32_t>(sizeof(layout::RuleKeyHead) + widest);
    // A key several terms put in the map names the first of them.
    std::map<std::vector<std::uint8_t>, layout::RuleValue> distinct;
    for (const ShapeKey& key : keys) {
      std::vector<std::uint8_t> bytes(out.key_size, 0);
      const layout::RuleKeyHead head =
          key.prefix_bits ? layout::RuleKeyHead{*key.prefix_bits, key.shape} : layout::RuleKeyHead{key.shape, 0};
      std::memcpy(bytes.data(), &head, sizeof head);
      std::copy(key.bytes.begin(), key.bytes.end(), bytes.begin() + sizeof head);
      auto [at, added] = distinct.emplace(std::move(bytes), key.value);
      if (!added && key.value.term < at->second.term) at->second = key.value;
    }
    if (trie) name_first_covering(distinct);
    out.keys.reserve(distinct.size() * out.key_size);
    out.values.resize(distinct.size() * sizeof(layout::RuleValue));
    std::size_t i = 0;
    for (const auto& [key, value] : distinct) {
      out.keys.insert(out.keys.end(), key.begin(), key.end());
      std::memcpy(out.values.data() + i++ * sizeof value, &value, sizeof value);
    }
    return out;
  }

  // A trie's lookup finds the longest prefix a packet meets, but the packet meets every shorter
  // entry of the shape on the way too: an entry names the first term among itself and those.
  static void name_first_covering(std::map<std::vector<std::uint8_t>, layout::RuleValue>& entries) {
    std::map<std::uint32_t, std::set<std::uint32_t>> lengths;  // per shape
    for (const auto& [key, value] : entries) lengths[shape_of_key(key)].insert(prefix_bits_of(key));
    std::vector<std::pair<const std::vector<std::uint8_t>*, layout::RuleValue>> first;
    for (const auto& [key, value] : entries) {
      layout::RuleValue best = value;
      const std::uint32_t bits = prefix_bits_of(key);
      for (std::uint32_t shorter : lengths[shape_of_key(key)]) {
        if (shorter >= bits) break;
        std::vector<std::uint8_t> cover = key;
        std::memcpy(cover.data(), &shorter, sizeof shorter);
        for (std::size_t bit = shorter; bit < 8 * (cover.size() - 4); ++bit)
          cover[4 + bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
        if (auto found = entries.find(cover); found != entries.end() && found->second.term < best.term)
          best = found->second;
      }
      if (best.term != value.term) first.emplace_back(&key, best);
    }
    for (const auto& [key, value] : first) entries[*key] = value;
  }
  static std::uint32_t prefix_bits_of(const std::vector<std::uint8_t>& key) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, key.data(), sizeof bits);
    return bits;
  }
  static std::uint32_t shape_of_key(const std::vector<std::uint8_t>& key) {
    std::uint32_t shape = 0;
    std::memcpy(&shape, key.data() + sizeof(std::uint32_t), sizeof shape);
    return shape;
  }

  // The shape a term's key is looked up in: its own, or, when keys differing only in the length of
  // their last address are of several lengths, the trie's.
  std::vector<KeySlot> shape_of(const TermKey& key) const {
    auto address = last_address(key.slots);
    if (!address) return key.slots;
    std::vector<KeySlot> loose = trie_shape(key.slots, *address);
    auto lengths = lengths_.find(loose);
    return lengths != lengths_.end() && lengths->second.size() > 1 ? loose : key.slots;
  }

  void plan(const ast::Logical& chain) {
    if (chain.operands.size() < kRuleListTerms) return;
    // Each term's keys, or none when it is not of the form.
    std::vector<std::optional<std::vector<TermKey>>> terms;
    lengths_.clear();
    for (const ast::ExprPtr& operand : chain.operands) {
      std::optional<std::vector<TermKey>> keys;
      if (auto tests = key_tests(*operand)) {
        keys.emplace();
        TermKey key;
        expand(*tests, 0, key, *keys);
        for (const TermKey& one : *keys)
          if (slot_bytes(one.slots) > kMostSlotBytes) keys.reset();
      }
      if (keys)
        for (const TermKey& one : *keys)
          if (auto address = last_address(one.slots))
            lengths_[trie_shape(one.slots, *address)].insert(one.slots[*address].prefix_length);
      terms.push_back(std::move(keys));
    }
    std::map<std::vector<KeySlot>, std::size_t> terms_per_shape;
    for (const auto& keys : terms) {
      if (!keys) continue;
      std::set<std::vector<KeySlot>> shapes;
      for (const TermKey& one : *keys) shapes.insert(shape_of(one));
      for (const std::vector<KeySlot>& shape : shapes) ++terms_per_shape[shape];
    }
    // The most common shapes are looked up; a term with a key of another shape stays a term.
    std::vector<std::pair<std::size_t, std::vector<KeySlot>>> by_count;
    for (auto& [shape, count] : terms_per_shape) by_count.emplace_back(count, shape);
    std::stable_sort(by_count.begin(), by_count.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    if (by_count.size() > kMostRuleShapes) by_count.resize(kMostRuleShapes);
    std::map<std::vector<KeySlot>, std::uint32_t> ids;
    for (const auto& [count, shape] : by_count) ids.emplace(shape, 0);

    RuleListPlan plan;
    struct Planned {
      std::vector<KeySlot> shape;
      TermKey key;
      layout::RuleValue value;
    };
    std::vector<Planned> keys;
    for (std::size_t i = 0; i < terms.size(); ++i) {
      bool classified =
          terms[i].has_value() && std::all_of(terms[i]->begin(), terms[i]->end(),
                                              [&](const TermKey& key) { return ids.count(shape_of(key)) != 0; });
      if (!classified) {
        plan.residual.push_back(chain.operands[i].get());
        plan.residual_terms.push_back(static_cast<std::uint32_t>(i));
        continue;
      }
      ++plan.classified_terms;
      const layout::RuleValue value{static_cast<std::uint32_t>(i), 0, decider_when_true(*chain.operands[i])};
      for (TermKey& key : *terms[i]) {
        std::vector<KeySlot> shape = shape_of(key);
        keys.push_back({std::move(shape), std::move(key), value});
      }
    }
    if (plan.classified_terms < kRuleListTerms) return;
    // Shapes in the order of their counts (the likeliest match first), ids distinct in the program.
    for (const auto& [count, shape] : by_count) {
      ids[shape] = next_id_;
      const bool trie = shape.back().kind == KeySlot::Kind::Address && shape.back().prefix_length == kAnyPrefixLength;
      plan.shapes.push_back({next_id_++, shape, trie});
    }
    for (const Planned& planned : keys) add_key(ids.at(planned.shape), planned.shape, planned.key, planned.value);
    plans_.emplace(&chain, std::move(plan));
  }

  void add_key(std::uint32_t id, const std::vector<KeySlot>& shape, const TermKey& key, layout::RuleValue value) {
    ShapeKey out{id, {}, std::nullopt, value};
    if (shape != key.slots) {  // the trie's: the last address moved to the end
      const std::size_t address = *last_address(key.slots);
      for (std::size_t i = 0; i < key.slots.size(); ++i)
        if (i != address) out.bytes.insert(out.bytes.end(), key.chunks[i].begin(), key.chunks[i].end());
      // After the length word: the shape's id, the other slots, the address's prefix.
      out.prefix_bits =
          static_cast<std::uint32_t>(8 * (sizeof(std::uint32_t) + out.bytes.size()) + key.slots[address].prefix_length);
      out.bytes.insert(out.bytes.end(), key.chunks[address].begin(), key.chunks[address].end());
      trie_keys_.push_back(std::move(out));
      return;
    }
    for (const std::vector<std::uint8_t>& chunk : key.chunks)
      out.bytes.insert(out.bytes.end(), chunk.begin(), chunk.end());
    exact_keys_.push_back(std::move(out));
  }

  std::map<const ast::Logical*, RuleListPlan> plans_;
  std::map<std::vector<KeySlot>, std::set<unsigned>> lengths_;  // per trie shape, the lengths of one chain
  std::vector<ShapeKey> exact_keys_;
  std::vector<ShapeKey> trie_keys_;
  std::uint32_t next_id_ = 0;
};

}  // namespace

RuleLists plan_rule_lists(const ast::Expr& root) {
  Planner planner;
  planner.visit(root);
  return planner.finish();
}

}  // namespace bpffw::codegen
