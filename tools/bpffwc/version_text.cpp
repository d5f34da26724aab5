// The versions come from the build (CMake passes LLVM's and libbpf's package versions) and, for
// the shared libbpf, from the library actually loaded at run time.
#include "version_text.hpp"

#include <bpf/libbpf.h>

#include <bpffw/version.hpp>

namespace bpffwc {

std::string version_text() {
  // The build knows libbpf's full version; the running library only major.minor. Show the full
  // one when they agree, else what is really running.
  std::string libbpf = BPFFWC_LIBBPF_VERSION;
  std::string running = std::to_string(libbpf_major_version()) + "." + std::to_string(libbpf_minor_version());
  if (libbpf.rfind(running + ".", 0) != 0 && libbpf != running) libbpf = running;
  return std::string("bpffwc ") + bpffw::kVersion + " (LLVM " + BPFFWC_LLVM_VERSION + ", libbpf " + libbpf + ")";
}

}  // namespace bpffwc
