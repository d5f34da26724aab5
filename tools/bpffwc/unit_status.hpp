// The outcome of `bpffwc --replace-everywhere` as the status of the systemd unit running it, so that
// `systemctl status bpffw@NAME` shows what is in force, and a failed start or reload, as its
// "Status:" line (sd_notify STATUS=). systemd passes $NOTIFY_SOCKET only to units with NotifyAccess=
// (or Type=notify); without it nothing is sent.
#pragma once

#include <string>

namespace bpffwc {

// exit_code: the command's. On success `summary` is the status ("program 58 replaces 57 at the pin
// and in 1 cgroup: ..."); on failure the status says so, with the first error reported and the
// program the pin still leads to:
//   FAILED, nothing changed: FILE:3:6: unknown variable 'dst_prot' ... (in force: program 57)
void notify_unit_status(int exit_code, const std::string& pin, const std::string& summary);

}  // namespace bpffwc
