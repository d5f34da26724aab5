#include "shrink.hpp"

#include <regex>
#include <utility>
#include <vector>

#include <bpffw/filter.hpp>

#include "parser/addresses.hpp"
#include "parser/ast.hpp"
#include "parser/filter_access.hpp"

namespace bpffw::difftest {
namespace {

// A bound on predicate calls, so that a pathological case still ends (each call compiles and
// loads a program in bpffw-difftest).
constexpr int kMaxFilterTries = 4000;

// Replace text[span] by `replacement`.
struct Edit {
  SourceSpan span;
  std::string replacement;
};

std::string_view span_text(const std::string& text, const SourceSpan& span) {
  return std::string_view(text).substr(span.offset, span.length);
}

std::vector<const ast::Expr*> operands_of(const ast::Expr& expr) {
  return std::visit(
      ast::overloaded{
          // Leaves: literals, variables, runtime parameters.
          [](const auto&) { return std::vector<const ast::Expr*>{}; },
          [](const ast::Unary& node) { return std::vector<const ast::Expr*>{node.operand.get()}; },
          [](const ast::Binary& node) { return std::vector<const ast::Expr*>{node.lhs.get(), node.rhs.get()}; },
          [](const ast::Logical& node) {
            std::vector<const ast::Expr*> operands;
            for (const ast::ExprPtr& operand : node.operands) operands.push_back(operand.get());
            return operands;
          },
          [](const ast::Conditional& node) {
            return std::vector<const ast::Expr*>{node.condition.get(), node.if_true.get(), node.if_false.get()};
          },
      },
      expr.node);
}

bool is_leaf(const ast::Expr& expr) { return operands_of(expr).empty(); }

// The operand's text, parenthesized unless it is one token, so that it means the same anywhere.
std::string operand_text(const std::string& text, const ast::Expr& operand) {
  std::string_view inner = span_text(text, operand.span);
  return is_leaf(operand) ? std::string(inner) : "(" + std::string(inner) + ")";
}

// True when text[span] stands directly inside parentheses, as in "( a + b )": a replacement
// needs no parentheses of its own there.
bool enclosed(const std::string& text, const SourceSpan& span) {
  std::size_t before = text.find_last_not_of(" \t\r\n", span.offset == 0 ? std::string::npos : span.offset - 1);
  std::size_t after = text.find_first_not_of(" \t\r\n", span.offset + span.length);
  return span.offset > 0 && before != std::string::npos && text[before] == '(' && after != std::string::npos &&
         text[after] == ')';
}

// Every edit of one node and, recursively, of those below it; the outermost first, since
// replacing a big subtree shrinks the most.
void collect_edits(const std::string& text, const ast::Expr& expr, std::vector<Edit>& edits) {
  const bool bare = enclosed(text, expr.span);
  auto as_replacement = [&](const ast::Expr& operand) {
    return bare ? std::string(span_text(text, operand.span)) : operand_text(text, operand);
  };
  std::vector<const ast::Expr*> operands = operands_of(expr);
  for (const ast::Expr* operand : operands) edits.push_back({expr.span, as_replacement(*operand)});
  // A chain without one of its operands.
  if (const auto* chain = std::get_if<ast::Logical>(&expr.node); chain != nullptr && operands.size() > 2) {
    for (std::size_t skip = 0; skip < operands.size(); ++skip) {
      std::string joined;
      for (std::size_t i = 0; i < operands.size(); ++i) {
        if (i == skip) continue;
        if (!joined.empty()) joined += " " + std::string(ast::op_symbol(chain->op)) + " ";
        joined += operand_text(text, *operands[i]);
      }
      edits.push_back({expr.span, bare ? joined : "(" + joined + ")"});
    }
  }
  // An address set down to one of its prefixes.
  if (const auto* match = std::get_if<ast::AddressMatch>(&expr.node); match != nullptr && match->prefixes.size() > 1) {
    for (const ast::Prefix& prefix : match->prefixes) {
      std::string test = std::string(ast::variable_name(match->variable)) + " == " + parser::format_prefix(prefix);
      edits.push_back({expr.span, bare ? test : "(" + test + ")"});
    }
  }
  const auto* literal = std::get_if<ast::Literal>(&expr.node);
  for (const char* constant : {"0", "1"}) {
    if (literal == nullptr || literal->value != (constant[0] - '0')) edits.push_back({expr.span, constant});
  }
  for (const ast::Expr* operand : operands) collect_edits(text, *operand, edits);
}

// Drops parentheses that change nothing: around one token ("(len)" -> "len") and around the whole
// text ("((a + b))" -> "a + b").
std::string drop_idle_parens(std::string text) {
  static const std::regex kParenthesizedToken(R"(\(\s*([A-Za-z0-9_]+)\s*\))");
  for (std::string previous; previous != text;) {
    previous = text;
    text = std::regex_replace(text, kParenthesizedToken, "$1");
  }
  for (;;) {
    std::size_t first = text.find_first_not_of(" \t\r\n");
    std::size_t last = text.find_last_not_of(" \t\r\n");
    if (first == std::string::npos || text[first] != '(' || text[last] != ')') return text;
    int depth = 0;
    std::size_t match = first;
    for (; match <= last; ++match) {
      depth += text[match] == '(' ? 1 : text[match] == ')' ? -1 : 0;
      if (depth == 0) break;
    }
    if (match != last) return text;  // "(a) + (b)"
    text = text.substr(first + 1, last - first - 1);
  }
}

std::size_t count_nodes(const ast::Expr& expr) {
  std::size_t count = 1;
  for (const ast::Expr* operand : operands_of(expr)) count += count_nodes(*operand);
  return count;
}

// Fewer nodes first, then shorter text.
bool smaller(const std::string& candidate, std::size_t candidate_size, const std::string& current,
             std::size_t current_size) {
  if (candidate_size != current_size) return candidate_size < current_size;
  return candidate.size() < current.size();
}

}  // namespace

std::size_t filter_size(const std::string& filter, const ParseOptions& options) {
  Result<Filter> parsed = Filter::parse(filter, options);
  return parsed ? count_nodes(detail::FilterAccess::root(*parsed)) : 0;
}

Result<std::string> shrink_filter(const std::string& filter, const FilterStillFails& still_fails,
                                  const ParseOptions& options) {
  std::string current = filter;
  std::size_t current_size = filter_size(current, options);
  int tries = 0;
  bool progress = true;
  while (progress && tries < kMaxFilterTries) {
    progress = false;
    Result<Filter> parsed = Filter::parse(current, options);
    if (!parsed) return tl::unexpected(parsed.error());
    std::vector<Edit> edits;
    collect_edits(current, detail::FilterAccess::root(*parsed), edits);
    for (const Edit& edit : edits) {
      std::string candidate =
          current.substr(0, edit.span.offset) + edit.replacement + current.substr(edit.span.offset + edit.span.length);
      std::size_t candidate_size = filter_size(candidate, options);
      if (candidate_size == 0 || !smaller(candidate, candidate_size, current, current_size)) continue;
      if (++tries > kMaxFilterTries) break;
      Result<bool> fails = still_fails(candidate);
      if (!fails) return tl::unexpected(fails.error());
      if (*fails) {
        current = drop_idle_parens(std::move(candidate));
        current_size = candidate_size;
        progress = true;
        break;
      }
    }
  }
  return current;
}

Result<packet::Packet> shrink_packet(const packet::Packet& packet, const PacketStillFails& still_fails) {
  packet::Packet current = packet;
  // Accepts `candidate` when the kernel can take it and it still fails.
  auto try_candidate = [&](const packet::Packet& candidate) -> Result<bool> {
    if (!candidate.fits_test_run()) return false;
    Result<bool> fails = still_fails(candidate);
    if (fails && *fails) current = candidate;
    return fails;
  };
  bool progress = true;
  while (progress) {
    progress = false;
    // The shortest cut that still fails.
    for (std::size_t size = 0; size < current.bytes.size(); ++size) {
      packet::Packet candidate = current;
      candidate.bytes.resize(size);
      Result<bool> accepted = try_candidate(candidate);
      if (!accepted) return tl::unexpected(accepted.error());
      if (*accepted) {
        progress = true;
        break;
      }
    }
    // Single bytes out of the middle.
    for (std::size_t i = 0; i < current.bytes.size();) {
      packet::Packet candidate = current;
      candidate.bytes.erase(candidate.bytes.begin() + static_cast<std::ptrdiff_t>(i));
      Result<bool> accepted = try_candidate(candidate);
      if (!accepted) return tl::unexpected(accepted.error());
      if (*accepted) progress = true;
      else ++i;
    }
    // Zeroes where the value does not matter.
    for (std::size_t i = 0; i < current.bytes.size(); ++i) {
      if (current.bytes[i] == 0) continue;
      packet::Packet candidate = current;
      candidate.bytes[i] = 0;
      Result<bool> accepted = try_candidate(candidate);
      if (!accepted) return tl::unexpected(accepted.error());
      if (*accepted) progress = true;
    }
  }
  return current;
}

}  // namespace bpffw::difftest
