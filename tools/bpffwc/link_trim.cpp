// Start-up trimming for the bpffwc executable only (never the library, whose users may link
// LLVM's real PassBuilder).
//
// LLVM's BPF target refers to PassBuilder::parseSinglePassOption, for parsing textual pass
// pipelines ("bpf-..." pass names), which bpffw never does. That one reference makes the static
// link pull PassBuilder.cpp.o, and with it every optimizer pass LLVM has and their thousands of
// command-line options, registered by static initializers at every start. Defining the function
// here satisfies the reference, so the linker leaves all of that out: a smaller binary that
// starts faster (bench/RESULTS.md, issue 6, "What changed").
// The middle-end bpffw runs (lib/codegen/pipeline.cpp) registers its analyses without
// PassBuilder. If LLVM ever did call this, it would read as "no such option".
#include <llvm/Passes/PassBuilder.h>

llvm::Expected<bool> llvm::PassBuilder::parseSinglePassOption(llvm::StringRef, llvm::StringRef, llvm::StringRef) {
  return false;
}
