// Where bpffwc's parts are: bpffwc (bin/), and in the libexec directory bpffwc-full and the
// compiler module, bpffwc-compiler.so. In the build tree all three lie side by side.
#pragma once

#include <string>

#include <bpffw/error.hpp>

namespace bpffwc {

// main's argv[0], the path of this executable when /proc is not mounted.
void set_invocation_name(const char* argv0);

// The path of the part `name`: beside this executable, else in the libexec directory installed
// beside bin/ (for bpffwc; for bpffwc-full that is beside it).
std::string companion_path(const std::string& name);

// A part that is missing or cannot run: `what`, and the hint to install bpffwc again.
bpffw::Error installed_incompletely(const std::string& what, int err = 0);

}  // namespace bpffwc
