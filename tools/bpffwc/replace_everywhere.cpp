#include "replace_everywhere.hpp"

#include <cerrno>
#include <cstdio>
#include <vector>

#include <bpffw/cgroup.hpp>

#include "diagnostics.hpp"

namespace bpffwc {
namespace {

std::string id_text(const bpffw::Program& program) {
  auto info = program.info();
  return info ? std::to_string(info->id) : "?";
}

std::string places(const std::vector<bpffw::Attachment>& attachments) {
  if (attachments.empty()) return "in no cgroup";
  std::string text = "in " + std::to_string(attachments.size()) + (attachments.size() == 1 ? " cgroup:" : " cgroups:");
  const char* separator = " ";
  for (const bpffw::Attachment& a : attachments) {
    text += separator + a.cgroup + " (" + bpffw::to_string(a.direction) + ")";
    separator = ", ";
  }
  return text;
}

}  // namespace

int replace_everywhere(const bpffw::Program& program, const std::string& pin, ReplaceReport report_mode,
                       std::string* summary) {
  auto old = bpffw::Program::open_pinned(pin);
  if (!old && old.error().sys_errno == ENOENT) {
    if (auto pinned = program.pin(pin, bpffw::PinMode::CreateNew); !pinned) return report(pinned.error());
    std::string done = "program " + id_text(program) + " pinned; there was none to replace";
    if (summary != nullptr) *summary = done;
    if (report_mode == ReplaceReport::OnlyWhereAttached) return kExitSuccess;
    std::printf("%s: %s\n", pin.c_str(), done.c_str());
    return kExitSuccess;
  }
  if (!old) return report(old.error());

  // The pin first: a unit starting from now on opens the new program. Then the cgroups, twice: a
  // unit that opened the pin just before it changed may attach the old program after the first pass.
  if (auto pinned = program.pin(pin, bpffw::PinMode::Replace); !pinned) return report(pinned.error());
  std::vector<bpffw::Attachment> swapped;
  for (int pass = 0; pass < 2; ++pass) {
    auto done = bpffw::replace_everywhere(*old, program);
    if (!done) {
      bpffw::Error error = done.error();
      for (const bpffw::Attachment& back : swapped) {
        auto cgroup = bpffw::Cgroup::open(back.cgroup);
        if (cgroup) (void)bpffw::replace(*cgroup, back.direction, program, *old);
      }
      if (auto restored = old->pin(pin, bpffw::PinMode::Replace); !restored)
        error.message += "; and the old program could not be pinned again: " + restored.error().message;
      else error.hint = "nothing changed: the pin and every cgroup keep program " + id_text(*old);
      return report(error);
    }
    swapped.insert(swapped.end(), done->begin(), done->end());
  }
  std::string done =
      "program " + id_text(program) + " replaces " + id_text(*old) + " at the pin and " + places(swapped);
  if (summary != nullptr) *summary = done;
  if (report_mode == ReplaceReport::OnlyWhereAttached && swapped.empty()) return kExitSuccess;
  std::printf("%s: %s\n", pin.c_str(), done.c_str());
  return kExitSuccess;
}

}  // namespace bpffwc
