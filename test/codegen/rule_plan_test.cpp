// Which `||` chains become rule lists (docs/filter-language.md §7.4), with which shapes and keys:
// the plan on the AST, before any code (codegen/rule_lists.hpp). The kernel's verdicts are in
// rule_list_test.cpp.
#include <doctest/doctest.h>

#include <cstring>
#include <functional>
#include <string>

#include <bpffw/filter.hpp>

#include "codegen/rule_lists.hpp"
#include "parser/filter_access.hpp"

namespace {

using bpffw::codegen::KeySlot;
using bpffw::codegen::RuleListPlan;
using bpffw::codegen::RuleLists;

std::string rule_list(int terms, const std::function<std::string(int)>& term) {
  std::string text;
  for (int i = 0; i < terms; ++i) text += (i > 0 ? " || " : "") + term(i);
  return text;
}

struct Planned {
  bpffw::Filter filter;
  RuleLists lists;
};

Planned plan(const std::string& text) {
  auto filter = bpffw::Filter::parse(text);
  REQUIRE_MESSAGE(filter, filter.error().message);
  RuleLists lists = bpffw::codegen::plan_rule_lists(bpffw::detail::FilterAccess::root(*filter));
  return {std::move(*filter), std::move(lists)};
}

const RuleListPlan& only_plan(const RuleLists& lists) {
  REQUIRE(lists.plans.size() == 1);
  return lists.plans.begin()->second;
}

std::string port_rule(int i) {
  return "(tcp && dst_port == " + std::to_string(i + 1) + " && src_addr == 10." + std::to_string(i / 256) + "." +
         std::to_string(i % 256) + ".0/24)";
}

}  // namespace

TEST_CASE("rule lists: from 64 terms an || chain is planned, below it it stays a chain") {
  CHECK(plan(rule_list(63, port_rule)).lists.plans.empty());
  Planned planned = plan(rule_list(64, port_rule));
  const RuleListPlan& list = only_plan(planned.lists);
  CHECK(list.classified_terms == 64);
  CHECK(list.residual.empty());
  REQUIRE(list.shapes.size() == 1);
  // tcp is tested before the lookup and takes no room; the port 8 bytes, the IPv4 prefix 8.
  const std::vector<KeySlot>& slots = list.shapes[0].slots;
  REQUIRE(slots.size() == 3);
  CHECK(slots[0].kind == KeySlot::Kind::Flag);
  CHECK(slots[1].kind == KeySlot::Kind::Integer);
  CHECK(slots[2].kind == KeySlot::Kind::Address);
  CHECK(slots[2].prefix_length == 24);
  CHECK_FALSE(list.shapes[0].trie);
  CHECK(planned.lists.exact.key_size == 8 + 8 + 8);
  CHECK(planned.lists.exact.count() == 64);
  CHECK(planned.lists.trie.count() == 0);
}

TEST_CASE("rule lists: terms not of the form stay tests after the lookups, in written order") {
  Planned planned = plan(rule_list(100, [](int i) {
    if (i % 10 == 3) return "(dst_port != " + std::to_string(i) + " && udp)";
    return port_rule(i);
  }));
  const RuleListPlan& list = only_plan(planned.lists);
  CHECK(list.classified_terms == 90);
  REQUIRE(list.residual.size() == 10);
  for (std::size_t i = 1; i < list.residual.size(); ++i)
    CHECK(list.residual[i - 1]->span.offset < list.residual[i]->span.offset);
  // Fewer than 64 of the form: no rule list at all.
  CHECK(plan(rule_list(100, [](int i) {
          return i % 2 == 0 ? port_rule(i) : "(dst_port != " + std::to_string(i) + " && udp)";
        })).lists.plans.empty());
}

TEST_CASE("rule lists: one prefix length is a hash lookup, several are one trie lookup") {
  Planned same = plan(rule_list(80, [](int i) { return "src_addr == 2001:db8:" + std::to_string(i) + "::/48"; }));
  CHECK(same.lists.trie.count() == 0);
  CHECK(same.lists.exact.count() == 80);
  Planned mixed = plan(rule_list(80, [](int i) {
    return "(udp && src_addr == 2001:db8:" + std::to_string(i) + "::/" + (i % 2 == 0 ? "48" : "64") + ")";
  }));
  const RuleListPlan& list = only_plan(mixed.lists);
  REQUIRE(list.shapes.size() == 1);
  CHECK(list.shapes[0].trie);
  CHECK(list.shapes[0].slots.back().prefix_length == bpffw::codegen::kAnyPrefixLength);
  CHECK(mixed.lists.trie.count() == 80);
  // {prefix length, shape}, then the 16 bytes of the address: the length counts the shape's 4.
  CHECK(mixed.lists.trie.key_size == 8 + 16);
  std::uint32_t first_length = 0;
  std::memcpy(&first_length, mixed.lists.trie.keys.data(), 4);
  CHECK((first_length == 32 + 48 || first_length == 32 + 64));
}

TEST_CASE("rule lists: sets and comparisons expand into keys, up to their limits") {
  // dst_port in {80, 443} and icmp_type < 3 (-1, 0, 1, 2 where absent counts): 2 and 4 keys per term.
  Planned sets = plan(rule_list(
      64, [](int i) { return "(tcp && dst_port in {80, 443} && src_addr == 10.0." + std::to_string(i) + ".0/24)"; }));
  CHECK(sets.lists.exact.count() == 128);
  Planned below =
      plan(rule_list(64, [](int i) { return "(icmp_type < 3 && dst_addr == 10.0." + std::to_string(i) + ".0/24)"; }));
  CHECK(below.lists.exact.count() == 256);
  // A range of more than 64 values is not a key: the term stays a test.
  Planned wide = plan(rule_list(
      64, [](int i) { return "(dst_port in {1000..2000} && src_addr == 10.0." + std::to_string(i) + ".0/24)"; }));
  CHECK(wide.lists.plans.empty());
  // Duplicate keys are one entry.
  Planned twice = plan(rule_list(64, [](int i) { return "(udp && dst_port == " + std::to_string(i % 32) + ")"; }));
  CHECK(twice.lists.exact.count() == 32);
}

TEST_CASE("rule lists: nested chains are planned on their own, with distinct shape ids") {
  const std::string inner_a = rule_list(70, port_rule);
  const std::string inner_b = rule_list(70, [](int i) { return "(udp && dst_port == " + std::to_string(i) + ")"; });
  Planned both = plan("(" + inner_a + ") && !(" + inner_b + ")");
  REQUIRE(both.lists.plans.size() == 2);
  std::vector<std::uint32_t> ids;
  for (const auto& [chain, list] : both.lists.plans)
    for (const auto& shape : list.shapes) ids.push_back(shape.id);
  REQUIRE(ids.size() == 2);
  CHECK(ids[0] != ids[1]);
}
