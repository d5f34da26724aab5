// Which packet variables (docs/filter-language.md §4) an expression reads: the packet parser
// copies only what they need (PacketParserVariant), and the expression's code computes only them.
#pragma once

#include <array>
#include <optional>

#include <bpffw/direction.hpp>

#include "codegen/packet_parser.hpp"
#include "parser/ast.hpp"

namespace bpffw::codegen {

class VariableSet {
 public:
  // local_* and remote_* are added as what they stand for on `direction` (fields' aliases).
  void add(ast::Variable variable);
  // Runtime parameters (§6.3) read no packet bytes, but reading one makes malformed packets drop.
  void add_parameter() { reads_parameters_ = true; }
  bool reads_parameters() const { return reads_parameters_; }
  bool contains(ast::Variable variable) const { return used_[index(variable)]; }
  // §5.6: malformed packets are dropped only when the filter reads some variable or parameter.
  bool any() const;
  // What the packet parser must copy for these variables.
  PacketParserVariant packet_parser_variant() const;

  std::optional<Direction> direction;

 private:
  static std::size_t index(ast::Variable variable) { return static_cast<std::size_t>(variable); }
  std::array<bool, std::size(ast::kAllVariables)> used_{};
  bool reads_parameters_ = false;
};

// What local_* and remote_* stand for on `direction`; any other variable stands for itself.
ast::Variable resolve_direction(ast::Variable variable, std::optional<Direction> direction);

VariableSet variables_read_by(const ast::Expr& expr, std::optional<Direction> direction);

}  // namespace bpffw::codegen
