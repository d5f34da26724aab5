// The GNU build id of a binary (its NT_GNU_BUILD_ID note): what tells one build of the compiler from
// another, even of the same version, so that the compile cache never serves an object compiled by
// another build.
#pragma once

#include <string>

namespace bpffw::cache {

// The build id of the ELF file at `path`, in hex; empty when it cannot be read or has none.
std::string build_id_of_file(const std::string& path);

// The build id of the loaded binary (executable or shared library) holding `address`, from its
// notes in memory; empty when it has none.
std::string build_id_of_binary_holding(const void* address);

}  // namespace bpffw::cache
