#include "codegen/emit.hpp"

#include <algorithm>
#include <functional>
#include <memory>

#include <llvm/IR/DiagnosticInfo.h>
#include <llvm/IR/DiagnosticPrinter.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Transforms/Utils/Cloning.h>

#include "codegen/module.hpp"
#include "codegen/pipeline.hpp"
#include "codegen/socket_module.hpp"
#include "codegen/target.hpp"
#include "flow/may_pass.hpp"
#include "parser/filter_access.hpp"

namespace bpffw::codegen {
namespace {

// LLVM reports backend errors (e.g. "BPF stack limit exceeded") as diagnostics; without a handler
// it would print them and exit the process. Collect them instead.
struct Diagnostics {
  std::string first_error;

  static void handle(const llvm::DiagnosticInfo* info, void* self) {
    auto* diagnostics = static_cast<Diagnostics*>(self);
    if (info->getSeverity() != llvm::DS_Error || !diagnostics->first_error.empty()) return;
    llvm::raw_string_ostream out(diagnostics->first_error);
    llvm::DiagnosticPrinterRawOStream printer(out);
    info->print(printer);
  }
};

tl::unexpected<Error> internal(std::string message) {
  // One line: LLVM messages may carry newlines.
  for (char& c : message)
    if (c == '\n') c = ' ';
  while (!message.empty() && message.back() == ' ') message.pop_back();
  return make_error(ErrorKind::Internal, std::move(message), 0, "please report this bug with the filter text");
}

// One compilation: its own LLVMContext (contexts are not thread-safe), this thread's TargetMachine
// and object pipeline (target.hpp).
class Compilation {
 public:
  explicit Compilation(const CompileOptions& options) : options_(options) {
    context_.setDiagnosticHandlerCallBack(&Diagnostics::handle, &diagnostics_);
  }

  using ModuleBuilder = std::function<std::unique_ptr<llvm::Module>(llvm::LLVMContext&, const llvm::TargetMachine&)>;
  Result<void> build_and_optimize(const ModuleBuilder& build);
  Result<void> build_and_optimize(const ast::Expr& filter, const RuntimeSpec& runtime,
                                  const PacketParserBytes& parsers = product_packet_parsers()) {
    return build_and_optimize([&](llvm::LLVMContext& context, const llvm::TargetMachine& target) {
      return build_module(context, target, filter, runtime, parsers);
    });
  }
  Result<ObjectFile> emit_object();
  // Refuses programs too long for BPF jumps before the backend would abort on them.
  Result<void> check_program_size();
  std::string ir_text() const;

 private:
  tl::unexpected<Error> codegen_failure() const;

  CompileOptions options_;
  Diagnostics diagnostics_;
  llvm::LLVMContext context_;
  llvm::TargetMachine* target_ = nullptr;
  std::unique_ptr<llvm::Module> module_;
};

Result<void> Compilation::build_and_optimize(const ModuleBuilder& build) {
  if (options_.optimization_level > 3) {
    return make_error(ErrorKind::Usage,
                      "optimization level " + std::to_string(options_.optimization_level) + " is out of range", 0,
                      "use 0, 1, 2 or 3");
  }
  target_ = thread_target_machine(options_.optimization_level);
  if (target_ == nullptr) return internal("the BPF target of LLVM is not available");
  module_ = build(context_, *target_);

  std::string problems;
  llvm::raw_string_ostream problems_out(problems);
  if (llvm::verifyModule(*module_, &problems_out)) { return internal("generated LLVM IR is invalid: " + problems); }

  optimize_module(*module_, *target_, options_.optimization_level);
  if (!diagnostics_.first_error.empty()) return internal("LLVM optimization failed: " + diagnostics_.first_error);
  return {};
}

namespace {

// BPF cpu v3 jumps reach +-32767 instructions, and LLVM's BPF backend aborts the process (a fatal
// error, not a diagnostic) when a branch does not reach. A program shorter than that cannot have
// such a branch, so a large module is first emitted as assembly (which resolves no branches) and
// its instructions counted. Small modules skip this: they cannot come near the limit.
constexpr std::size_t kSmallModuleInstructions = 4000;
constexpr std::size_t kMaxProgramInstructions = 32767;
// Sets of kInlineSetInMap items or more are in maps already (§7.3): what is left is many smaller
// tests, and a named set is how a user gathers them.
constexpr const char* kTooLargeHint =
    "use fewer terms, ranges instead of lists, or put the values in a named set: --set-file NAME=FILE "
    "and `x in NAME` (docs/filter-language.md §9)";

std::size_t ir_instruction_count(const llvm::Module& module) {
  std::size_t count = 0;
  for (const llvm::Function& function : module) count += function.getInstructionCount();
  return count;
}

// Instruction slots in BPF assembly text: "\tr0 = 1" is one, "\tr1 = 5 ll" (ld_imm64) two;
// directives ("\t.section"), labels and comments are none.
std::size_t assembly_instruction_slots(llvm::StringRef text) {
  std::size_t slots = 0;
  while (!text.empty()) {
    auto [line, rest] = text.split('\n');
    text = rest;
    if (line.size() < 2 || line[0] != '\t' || line[1] == '.' || line[1] == '#') continue;
    slots += line.rtrim().ends_with(" ll") ? 2 : 1;
  }
  return slots;
}

}  // namespace

Result<void> Compilation::check_program_size() {
  // Checked at every optimization level: -O0 gets the same set trees and indexes, but a long
  // chain the lowering cannot regroup stays a run of branches.
  std::size_t branches = 0;
  for (const llvm::Function& function : *module_) branches = std::max(branches, longest_branch_path(function));
  if (branches > kMaxBranchPath) {
    return make_error(ErrorKind::InvalidExpression,
                      "the filter has too many conditions in a row for the kernel verifier: " +
                          std::to_string(branches) + " on one path, at most " + std::to_string(kMaxBranchPath),
                      0, kTooLargeHint);
  }
  if (ir_instruction_count(*module_) <= kSmallModuleInstructions) return {};
  std::unique_ptr<llvm::Module> copy = llvm::CloneModule(*module_);
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream out(buffer);
  llvm::legacy::PassManager passes;
  if (target_->addPassesToEmitFile(passes, out, nullptr, llvm::CodeGenFileType::AssemblyFile)) {
    return internal("the BPF target of LLVM cannot emit assembly");
  }
  passes.run(*copy);
  if (!diagnostics_.first_error.empty()) return codegen_failure();
  std::size_t slots = assembly_instruction_slots(llvm::StringRef(buffer.data(), buffer.size()));
  if (slots > kMaxProgramInstructions) {
    return make_error(ErrorKind::InvalidExpression,
                      "the filter is too large for one BPF program: " + std::to_string(slots) +
                          " instructions, at most " + std::to_string(kMaxProgramInstructions) + " are possible",
                      0, kTooLargeHint);
  }
  return {};
}

tl::unexpected<Error> Compilation::codegen_failure() const {
  if (diagnostics_.first_error.find("stack limit") != std::string::npos) {
    return make_error(ErrorKind::InvalidExpression,
                      "the filter is too large for one BPF program: it needs more than the 512 bytes of BPF stack", 0,
                      kTooLargeHint);
  }
  return internal("BPF code generation failed: " + diagnostics_.first_error);
}

Result<ObjectFile> Compilation::emit_object() {
  ObjectFile object;
  if (!emit_object_file(options_.optimization_level, *module_, object.bytes)) {
    return internal("the BPF target of LLVM cannot emit an object file");
  }
  if (!diagnostics_.first_error.empty()) return codegen_failure();
  return object;
}

std::string Compilation::ir_text() const {
  std::string text;
  llvm::raw_string_ostream out(text);
  module_->print(out, nullptr);
  out.flush();
  return text;
}

// The rule lists' keys, for Program::load.
void add_rule_entries(ObjectFile& object, const RuleLists& rules) {
  object.rule_key_size = rules.exact.key_size;
  object.rule_keys = rules.exact.keys;
  object.rule_values = rules.exact.values;
  object.rule_prefix_key_size = rules.trie.key_size;
  object.rule_prefix_keys = rules.trie.keys;
  object.rule_prefix_values = rules.trie.values;
}

}  // namespace

Result<ObjectFile> compile_expression(const ast::Expr& filter, const CompileOptions& options,
                                      const RuntimeSpec& runtime, const PacketParserBytes& parsers) {
  Compilation compilation(options);
  if (auto built = compilation.build_and_optimize(filter, runtime, parsers); !built)
    return tl::unexpected(built.error());
  if (auto fits = compilation.check_program_size(); !fits) return tl::unexpected(fits.error());
  auto object = compilation.emit_object();
  if (object) add_rule_entries(*object, runtime.rules);
  return object;
}

Result<ObjectFile> compile_socket_conditions(const SocketConditions& conditions, const CompileOptions& options,
                                             const RuntimeSpec& runtime) {
  Compilation compilation(options);
  auto built = compilation.build_and_optimize([&](llvm::LLVMContext& context, const llvm::TargetMachine& target) {
    return build_socket_module(context, target, conditions, runtime);
  });
  if (!built) return tl::unexpected(built.error());
  if (auto fits = compilation.check_program_size(); !fits) return tl::unexpected(fits.error());
  auto object = compilation.emit_object();
  if (object) add_rule_entries(*object, runtime.rules);
  return object;
}

Result<std::string> llvm_ir_for_expression(const ast::Expr& filter, const CompileOptions& options,
                                           const RuntimeSpec& runtime) {
  Compilation compilation(options);
  if (auto built = compilation.build_and_optimize(filter, runtime); !built) return tl::unexpected(built.error());
  return compilation.ir_text();
}

}  // namespace bpffw::codegen

namespace bpffw {

namespace {

// docs/filter-language.md §9: all sets of an element type share a map; refuse before loading
// what would not fit.
Result<void> check_set_capacity(const Filter& filter, const codegen::RuntimeSpec& spec) {
  using Sizes = codegen::SetMapSizes;
  static constexpr std::pair<std::uint64_t Sizes::*, const char*> kMaps[] = {
      {&Sizes::integers, "integer sets"},
      {&Sizes::ipv4_exact, "IPv4 addresses"},
      {&Sizes::ipv6_exact, "IPv6 addresses"},
      {&Sizes::ipv4_prefixes, "IPv4 prefixes"},
      {&Sizes::ipv6_prefixes, "IPv6 prefixes"},
      {&Sizes::ipv4_cover, "IPv4 prefixes' lookup"},
      {&Sizes::ipv6_cover, "IPv6 prefixes' lookup"},
  };
  Sizes needed;
  bool first = true;
  for (const NamedSet& set : filter.sets()) {
    Sizes before = needed;
    needed += codegen::set_map_entries(set.items);
    for (auto [member, map] : kMaps) {
      if (needed.*member <= spec.set_capacity.*member) continue;
      std::string what =
          first || before.*member == 0 ? "set '" + set.name + "'" : "set '" + set.name + "' with the sets before it";
      return make_error(ErrorKind::Usage,
                        what + " needs " + std::to_string(needed.*member) + " map entries for its " + map +
                            ", more than the map's maximum of " + std::to_string(spec.set_capacity.*member),
                        0,
                        "raise the maximum with --set-capacity N (CompileOptions::set_capacity); a range "
                        "lo..hi takes one entry per integer");
    }
    first = false;
  }
  return {};
}

}  // namespace

namespace {

// The object without its sets' items.
Result<ObjectFile> compile_program(const Filter& filter, const CompileOptions& options) {
  codegen::RuntimeSpec spec = codegen::runtime_spec_for(filter, options);
  if (auto fits = check_set_capacity(filter, spec); !fits) return tl::unexpected(fits.error());
  return codegen::compile_expression(detail::FilterAccess::root(filter), options, spec);
}

}  // namespace

Result<ObjectFile> compile(const Filter& filter, const CompileOptions& options) {
  auto object = compile_program(filter, options);
  if (object) object->sets = filter.sets();
  return object;
}

Result<ObjectFile> compile(Filter&& filter, const CompileOptions& options) {
  auto object = compile_program(filter, options);
  if (object) object->sets = detail::FilterAccess::take_sets(std::move(filter));
  return object;
}

Result<ObjectFile> compile_socket_programs(const Filter& filter, const CompileOptions& options) {
  // A condition that is always true compiles to programs that refuse nothing: the group, and its
  // pins for systemd's BPFProgram=, stay the same whatever the filter.
  const ast::Expr& root = detail::FilterAccess::root(filter);
  const Direction direction = filter.direction().value_or(Direction::Egress);
  ast::ExprPtr conditions;
  if (direction == Direction::Egress) {
    conditions = flow::may_pass(root);
  } else {
    // One root for the two (codegen::SocketConditions): one plan of rule lists serves both.
    ast::Logical either{ast::LogicalOp::Or, {}};
    either.operands.push_back(flow::may_pass(root, flow::Judged::ToBoundAddress));
    either.operands.push_back(flow::may_pass(root, flow::Judged::ToBoundWildcard));
    const unsigned depth = 1 + std::max(either.operands[0]->depth, either.operands[1]->depth);
    conditions = std::make_unique<ast::Expr>(ast::Expr{std::move(either), root.span, depth});
  }
  codegen::RuntimeSpec spec = codegen::runtime_spec_for(filter, options);
  if (auto fits = check_set_capacity(filter, spec); !fits) return tl::unexpected(fits.error());
  spec.refusal_counters = spec.counters;
  spec.counters = false;
  spec.metadata = false;
  // With the log, refusals are recorded in the packet program's ring (the loader shares it).
  spec.direction = direction;
  spec.rules = codegen::plan_rule_lists(*conditions);
  auto object = codegen::compile_socket_conditions({direction, *conditions}, options, spec);
  if (!object) return tl::unexpected(object.error());
  object->sets = filter.sets();
  return object;
}

ProgramMetadata metadata_for(const Filter& filter, const CompileOptions& options) {
  return codegen::metadata_of(codegen::runtime_spec_for(filter, options));
}

Result<std::string> emit_llvm_ir(const Filter& filter, const CompileOptions& options) {
  return codegen::llvm_ir_for_expression(detail::FilterAccess::root(filter), options,
                                         codegen::runtime_spec_for(filter, options));
}

}  // namespace bpffw
