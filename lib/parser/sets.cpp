// Named sets' items (docs/filter-language.md §9): the inline-set item syntax without braces, and
// set files of one or more items per line with `#` comments.
#include <arpa/inet.h>
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include <bpffw/sets.hpp>

#include "parser/addresses.hpp"
#include "parser/parse.hpp"

namespace bpffw {
namespace {

void append(SetItems& to, SetItems&& from) {
  to.ranges.insert(to.ranges.end(), from.ranges.begin(), from.ranges.end());
  to.prefixes.insert(to.prefixes.end(), from.prefixes.begin(), from.prefixes.end());
}

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The fast path of a set file's reading: a line of one plain item (an IPv4 or IPv6 address or
// prefix, or a decimal integer), optional blanks around it and an optional comment after it, read
// in one pass with no allocation. It takes only lines the grammar reads as one literal
// (grammar.hpp: ipv4_literal, ipv6_literal, a decimal integer), checked as parse_ipv4_literal,
// parse_ipv6_literal and parse_integer_literal check them, and gives what the grammar gives. Any
// other line, an error included, returns Unknown and goes to the grammar, which says what is wrong
// and where (test/parser/set_file_test.cpp holds the two together).
enum class FastLine : std::uint8_t { Blank, Integer, Address, Unknown };

constexpr bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// 1 to 3 decimal digits at `p`, no leading zero (but "0"): their value, or -1.
int small_part(const char*& p, const char* end) {
  if (p == end || !is_digit(*p)) return -1;
  int value = *p++ - '0';
  for (int digits = 1; p != end && is_digit(*p); ++digits) {
    if (digits == 3 || value == 0) return -1;
    value = value * 10 + (*p++ - '0');
  }
  return value;
}

// True when `bytes` has no bit set after the first `length`.
bool host_bits_clear(const std::array<std::uint8_t, 16>& bytes, unsigned length, unsigned bits) {
  for (unsigned bit = length; bit < bits; ++bit)
    if (bytes[bit / 8] & (0x80u >> (bit % 8))) return false;
  return true;
}

// The `/n` at [p, end) (1 to 3 digits, at most `bits`) into `length`; true for none.
bool fast_length(const char* p, const char* end, unsigned bits, unsigned& length) {
  length = bits;
  if (p == end) return true;
  if (*p != '/' || end - p < 2 || end - p > 4) return false;
  unsigned value = 0;
  for (++p; p != end; ++p) {
    if (!is_digit(*p)) return false;
    value = value * 10 + static_cast<unsigned>(*p - '0');
  }
  if (value > bits) return false;
  length = value;
  return true;
}

bool fast_ipv4(const char* p, const char* end, SetPrefix& prefix) {
  prefix.ipv6 = false;
  prefix.bytes = {};
  for (int part = 0; part < 4; ++part) {
    int value = small_part(p, end);
    if (value < 0 || value > 255) return false;
    prefix.bytes[static_cast<std::size_t>(part)] = static_cast<std::uint8_t>(value);
    if (part < 3 && (p == end || *p++ != '.')) return false;
  }
  return fast_length(p, end, 32, prefix.length) && host_bits_clear(prefix.bytes, prefix.length, 32);
}

bool fast_ipv6(const char* begin, const char* slash, const char* end, SetPrefix& prefix) {
  char address[INET6_ADDRSTRLEN];
  std::size_t size = static_cast<std::size_t>(slash - begin);
  if (size >= sizeof address) return false;
  std::memcpy(address, begin, size);
  address[size] = '\0';
  prefix.ipv6 = true;
  return inet_pton(AF_INET6, address, prefix.bytes.data()) == 1 && fast_length(slash, end, 128, prefix.length) &&
         host_bits_clear(prefix.bytes, prefix.length, 128);
}

// What each byte can be in a fast line's item; kStop ends the item (a blank, '#').
enum : std::uint8_t { kDigit = 1, kHexLetter = 2, kDot = 4, kColon = 8, kSlash = 16, kOther = 32, kStop = 64 };
constexpr std::array<std::uint8_t, 256> kByteClass = [] {
  std::array<std::uint8_t, 256> classes{};
  for (unsigned byte = 0; byte < 256; ++byte) {
    char c = static_cast<char>(byte);
    classes[byte] = is_digit(c)                                        ? kDigit
                    : (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ? kHexLetter
                    : c == '.'                                         ? kDot
                    : c == ':'                                         ? kColon
                    : c == '/'                                         ? kSlash
                    : is_blank(c) || c == '#'                          ? kStop
                                                                       : kOther;
  }
  return classes;
}();

FastLine fast_line(const char* p, const char* end, std::int64_t& value, SetPrefix& prefix) {
  while (p != end && is_blank(*p)) ++p;
  if (p == end || *p == '#') return FastLine::Blank;
  const char* item = p;
  const char* slash = nullptr;
  unsigned seen = 0;  // the classes of the item's bytes
  for (; p != end; ++p) {
    unsigned byte_class = kByteClass[static_cast<unsigned char>(*p)];
    if (byte_class == kStop) break;
    if (byte_class == kSlash && !slash) slash = p;
    seen |= byte_class;
  }
  const char* item_end = p;
  while (p != end && is_blank(*p)) ++p;
  if ((seen & kOther) || (p != end && *p != '#')) return FastLine::Unknown;  // a second item, a comma, ...
  // fast_length takes only digits after the first '/'; inet_pton refuses an address of one ':'.
  if (seen & kColon)
    return fast_ipv6(item, slash ? slash : item_end, item_end, prefix) ? FastLine::Address : FastLine::Unknown;
  if (seen & kHexLetter) return FastLine::Unknown;
  if (seen & kDot) return fast_ipv4(item, item_end, prefix) ? FastLine::Address : FastLine::Unknown;
  if (slash) return FastLine::Unknown;
  std::size_t digits = static_cast<std::size_t>(item_end - item);
  if (digits > 18 || (digits > 1 && *item == '0')) return FastLine::Unknown;
  value = 0;
  for (const char* digit = item; digit != item_end; ++digit) value = value * 10 + (*digit - '0');
  return FastLine::Integer;
}

// The memory a large set's items are written to. A page first written costs a fault, and on the
// project's virtual machines a fault costs ~10 us: the 24 MB of a 10^6-address set, and the copies
// of it made while the vector grows, cost twice as much in faults as the reading. So the items'
// memory is made present in one call per piece (MADV_POPULATE_WRITE, kernel 5.14), and a vector of
// more than 32 MiB asks for huge pages (MADV_HUGEPAGE: taken with transparent_hugepage "madvise" or
// "always"), 2 MiB a fault. Both are hints: where they fail, the pages fault in as they are written.
// Above 32 MiB (glibc's largest mmap threshold) a block is always a mapping of its own, unmapped when
// freed: the advice ends with the vector and touches no other memory.
constexpr std::uintptr_t kPage = 4096;
constexpr std::size_t kHugePagesAbove = 32u << 20;

void advise(const void* from, std::size_t bytes, int advice) {
  std::uintptr_t start = (reinterpret_cast<std::uintptr_t>(from) + kPage - 1) & ~(kPage - 1);
  std::uintptr_t end = (reinterpret_cast<std::uintptr_t>(from) + bytes) & ~(kPage - 1);
  if (end > start) ::madvise(reinterpret_cast<void*>(start), end - start, advice);
}

// Makes [from, from + bytes) present: the pages wholly inside it (a partial page at either end is
// shared with other memory, and faults in when written).
void prefault(const void* from, std::size_t bytes) {
#ifdef MADV_POPULATE_WRITE
  advise(from, bytes, MADV_POPULATE_WRITE);
#else
  (void)from, (void)bytes;
#endif
}

// Room in `items` for `lines` more, growing at least twice as large each time: exact room per piece
// would copy everything read so far at every piece of a large file. A large file's items (a piece
// whose items take kLargePiece or more) get kLargeRoom at once, in huge pages: room for ~2.7 million
// addresses before a copy; room never written costs no memory. With `present` (the set's type is known, so this vector
// is the one written), the memory the piece will write, and on growing the copy of the items before, is made present
// first.
constexpr std::size_t kLargePiece = 1u << 20;
constexpr std::size_t kLargeRoom = 64u << 20;

template <typename T>
void make_room(std::vector<T>& items, std::size_t lines, bool present) {
  if (items.capacity() - items.size() < lines) {
    std::size_t capacity = std::max(items.size() + lines, 2 * items.capacity());
    if (lines * sizeof(T) >= kLargePiece) capacity = std::max(capacity, kLargeRoom / sizeof(T));
    std::vector<T> bigger;
    bigger.reserve(capacity);
    if (capacity * sizeof(T) > kHugePagesAbove) advise(bigger.data(), capacity * sizeof(T), MADV_HUGEPAGE);
    if (present) prefault(bigger.data(), items.size() * sizeof(T));
    bigger.insert(bigger.end(), items.begin(), items.end());
    items.swap(bigger);
  }
  if (present) prefault(items.data() + items.size(), lines * sizeof(T));
}

const char* element_name(SetElement element) { return element == SetElement::Address ? "addresses" : "integers"; }

}  // namespace

Result<SetItems> parse_set_items(std::string_view text) { return parser::parse_set_items_text(text); }

Result<SetItems> parse_set_file_text(std::string_view text) {
  SetFileParser parser;
  if (auto fed = parser.feed(text); !fed) return tl::unexpected(std::move(fed.error()));
  return parser.finish();
}

Result<void> SetFileParser::feed(std::string_view text) {
  if (text.empty()) return {};
  // Room for an item per line (make_room); lines of several items grow the vector as they come.
  std::size_t lines = std::count(text.begin(), text.end(), '\n') + 1;
  if (!typed_ || items_.element == SetElement::Address) make_room(items_.prefixes, lines, typed_);
  if (!typed_ || items_.element == SetElement::Integer) make_room(items_.ranges, lines, typed_);
  std::size_t line_start = 0;
  const unsigned first_line = next_line_;
  for (unsigned& line_number = next_line_; line_start <= text.size(); ++line_number) {
    std::size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    // The common line first, read straight into the items.
    std::int64_t value = 0;
    SetPrefix prefix;
    FastLine fast = fast_line(text.data() + line_start, text.data() + line_end, value, prefix);
    SetElement element = fast == FastLine::Address ? SetElement::Address : SetElement::Integer;
    if (fast == FastLine::Blank || (fast != FastLine::Unknown && (!typed_ || items_.element == element))) {
      if (fast == FastLine::Address) items_.prefixes.push_back(prefix);
      else if (fast == FastLine::Integer) items_.ranges.push_back({value, value});
      if (fast != FastLine::Blank && !typed_) {
        items_.element = element, typed_ = true;
        // The first item: the rest of the piece goes to its vector (make_room above knew no type).
        std::size_t rest = lines - (line_number - first_line);
        if (element == SetElement::Address) make_room(items_.prefixes, rest, true);
        else make_room(items_.ranges, rest, true);
      }
      line_start = line_end + 1;
      continue;
    }
    std::string_view line = text.substr(line_start, line_end - line_start);
    std::string_view items = line.substr(0, line.find('#'));
    // Items of the other type than the lines before: refused with the line's place.
    auto mixed = [&](SetElement element) {
      std::size_t first = items.find_first_not_of(" \t\r");
      SourceSpan span{line_start + first, items.find_last_not_of(" \t\r") + 1 - first, line_number,
                      static_cast<unsigned>(first + 1)};
      return tl::unexpected(Error{ErrorKind::InvalidExpression,
                                  std::string("a set holds integers or addresses, not both: this line has ") +
                                      element_name(element) + ", the lines before it " + element_name(items_.element),
                                  span,
                                  0,
                                  {},
                                  {}});
    };
    auto parsed = parser::parse_set_items_text(items);
    if (!parsed) {
      // The span is within the line: make it one within the text.
      Error error = std::move(parsed.error());
      if (error.span) {
        error.span->offset += line_start;
        error.span->line = line_number;
      }
      return tl::unexpected(std::move(error));
    }
    if (!parsed->empty()) {
      if (typed_ && parsed->element != items_.element) return mixed(parsed->element);
      items_.element = parsed->element;
      typed_ = true;
      append(items_, std::move(*parsed));
    }
    line_start = line_end + 1;
  }
  // The loop counted the empty "line" after a final newline; the next feed() starts it.
  if (text.back() == '\n') --next_line_;
  return {};
}

SetItems SetFileParser::finish() {
  SetItems all = std::move(items_);
  // The other type's room goes; the kept items are not copied into a tighter vector (room never
  // written costs no memory).
  if (all.element == SetElement::Address) std::vector<SetIntegerRange>().swap(all.ranges);
  else std::vector<SetPrefix>().swap(all.prefixes);
  *this = SetFileParser();
  return all;
}

std::vector<SetIntegerRange> merge_set_ranges(std::vector<SetIntegerRange> ranges) {
  std::sort(ranges.begin(), ranges.end(), [](const auto& a, const auto& b) { return a.lo < b.lo; });
  std::vector<SetIntegerRange> merged;
  for (const SetIntegerRange& range : ranges) {
    if (!merged.empty() && (merged.back().hi == INT64_MAX || range.lo <= merged.back().hi + 1))
      merged.back().hi = std::max(merged.back().hi, range.hi);
    else merged.push_back(range);
  }
  return merged;
}

std::string format_set_range(const SetIntegerRange& range) {
  std::string out = std::to_string(range.lo);
  if (range.hi != range.lo) out += ".." + std::to_string(range.hi);
  return out;
}

std::string format_set_prefix(const SetPrefix& prefix) {
  return parser::format_prefix(
      ast::Prefix{prefix.ipv6 ? ast::Family::Ipv6 : ast::Family::Ipv4, prefix.bytes, prefix.length});
}

std::string format_set_items(const SetItems& items) {
  std::string out;
  for (const SetIntegerRange& range : items.ranges) out += (out.empty() ? "" : ", ") + format_set_range(range);
  for (const SetPrefix& prefix : items.prefixes) out += (out.empty() ? "" : ", ") + format_set_prefix(prefix);
  return out;
}

}  // namespace bpffw
