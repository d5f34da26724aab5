#include "codegen/target.hpp"

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <llvm/ADT/SmallVector.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/CommandLine.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Target/TargetOptions.h>
#include <llvm/TargetParser/Triple.h>

// Only the BPF target is linked, so its initializers are declared here instead of through
// llvm/Support/TargetSelect.h (which references every target LLVM was built with).
extern "C" {
void LLVMInitializeBPFTargetInfo();
void LLVMInitializeBPFTarget();
void LLVMInitializeBPFTargetMC();
void LLVMInitializeBPFAsmPrinter();
void LLVMInitializeBPFDisassembler();
void LLVMInitializeBPFAsmParser();
}

namespace bpffw::codegen {

void initialize_bpf_target() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeBPFTargetInfo();
    LLVMInitializeBPFTarget();
    LLVMInitializeBPFTargetMC();
    LLVMInitializeBPFAsmPrinter();
    LLVMInitializeBPFDisassembler();
    LLVMInitializeBPFAsmParser();  // the packet parser is inline asm (packet_reads.cpp)
    // The lowering lays blocks out in the order that makes the common path fall through (the
    // BPF backend cannot invert a branch after placement, so moved blocks cost an extra `goto`
    // per branch). These options are process-wide; this LLVM is linked into bpffw alone.
    const char* argv[] = {"bpffw", "--disable-block-placement"};
    llvm::cl::ParseCommandLineOptions(static_cast<int>(std::size(argv)), argv, "", nullptr, nullptr, true);
  });
}

namespace {

llvm::CodeGenOptLevel codegen_level(unsigned optimization_level) {
  switch (optimization_level) {
    // BPF needs a real register allocator even at -O0: the fast one gives values stack slots of
    // their own, which makes programs larger and overflows the 512-byte BPF stack on filters of
    // a few hundred terms.
    case 0:
    case 1: return llvm::CodeGenOptLevel::Less;
    case 2: return llvm::CodeGenOptLevel::Default;
    default: return llvm::CodeGenOptLevel::Aggressive;
  }
}

std::unique_ptr<llvm::TargetMachine> create_target_machine(unsigned optimization_level) {
  initialize_bpf_target();
  std::string error;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(kTargetTriple, error);
  if (target == nullptr) return nullptr;
  llvm::TargetOptions options;
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      kTargetTriple, kTargetCpu, "", options, std::nullopt, std::nullopt, codegen_level(optimization_level)));
}

// The legacy codegen pipeline to an ELF object, built once, run on many modules (target.hpp).
class ObjectPipeline {
 public:
  static std::unique_ptr<ObjectPipeline> create(llvm::TargetMachine& machine) {
    std::unique_ptr<ObjectPipeline> pipeline(new ObjectPipeline);
    if (machine.addPassesToEmitFile(pipeline->passes_, pipeline->out_, nullptr, llvm::CodeGenFileType::ObjectFile))
      return nullptr;
    return pipeline;
  }

  void run(llvm::Module& module, std::vector<unsigned char>& bytes) {
    // The object writer appends to out_ and measures offsets from where it started; an empty
    // buffer makes each run's bytes exactly those of a fresh pipeline.
    buffer_.clear();
    passes_.run(module);
    bytes.assign(buffer_.begin(), buffer_.end());
    buffer_.clear();
    // Keep the capacity for the next filter, unless a huge one left a lot of it.
    if (buffer_.capacity() > kKeptBufferBytes) llvm::SmallVector<char, 0>().swap(buffer_);
  }

 private:
  static constexpr std::size_t kKeptBufferBytes = 1 << 20;

  ObjectPipeline() = default;

  llvm::SmallVector<char, 0> buffer_;
  llvm::raw_svector_ostream out_{buffer_};  // unbuffered: writes go straight into buffer_
  llvm::legacy::PassManager passes_;        // declared last: its streamer refers to out_
};

// One thread's code generators for one optimization level.
struct LevelCodegen {
  std::unique_ptr<llvm::TargetMachine> machine;
  // Indexed by "the module has debug info". The BPF AsmPrinter (LLVM 19) sets its BTF emitter
  // pointer in doInitialization only for a module with a compile unit and never clears it, while
  // doFinalization deletes the emitter: a module without debug info after one with it would use
  // the freed emitter. A pipeline that only ever sees one kind never does.
  // Declared after `machine`, so destroyed before it: the passes refer to the TargetMachine.
  std::array<std::unique_ptr<ObjectPipeline>, 2> pipelines;
};

LevelCodegen& thread_codegen(unsigned optimization_level) {
  if (optimization_level > 3) optimization_level = 3;
  thread_local std::array<LevelCodegen, 4> levels;
  LevelCodegen& level = levels[optimization_level];
  if (!level.machine) level.machine = create_target_machine(optimization_level);
  return level;
}

}  // namespace

llvm::TargetMachine* thread_target_machine(unsigned optimization_level) {
  return thread_codegen(optimization_level).machine.get();
}

bool emit_object_file(unsigned optimization_level, llvm::Module& module, std::vector<unsigned char>& bytes) {
  LevelCodegen& level = thread_codegen(optimization_level);
  if (!level.machine) return false;
  auto& pipeline = level.pipelines[module.debug_compile_units().empty() ? 0 : 1];
  if (!pipeline) pipeline = ObjectPipeline::create(*level.machine);
  if (!pipeline) return false;
  pipeline->run(module, bytes);
  return true;
}

}  // namespace bpffw::codegen
