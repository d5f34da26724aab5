#include "codegen/emit.hpp"

#include <memory>

#include <llvm/IR/DiagnosticInfo.h>
#include <llvm/IR/DiagnosticPrinter.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

#include "codegen/module.hpp"
#include "codegen/target.hpp"
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

llvm::OptimizationLevel pass_level(unsigned level) {
  switch (level) {
    case 1: return llvm::OptimizationLevel::O1;
    case 2: return llvm::OptimizationLevel::O2;
    default: return llvm::OptimizationLevel::O3;
  }
}

tl::unexpected<Error> internal(std::string message) {
  // One line: LLVM messages may carry newlines.
  for (char& c : message) if (c == '\n') c = ' ';
  while (!message.empty() && message.back() == ' ') message.pop_back();
  return make_error(ErrorKind::Internal, std::move(message), 0, "please report this bug with the filter text");
}

// One compilation: its own LLVMContext (contexts are not thread-safe), this thread's TargetMachine.
class Compilation {
 public:
  explicit Compilation(const CompileOptions& options) : options_(options) {
    context_.setDiagnosticHandlerCallBack(&Diagnostics::handle, &diagnostics_);
  }

  Result<void> build_and_optimize(const ast::Expr& filter);
  Result<ObjectFile> emit_object();
  std::string ir_text() const;

 private:
  CompileOptions options_;
  Diagnostics diagnostics_;
  llvm::LLVMContext context_;
  llvm::TargetMachine* target_ = nullptr;
  std::unique_ptr<llvm::Module> module_;
};

Result<void> Compilation::build_and_optimize(const ast::Expr& filter) {
  if (options_.optimization_level > 3) {
    return make_error(ErrorKind::Usage, "optimization level " + std::to_string(options_.optimization_level) +
                                            " is out of range", 0, "use 0, 1, 2 or 3");
  }
  target_ = thread_target_machine(options_.optimization_level);
  if (target_ == nullptr) return internal("the BPF target of LLVM is not available");
  module_ = build_module(context_, *target_, filter);

  std::string problems;
  llvm::raw_string_ostream problems_out(problems);
  if (llvm::verifyModule(*module_, &problems_out)) {
    return internal("generated LLVM IR is invalid: " + problems);
  }

  llvm::LoopAnalysisManager loops;
  llvm::FunctionAnalysisManager functions;
  llvm::CGSCCAnalysisManager cgscc;
  llvm::ModuleAnalysisManager modules;
  llvm::PassBuilder builder(target_);
  builder.registerModuleAnalyses(modules);
  builder.registerCGSCCAnalyses(cgscc);
  builder.registerFunctionAnalyses(functions);
  builder.registerLoopAnalyses(loops);
  builder.crossRegisterProxies(loops, functions, cgscc, modules);
  llvm::ModulePassManager passes =
      options_.optimization_level == 0
          ? builder.buildO0DefaultPipeline(llvm::OptimizationLevel::O0)
          : builder.buildPerModuleDefaultPipeline(pass_level(options_.optimization_level));
  passes.run(*module_, modules);
  if (!diagnostics_.first_error.empty()) return internal("LLVM optimization failed: " + diagnostics_.first_error);
  return {};
}

Result<ObjectFile> Compilation::emit_object() {
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream out(buffer);
  llvm::legacy::PassManager passes;
  if (target_->addPassesToEmitFile(passes, out, nullptr, llvm::CodeGenFileType::ObjectFile)) {
    return internal("the BPF target of LLVM cannot emit an object file");
  }
  passes.run(*module_);
  if (!diagnostics_.first_error.empty()) return internal("BPF code generation failed: " + diagnostics_.first_error);
  ObjectFile object;
  object.bytes.assign(buffer.begin(), buffer.end());
  return object;
}

std::string Compilation::ir_text() const {
  std::string text;
  llvm::raw_string_ostream out(text);
  module_->print(out, nullptr);
  out.flush();
  return text;
}

}  // namespace

Result<ObjectFile> compile_expression(const ast::Expr& filter, const CompileOptions& options) {
  Compilation compilation(options);
  if (auto built = compilation.build_and_optimize(filter); !built) return tl::unexpected(built.error());
  return compilation.emit_object();
}

Result<std::string> llvm_ir_for_expression(const ast::Expr& filter, const CompileOptions& options) {
  Compilation compilation(options);
  if (auto built = compilation.build_and_optimize(filter); !built) return tl::unexpected(built.error());
  return compilation.ir_text();
}

}  // namespace bpffw::codegen

namespace bpffw {

Result<ObjectFile> compile(const Filter& filter, const CompileOptions& options) {
  return codegen::compile_expression(detail::FilterAccess::root(filter), options);
}

Result<std::string> emit_llvm_ir(const Filter& filter, const CompileOptions& options) {
  return codegen::llvm_ir_for_expression(detail::FilterAccess::root(filter), options);
}

}  // namespace bpffw
