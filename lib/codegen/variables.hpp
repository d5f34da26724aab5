// Which packet variables (spec §4) an expression reads: the prologue loads only what is needed.
#pragma once

#include <array>

#include "parser/ast.hpp"

namespace bpffw::codegen {

class VariableSet {
 public:
  void add(ast::Variable variable) { used_[index(variable)] = true; }
  bool contains(ast::Variable variable) const { return used_[index(variable)]; }
  // Spec §5: malformed packets are dropped only when the filter reads some variable.
  bool any() const;
  bool reads_ports() const { return contains(ast::Variable::SrcPort) || contains(ast::Variable::DstPort); }

 private:
  static std::size_t index(ast::Variable variable) { return static_cast<std::size_t>(variable); }
  std::array<bool, std::size(ast::kAllVariables)> used_{};
};

VariableSet variables_read_by(const ast::Expr& expr);

}  // namespace bpffw::codegen
