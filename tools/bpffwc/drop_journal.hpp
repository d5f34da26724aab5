// `bpffwc log --journal`: each drop record as a structured journal entry, attributed to the unit
// whose cgroup the packet belongs to, so that `journalctl -u UNIT` shows the unit's drops beside
// its own messages (journalctl -u matches OBJECT_SYSTEMD_UNIT= in entries sent by root).
#pragma once

#include <cstdint>
#include <string>

#include <bpffw/drop_log.hpp>
#include <bpffw/error.hpp>
#include <bpffw/runtime.hpp>

#include "drop_text.hpp"

namespace bpffwc {

// The MESSAGE_ID of drop entries (journalctl MESSAGE_ID=...), and of the log's counter reports.
inline constexpr const char* kDropMessageId = "5a0c3b7e2f9d4e61a8b4c07d1e93f256";
inline constexpr const char* kLogCountersMessageId = "c1f0a4e9b27d4d5b9e3a6f08d2c7b514";

// Whether standard output is connected to the journal (systemd sets JOURNAL_STREAM to its device
// and inode for a unit's StandardOutput=journal): then `bpffwc log` writes entries, not lines.
bool stdout_is_journal();

// Whether journald listens: libsystemd drops entries silently when its socket is missing, so this
// is checked before following anything.
bpffw::Result<void> journal_available();

// MESSAGE is drop_line's text; BPFFW_* fields carry the record (BPFFW_TIME when the packet was
// dropped, BPFFW_OLD=1 when it was in the ring before the reader started), OBJECT_SYSTEMD_* its unit.
// BPFFW_DECIDED_BY is the part of the filter that decided ("dst_port == 22"), BPFFW_DECIDED_AT where
// ("1:8-22").
bpffw::Result<void> journal_drop(const bpffw::DropRecord& record, const CgroupNames::Name& cgroup,
                                 std::uint32_t program_id, bool old, const Expressions& expressions);
// A report that the log's suppressed or lost counters grew (priority warning).
bpffw::Result<void> journal_counters(const std::string& message, const bpffw::LogCounters& counters,
                                     std::uint32_t program_id);

}  // namespace bpffwc
