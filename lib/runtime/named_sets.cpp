// Named sets of a loaded program (docs/filter-language.md §9), on the set maps (loader/set_maps.hpp).
#include <chrono>
#include <thread>

#include <bpffw/runtime.hpp>

#include "layout/map_layout.hpp"
#include "loader/set_maps.hpp"
#include "parser/names.hpp"
#include "runtime/opened_sets.hpp"

namespace bpffw {
namespace {

// One set of an OpenedSets, whose maps it refers to.
struct OpenSet {
  const loader::SetMaps& maps;
  std::uint32_t index = 0;
  SetElement element = SetElement::Integer;
};

std::string element_name(SetElement element) { return element == SetElement::Address ? "addresses" : "integers"; }

Result<OpenSet> open_set(const runtime::OpenedSets& program, std::string_view name) {
  const auto& sets = program.metadata.sets;
  std::vector<std::string> names;
  for (const ProgramMetadata::SetName& set : sets) names.push_back(set.name);
  OpenSet open{program.maps};
  while (open.index < sets.size() && sets[open.index].name != name) ++open.index;
  if (open.index == sets.size()) {
    std::string message = "the program has no set '" + std::string(name) + "'";
    if (names.empty()) return make_error(ErrorKind::Usage, message, 0, "it was compiled without --set or --set-file");
    if (auto nearest = parser::nearest_name(name, names)) message += " (did you mean '" + *nearest + "'?)";
    std::string known;
    for (const std::string& known_name : names) known += (known.empty() ? "" : ", ") + known_name;
    return make_error(ErrorKind::Usage, message, 0, "its sets: " + known);
  }
  open.element = sets[open.index].element;
  return open;
}

Result<void> check_element(const OpenSet& set, std::string_view name, const SetItems& items) {
  if (items.empty() || items.element == set.element) return {};
  return make_error(ErrorKind::Usage, "set '" + std::string(name) + "' holds " + element_name(set.element) + ", not " +
                                          element_name(items.element));
}

// A failed step's error, after undoing what the steps before it did (best effort: the undo
// itself only deletes or re-adds entries that were just changed).
Result<void> undo_then(const loader::SetMaps& maps, std::uint32_t tag, const SetItems& changed, bool were_added,
                       Error error) {
  if (were_added) (void)loader::delete_set_items(maps, tag, changed);
  else (void)loader::insert_set_items(maps, tag, changed);
  return tl::unexpected(std::move(error));
}

}  // namespace

namespace {

// Hands on the items of set `index` in its current generation, a batch at a time. A whole
// replace meanwhile deletes the generation being read, so the listing may miss items: an error then.
Result<void> visit_current(const loader::SetMaps& maps, std::uint32_t index, std::string_view name, SetElement element,
                           const SetVisitor& visit) {
  auto state = loader::read_set_state(maps, index);
  if (!state) return tl::unexpected(state.error());
  std::uint32_t generation = *state & layout::kSetStateGeneration;
  if (auto visited = loader::visit_set_items(maps, layout::set_tag(index, generation), element, visit); !visited)
    return visited;
  auto after = loader::read_set_state(maps, index);
  if (!after) return tl::unexpected(after.error());
  if ((*after & layout::kSetStateGeneration) != generation)
    return make_error(ErrorKind::System, "set '" + std::string(name) + "' was replaced whole while it was read", 0,
                      "read it again");
  return {};
}

}  // namespace

Result<std::vector<NamedSet>> read_sets(const Program& program) {
  auto opened = runtime::open_sets(program);
  if (!opened) return tl::unexpected(opened.error());
  const ProgramMetadata* metadata = &opened->metadata;
  const loader::SetMaps* maps = &opened->maps;
  std::vector<NamedSet> sets;
  for (std::uint32_t i = 0; i < metadata->sets.size(); ++i) {
    NamedSet set{metadata->sets[i].name, {metadata->sets[i].element, {}, {}}, metadata->sets[i].file};
    auto gather = [&](const SetItems& batch) {
      set.items.ranges.insert(set.items.ranges.end(), batch.ranges.begin(), batch.ranges.end());
      set.items.prefixes.insert(set.items.prefixes.end(), batch.prefixes.begin(), batch.prefixes.end());
      return true;
    };
    if (auto read = visit_current(*maps, i, set.name, set.items.element, gather); !read)
      return tl::unexpected(read.error());
    sets.push_back(std::move(set));
  }
  return sets;
}

Result<void> visit_set(const Program& program, std::string_view name, const SetVisitor& visit) {
  auto opened = runtime::open_sets(program);
  if (!opened) return tl::unexpected(opened.error());
  auto set = open_set(*opened, name);
  if (!set) return tl::unexpected(set.error());
  return visit_current(set->maps, set->index, name, set->element, visit);
}

Result<std::optional<SetItems>> match_in_set(const Program& program, std::string_view name, const SetItems& value) {
  auto opened = runtime::open_sets(program);
  if (!opened) return tl::unexpected(opened.error());
  return runtime::match_in_set(*opened, name, value);
}

Result<std::optional<SetItems>> runtime::match_in_set(const OpenedSets& program, std::string_view name,
                                                      const SetItems& value) {
  bool one_value = value.element == SetElement::Integer
                       ? value.prefixes.empty() && value.ranges.size() == 1 && value.ranges[0].lo == value.ranges[0].hi
                       : value.ranges.empty() && value.prefixes.size() == 1 &&
                             value.prefixes[0].length == (value.prefixes[0].ipv6 ? 128u : 32u);
  if (!one_value)
    return make_error(ErrorKind::Usage, "'" + format_set_items(value) + "' is not one integer or one address", 0,
                      "a packet's value is one integer or one whole address, e.g. 8080 or 192.0.2.7");
  auto set = open_set(program, name);
  if (!set) return tl::unexpected(set.error());
  if (auto checked = check_element(*set, name, value); !checked) return tl::unexpected(checked.error());
  auto state = loader::read_set_state(set->maps, set->index);
  if (!state) return tl::unexpected(state.error());
  std::uint32_t tag = layout::set_tag(set->index, *state & layout::kSetStateGeneration);
  return loader::match_set_value(set->maps, tag, *state, value);
}

namespace {

// The set `name`, checked against the items, with its state and the tag of its current generation.
struct CurrentSet {
  OpenSet set;
  std::uint32_t tag = 0;
  std::uint32_t state = 0;
};

Result<CurrentSet> open_current(const runtime::OpenedSets& program, std::string_view name, const SetItems& items) {
  // Its items are written in the expression, which says what the program does: a change here would
  // part the two, and recompiling the expression would undo it.
  if (is_inline_set(name))
    return make_error(ErrorKind::Usage, "set " + std::string(name) + " is written inline in the expression", 0,
                      "declare it as a named set to change it while the program runs: --set-file NAME=FILE "
                      "(or --set NAME=ITEMS) and `in NAME` (docs/filter-language.md §9)");
  auto set = open_set(program, name);
  if (!set) return tl::unexpected(set.error());
  if (auto checked = check_element(*set, name, items); !checked) return tl::unexpected(checked.error());
  auto state = loader::read_set_state(set->maps, set->index);
  if (!state) return tl::unexpected(state.error());
  std::uint32_t tag = layout::set_tag(set->index, *state & layout::kSetStateGeneration);
  return CurrentSet{std::move(*set), tag, *state};
}

// Adds (or removes) the items in the current generation; on failure, undoes what it changed. On
// success, `changed` (if given) receives the items added (or removed).
Result<void> change_in_place(const runtime::OpenedSets& program, std::string_view name, const SetItems& items, bool add,
                             SetItems* changed_out = nullptr) {
  auto current = open_current(program, name, items);
  if (!current) return tl::unexpected(current.error());
  const loader::SetMaps& maps = current->set.maps;
  // Shorter prefixes are looked up only when the state says the set has some: say so first.
  if (std::uint32_t flags = loader::trie_flags(items); add && (current->state & flags) != flags)
    if (auto stated = loader::write_set_state(maps, current->set.index, current->state | flags); !stated) return stated;
  SetItems changed;
  auto done = add ? loader::insert_set_items(maps, current->tag, items, &changed)
                  : loader::delete_set_items(maps, current->tag, items, &changed);
  if (!done) return undo_then(maps, current->tag, changed, add, done.error());
  if (changed_out != nullptr) *changed_out = std::move(changed);
  return {};
}

}  // namespace

Result<runtime::OpenedSets> runtime::open_sets(const Program& program) {
  auto maps = loader::program_maps(program.fd());
  if (!maps) return tl::unexpected(maps.error());
  auto metadata = loader::read_metadata(*maps);
  if (!metadata) return tl::unexpected(metadata.error());
  return OpenedSets{std::move(*metadata), loader::take_set_maps(*maps)};
}

Result<void> runtime::add_to_set(const OpenedSets& program, std::string_view name, const SetItems& items) {
  return change_in_place(program, name, items, true);
}

Result<void> runtime::remove_from_set(const OpenedSets& program, std::string_view name, const SetItems& items,
                                      SetItems* removed) {
  return change_in_place(program, name, items, false, removed);
}

Result<void> add_to_set(const Program& program, std::string_view name, const SetItems& items) {
  auto opened = runtime::open_sets(program);
  if (!opened) return tl::unexpected(opened.error());
  return runtime::add_to_set(*opened, name, items);
}

Result<void> remove_from_set(const Program& program, std::string_view name, const SetItems& items, SetItems* removed) {
  auto opened = runtime::open_sets(program);
  if (!opened) return tl::unexpected(opened.error());
  return runtime::remove_from_set(*opened, name, items, removed);
}

Result<void> replace_set(const Program& program, std::string_view name, const SetItems& items) {
  auto opened = runtime::open_sets(program);
  if (!opened) return tl::unexpected(opened.error());
  return runtime::replace_set(*opened, name, items);
}

Result<void> runtime::replace_set(const OpenedSets& program, std::string_view name, const SetItems& items) {
  auto current = open_current(program, name, items);
  if (!current) return tl::unexpected(current.error());
  const OpenSet& set = current->set;
  std::uint32_t old_tag = current->tag;
  std::uint32_t new_generation = (current->state & layout::kSetStateGeneration) ^ 1;
  std::uint32_t new_tag = layout::set_tag(set.index, new_generation);
  // The other generation holds nothing no packet looks at (or what an interrupted replace left).
  auto clear_new = [&](Error error) -> Result<void> {
    (void)loader::clear_set_items(set.maps, new_tag, set.element);
    return tl::unexpected(std::move(error));
  };
  if (auto cleared = loader::clear_set_items(set.maps, new_tag, set.element); !cleared) return cleared;
  if (auto filled = loader::write_set_items(set.maps, new_tag, items); !filled) return clear_new(filled.error());
  // The switch: one update of the state, after which every packet looks up the new tag.
  if (auto switched = loader::write_set_state(set.maps, set.index, new_generation | loader::trie_flags(items));
      !switched)
    return clear_new(switched.error());
  // A packet that read the old state just before the switch may still be looking up the old
  // tag: a program run takes microseconds, so wait far longer than that before deleting it.
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return loader::clear_set_items(set.maps, old_tag, set.element);
}

}  // namespace bpffw
