# Every dependency comes from Debian 12's packages (see .ci/run for the list).

# LLVM 19: only the BPF target and what code generation needs, linked statically.
# A static link starts in a fraction of the time libLLVM.so takes (bench/RESULTS.md, the whole-process compile).
find_package(LLVM 19.1 REQUIRED CONFIG PATHS /usr/lib/llvm-19/lib/cmake/llvm NO_DEFAULT_PATH)
set(BPFFW_LLVM_COMPONENTS
  Core Support Analysis Passes Target MC MCDisassembler Object AsmParser
  BPFCodeGen BPFDesc BPFInfo BPFDisassembler BPFAsmParser)
add_library(bpffw_llvm INTERFACE)
target_include_directories(bpffw_llvm SYSTEM INTERFACE ${LLVM_INCLUDE_DIRS})
separate_arguments(bpffw_llvm_definitions NATIVE_COMMAND "${LLVM_DEFINITIONS}")
target_compile_options(bpffw_llvm INTERFACE ${bpffw_llvm_definitions})
foreach(component IN LISTS BPFFW_LLVM_COMPONENTS)
  target_link_libraries(bpffw_llvm INTERFACE LLVM${component})
endforeach()

find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf=1.1.2)

find_package(pegtl 3.2 REQUIRED CONFIG)
find_package(tl-expected REQUIRED CONFIG)
find_package(CLI11 REQUIRED CONFIG)
if(BPFFW_BUILD_TESTS)
  find_package(doctest REQUIRED CONFIG)
endif()
