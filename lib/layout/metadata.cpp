#include "layout/metadata.hpp"

#include <charconv>

namespace bpffw::layout {
namespace {

constexpr std::string_view kMagic = "bpffw=";
constexpr std::string_view kExpression = "expression=";

tl::unexpected<Error> not_ours(const std::string& why) {
  return make_error(ErrorKind::Usage, "the program carries no readable bpffw metadata: " + why, 0,
                    "is it a bpffw program? bpffw 0.1.0 and later describe themselves");
}

// "RATE/BURST", both positive decimal numbers.
std::optional<LogLimit> decode_log_limit(std::string_view text) {
  std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  LogLimit limit;
  auto number = [](std::string_view digits, std::uint32_t& out) {
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return error == std::errc() && end == digits.data() + digits.size() && out > 0;
  };
  if (!number(text.substr(0, slash), limit.rate_per_second) || !number(text.substr(slash + 1), limit.burst))
    return std::nullopt;
  return limit;
}

// A path as one item of the metadata line: '%XX' for '%', ',', '@', space and bytes outside
// printable ASCII, so that it never ends an item or a list.
std::string percent_encoded(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (c > 0x20 && c < 0x7f && c != '%' && c != ',' && c != '@') {
      out += static_cast<char>(c);
      continue;
    }
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned value = 0;
    if (text[i] == '%' && i + 2 < text.size() &&
        std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16).ptr == text.data() + i + 3) {
      out += static_cast<char>(value);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

std::string encode_metadata(const ProgramMetadata& metadata) {
  std::string text = std::string(kMagic) + metadata.bpffw_version;
  text += metadata.counters ? " counters=1" : " counters=0";
  // Only when set: a bpffw before audit mode reads an enforcing program's metadata as it always did.
  if (metadata.audit) text += " audit=1";
  if (!metadata.parameter_names.empty()) {
    text += " params=";
    for (std::size_t i = 0; i < metadata.parameter_names.size(); ++i)
      text += (i == 0 ? "" : ",") + metadata.parameter_names[i];
  }
  if (!metadata.sets.empty()) {
    text += " sets=";
    for (std::size_t i = 0; i < metadata.sets.size(); ++i)
      text += (i == 0 ? "" : ",") + metadata.sets[i].name +
              (metadata.sets[i].element == SetElement::Address ? ":addr" : ":int");
    // An item of its own, which a bpffw that does not know it skips.
    std::string files;
    for (const ProgramMetadata::SetName& set : metadata.sets)
      if (!set.file.empty()) files += (files.empty() ? "" : ",") + set.name + ":" + percent_encoded(set.file);
    if (!files.empty()) text += " setfiles=" + files;
  }
  if (metadata.direction) text += std::string(" direction=") + to_string(*metadata.direction);
  if (metadata.log)
    text += " log=" + std::to_string(metadata.log->rate_per_second) + "/" + std::to_string(metadata.log->burst);
  text += " ";
  text += kExpression;
  text += metadata.expression;
  return text;
}

Result<ProgramMetadata> decode_metadata(std::string_view text) {
  // The .rodata value ends with the string's NUL (and maybe other data after it).
  if (std::size_t nul = text.find('\0'); nul != std::string_view::npos) text = text.substr(0, nul);
  if (!text.starts_with(kMagic)) return not_ours("no 'bpffw=' header");
  ProgramMetadata metadata;
  bool first = true;
  while (!text.empty()) {
    if (text.starts_with(kExpression)) {
      metadata.expression = std::string(text.substr(kExpression.size()));
      return metadata;
    }
    std::size_t space = text.find(' ');
    if (space == std::string_view::npos) break;
    std::string_view item = text.substr(0, space);
    text.remove_prefix(space + 1);
    if (first) {
      metadata.bpffw_version = std::string(item.substr(kMagic.size()));
      first = false;
    } else if (item == "counters=1" || item == "counters=0") {
      metadata.counters = item.back() == '1';
    } else if (item == "audit=1") {
      metadata.audit = true;
    } else if (item.starts_with("direction=")) {
      if (auto direction = parse_direction(item.substr(10))) metadata.direction = *direction;
    } else if (item.starts_with("log=")) {
      if (auto limit = decode_log_limit(item.substr(4))) metadata.log = *limit;
    } else if (item.starts_with("sets=")) {
      std::string_view sets = item.substr(5);
      while (!sets.empty()) {
        std::size_t comma = sets.find(',');
        std::string_view one = sets.substr(0, comma);
        std::size_t colon = one.find(':');
        metadata.sets.push_back({std::string(one.substr(0, colon)),
                                 one.substr(colon + 1) == "addr" ? SetElement::Address : SetElement::Integer});
        sets = comma == std::string_view::npos ? std::string_view() : sets.substr(comma + 1);
      }
    } else if (item.starts_with("setfiles=")) {  // after sets= (encode_metadata's order)
      std::string_view files = item.substr(9);
      while (!files.empty()) {
        std::size_t comma = files.find(',');
        std::string_view one = files.substr(0, comma);
        std::size_t colon = one.find(':');
        for (ProgramMetadata::SetName& set : metadata.sets)
          if (colon != std::string_view::npos && set.name == one.substr(0, colon))
            set.file = percent_decoded(one.substr(colon + 1));
        files = comma == std::string_view::npos ? std::string_view() : files.substr(comma + 1);
      }
    } else if (item.starts_with("params=")) {
      std::string_view names = item.substr(7);
      while (!names.empty()) {
        std::size_t comma = names.find(',');
        metadata.parameter_names.emplace_back(names.substr(0, comma));
        names = comma == std::string_view::npos ? std::string_view() : names.substr(comma + 1);
      }
    }
  }
  return not_ours("no expression");
}

}  // namespace bpffw::layout
