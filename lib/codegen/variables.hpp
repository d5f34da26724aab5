// Which packet variables (spec §4) an expression reads: the prologue loads only what is needed.
#pragma once

#include <array>

#include "parser/ast.hpp"

namespace bpffw::codegen {

class VariableSet {
 public:
  void add(ast::Variable variable) { used_[index(variable)] = true; }
  // Runtime parameters (spec §6) read no packet bytes, but reading one makes malformed packets drop.
  void add_parameter() { reads_parameters_ = true; }
  bool reads_parameters() const { return reads_parameters_; }
  bool contains(ast::Variable variable) const { return used_[index(variable)]; }
  // Spec §5: malformed packets are dropped only when the filter reads some variable or parameter.
  bool any() const;
  bool reads_ports() const { return contains(ast::Variable::SrcPort) || contains(ast::Variable::DstPort); }

 private:
  static std::size_t index(ast::Variable variable) { return static_cast<std::size_t>(variable); }
  std::array<bool, std::size(ast::kAllVariables)> used_{};
  bool reads_parameters_ = false;
};

VariableSet variables_read_by(const ast::Expr& expr);

}  // namespace bpffw::codegen
