// bpffwc --replace-everywhere PIN EXPRESSION: the new program takes the place of the one pinned at
// PIN, at the pin and in every cgroup where that one is attached (systemd attached it wherever a
// unit's IPIngressFilterPath=/IPEgressFilterPath= names the pin). What `systemctl reload
// bpffw@NAME` runs (docs/systemd.md).
#pragma once

#include <string>

#include <bpffw/program.hpp>

namespace bpffwc {

// How replace_everywhere speaks on success.
enum class ReplaceReport {
  Always,             // --replace-everywhere: a line saying what replaced what, and where
  OnlyWhereAttached,  // -o PIN --force: silent, unless cgroups were swapped too
};

// Pins `program` at `pin` (creating it when there is none: nothing to replace) and swaps it in
// wherever the old pinned program is attached. Prints where on standard output. On any failure
// the pin and every cgroup keep the old program. Returns the exit code. On success, `summary` (when
// given) gets what happened as one line without the pin, e.g. "program 58 replaces 57 at the pin and
// in 1 cgroup: /sys/fs/cgroup/system.slice/web.service (ingress)", whatever report_mode prints.
int replace_everywhere(const bpffw::Program& program, const std::string& pin,
                       ReplaceReport report_mode = ReplaceReport::Always, std::string* summary = nullptr);

}  // namespace bpffwc
