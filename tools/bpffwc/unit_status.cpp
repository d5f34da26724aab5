#include "unit_status.hpp"

#include <dlfcn.h>

#include <cstdlib>

#include <bpffw/program.hpp>

#include "diagnostics.hpp"

namespace bpffwc {
namespace {

// systemd reads a notification of at most 4096 bytes and ignores a STATUS= that is not valid UTF-8:
// cut long text at a character boundary.
std::string bounded(std::string text) {
  constexpr std::size_t kMost = 1024;
  if (text.size() <= kMost) return text;
  std::size_t end = kMost - 3;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end) + "...";
}

// One line: systemctl shows the status on one line.
std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

}  // namespace

void notify_unit_status(int exit_code, const std::string& pin, const std::string& summary) {
  if (std::getenv("NOTIFY_SOCKET") == nullptr) return;
  std::string status;
  if (exit_code == kExitSuccess) {
    status = summary;
  } else {
    std::string in_force = "no program is pinned at " + pin;
    if (auto pinned = bpffw::Program::open_pinned(pin)) {
      auto info = pinned->info();
      in_force = "in force: program " + (info ? std::to_string(info->id) : std::string("?")) + ", as before";
    }
    std::string error = first_error().empty() ? "exit status " + std::to_string(exit_code) : first_error();
    status = "FAILED, nothing changed: " + error + " (" + in_force + ")";
  }
  // libsystemd is loaded only here, under systemd: linked, it would cost every start of bpffwc the
  // loading of it and the six libraries it needs. Neither its absence nor the return value is
  // checked: the unit's status is a convenience, the exit code and the journal are what count.
  void* systemd = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (systemd == nullptr) return;
  using Notify = int (*)(int, const char*);
  if (auto notify = reinterpret_cast<Notify>(::dlsym(systemd, "sd_notify")))
    (void)notify(0, ("STATUS=" + bounded(one_line(status))).c_str());
}

}  // namespace bpffwc
