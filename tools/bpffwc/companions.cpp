#include "companions.hpp"

#include <unistd.h>

#include <climits>

namespace bpffwc {
namespace {

const char* invocation_name = "";

}  // namespace

void set_invocation_name(const char* argv0) { invocation_name = argv0; }

// This executable is /proc/self/exe, or without /proc argv[0] when it names a path; else the parts
// are where they are installed (BPFFWC_FULL_INSTALLED).
std::string companion_path(const std::string& name) {
  char self[PATH_MAX];
  ssize_t length = ::readlink("/proc/self/exe", self, sizeof self - 1);
  std::string path = length > 0 ? std::string(self, static_cast<std::size_t>(length)) : std::string(invocation_name);
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return BPFFWC_FULL_INSTALLED "/" + name;
  std::string dir = path.substr(0, slash);
  std::string beside = dir + "/" + name;
  if (::access(beside.c_str(), F_OK) == 0) return beside;
  return dir + "/" BPFFWC_FULL_FROM_BIN "/" + name;
}

bpffw::Error installed_incompletely(const std::string& what, int err) {
  return bpffw::make_error(bpffw::ErrorKind::System, what, err, "bpffwc is installed incompletely: install it again")
      .value();
}

}  // namespace bpffwc
