# The dependencies and the lowest versions bpffw builds with; Debian 12's packages are the
# tested ones (scripts/bootstrap lists them).

# LLVM 19 or newer: only the BPF target and what code generation needs, linked statically.
# A static link starts in a fraction of the time libLLVM.so takes (bench/RESULTS.md, the whole-process compile).
# Distributions that install several LLVMs side by side (Debian: /usr/lib/llvm-N) put none of them
# on CMake's search path, so unless LLVM_DIR is given, ask the newest llvm-config on PATH (or
# -DLLVM_CONFIG=...) where its CMake package is. Tested: LLVM 19.1 (Debian 12's llvm-19-dev).
set(BPFFW_MIN_LLVM 19)
if(NOT LLVM_DIR)
  find_program(LLVM_CONFIG NAMES llvm-config-21 llvm-config-20 llvm-config-19 llvm-config
               DOC "llvm-config of the LLVM (19 or newer) to build with")
  if(LLVM_CONFIG)
    execute_process(COMMAND ${LLVM_CONFIG} --cmakedir OUTPUT_VARIABLE BPFFW_LLVM_CMAKE_DIR
                    OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE llvm_config_status)
    if(llvm_config_status EQUAL 0)
      set(LLVM_DIR ${BPFFW_LLVM_CMAKE_DIR} CACHE PATH "LLVM's CMake package directory")
    endif()
  endif()
endif()
find_package(LLVM REQUIRED CONFIG)
if(LLVM_PACKAGE_VERSION VERSION_LESS BPFFW_MIN_LLVM)
  message(FATAL_ERROR "bpffw needs LLVM ${BPFFW_MIN_LLVM} or newer; found ${LLVM_PACKAGE_VERSION} in "
                      "${LLVM_DIR}. On Debian 12: apt-get install llvm-19-dev, or pass "
                      "-DLLVM_DIR=<llvm>/lib/cmake/llvm (or -DLLVM_CONFIG=<llvm-config>).")
endif()
if(NOT "BPF" IN_LIST LLVM_TARGETS_TO_BUILD)
  message(FATAL_ERROR "the LLVM in ${LLVM_DIR} was built without the BPF target, which bpffw needs")
endif()
message(STATUS "bpffw: LLVM ${LLVM_PACKAGE_VERSION} from ${LLVM_DIR}")
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
# libbpf 1.1 or newer; the code uses nothing that 1.1.2 (Debian 12's libbpf-dev) lacks, which is
# the version tested.
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf>=1.1)
# bpffwc log --journal writes entries with sd_journal_sendv (libsystemd-dev).
pkg_check_modules(LIBSYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
# bpffwc test --pcap: captures read with the library every capture tool uses.
pkg_check_modules(LIBPCAP REQUIRED IMPORTED_TARGET libpcap)

find_package(pegtl 3.2 REQUIRED CONFIG)
find_package(tl-expected REQUIRED CONFIG)
find_package(CLI11 REQUIRED CONFIG)
if(BPFFW_BUILD_TESTS)
  find_package(doctest REQUIRED CONFIG)
  # io_uring's connect in the socket programs' end-to-end test.
  pkg_check_modules(LIBURING REQUIRED IMPORTED_TARGET liburing)
endif()
