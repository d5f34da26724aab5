// Named sets (docs/filter-language.md §9): `dst_port in allowed_ports`, `src_addr in blocklist`.
// A set is declared when the filter is compiled (ParseOptions::sets) and kept in maps of the
// loaded program, so its contents can change without recompiling or reloading (runtime.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <bpffw/error.hpp>

namespace bpffw {

enum class SetElement : std::uint8_t { Integer, Address };

// An inclusive range of integers lo..hi (lo == hi for one value).
struct SetIntegerRange {
  std::int64_t lo = 0;
  std::int64_t hi = 0;
  bool operator==(const SetIntegerRange&) const = default;
};

// An address or prefix: IPv4 in the first 4 bytes, network byte order, host bits 0.
struct SetPrefix {
  bool ipv6 = false;
  std::array<std::uint8_t, 16> bytes{};
  unsigned length = 32;  // in bits
  bool operator==(const SetPrefix&) const = default;
};

// A set's contents: integers (ranges) or addresses (prefixes), never both.
struct SetItems {
  SetElement element = SetElement::Integer;
  std::vector<SetIntegerRange> ranges;
  std::vector<SetPrefix> prefixes;
  bool empty() const { return ranges.empty() && prefixes.empty(); }
  bool operator==(const SetItems&) const = default;
  // How many map entries the items take: each integer of a range is one, each prefix one
  // (saturating at UINT64_MAX).
  std::uint64_t entry_count() const {
    std::uint64_t count = prefixes.size();
    for (const SetIntegerRange& range : ranges) {
      std::uint64_t width = static_cast<std::uint64_t>(range.hi) - static_cast<std::uint64_t>(range.lo);
      if (width == UINT64_MAX || count > UINT64_MAX - width - 1) return UINT64_MAX;
      count += width + 1;
    }
    return count;
  }
};

// A named set's declaration (ParseOptions::sets): its name, an identifier, and its items. With
// no items the set takes its element type from its use.
struct NamedSet {
  std::string name;
  SetItems items;
  // The set file the items were read from (an absolute path), empty for items given inline. Kept in
  // the program's metadata, so that `bpffwc set` can say that a live change will be undone by the
  // next reload from the file, and `bpffwc status` can compare the set with its file.
  std::string file = {};
  bool operator==(const NamedSet&) const = default;
};

// An inline set of kInlineSetInMap items or more (`src_addr in {...}`, or a long chain of `==`
// tests of one variable) is kept in the maps like a named set (docs/filter-language.md §7.3), under
// a name no declaration can take: "{set@LINE.COLUMN}", where it is written. It is part of the
// expression, so `bpffwc set` does not change it; `bpffwc show --set` lists it.
inline constexpr std::size_t kInlineSetInMap = 256;
inline bool is_inline_set(std::string_view name) { return name.starts_with('{'); }

// Parses items written like an inline set's (without the braces), e.g. "22, 80..90".
// ErrorKind::InvalidExpression with a span into `text`.
Result<SetItems> parse_set_items(std::string_view text);

// Parses a set file: one item per line (or several, separated by commas), `#` starts a comment
// to the end of the line, blank lines are skipped. ErrorKind::InvalidExpression with a span into
// `text` (its line and column count in the file).
Result<SetItems> parse_set_file_text(std::string_view text);

// parse_set_file_text for a file read piece by piece (a 10^6-line set file need not be held
// whole): feed() takes whole lines (a piece ends at a line's end, or at the end of the file), in
// order; finish() gives the items of every line fed. An error's span has the line number within
// the file and the offset within the text of that feed() call.
class SetFileParser {
 public:
  Result<void> feed(std::string_view lines);
  SetItems finish();

 private:
  SetItems items_;
  bool typed_ = false;      // a line with items has set items_.element
  unsigned next_line_ = 1;  // the file's line number of the next line fed
};

// The same integers as few ranges: sorted by their lower end, overlapping and adjacent ones joined.
std::vector<SetIntegerRange> merge_set_ranges(std::vector<SetIntegerRange> ranges);

// "a, b, c": the items in the syntax parse_set_items reads back.
std::string format_set_items(const SetItems& items);
// One item so: "8000..8100" ("22" for one integer); "10.0.0.0/8", "192.0.2.1" (a whole address
// without its length), "2001:db8::/32".
std::string format_set_range(const SetIntegerRange& range);
std::string format_set_prefix(const SetPrefix& prefix);

// All integer sets of a program share one hash map; all whole IPv4 addresses (/32) one hash map,
// all shorter IPv4 prefixes one LPM trie, and the same for IPv6. Each map holds
// CompileOptions::set_capacity entries if that is given, else the default below or
// set_capacity_for(what the sets put in it when compiled), whichever is more. Replacing a set whole
// holds its old and new entries at once for a moment, so a set can be replaced whole while its maps
// are at most half full: a map sized by set_capacity_for takes the sets again as many live additions,
// or one whole replace of each.
inline constexpr std::uint32_t kDefaultIntegerSetCapacity = 1u << 17;
inline constexpr std::uint32_t kDefaultExactAddressSetCapacity = 1u << 14;
inline constexpr std::uint32_t kDefaultAddressSetCapacity = 1u << 21;
// The most entries a set map is given without CompileOptions::set_capacity.
inline constexpr std::uint32_t kMaxSetCapacity = 1u << 26;

// The capacity a set map gets for `entries` (before the default raises it): the least power of two
// that is at least twice as many, at most kMaxSetCapacity. Twice: room to replace the sets whole, or
// to grow as much again. A power of two: the kernel gives a hash map that many buckets anyway, so a
// capacity between two powers would cost the buckets of the larger one.
inline constexpr std::uint64_t set_capacity_for(std::uint64_t entries) {
  std::uint64_t capacity = 1;
  while (capacity < kMaxSetCapacity && capacity / 2 < entries) capacity *= 2;
  return capacity;
}

}  // namespace bpffw
