#include "drop_journal.hpp"

#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace bpffwc {
namespace {

// One entry's FIELD=value strings, sent with sd_journal_sendv.
class JournalEntry {
 public:
  JournalEntry& add(const char* field, const std::string& value) {
    fields_.push_back(std::string(field) + "=" + value);
    return *this;
  }

  bpffw::Result<void> send() const {
    std::vector<iovec> vectors;
    for (const std::string& field : fields_) vectors.push_back({const_cast<char*>(field.data()), field.size()});
    int result = sd_journal_sendv(vectors.data(), static_cast<int>(vectors.size()));
    if (result < 0)
      return bpffw::make_error(bpffw::ErrorKind::System,
                               std::string("cannot write to the journal: ") + std::strerror(-result), -result,
                               "is systemd-journald running? Without it, leave out --journal (or use --json)");
    return {};
  }

 private:
  std::vector<std::string> fields_;
};

JournalEntry common(int priority, const char* message_id, const std::string& message, std::uint32_t program_id) {
  JournalEntry entry;
  entry.add("MESSAGE", message)
      .add("MESSAGE_ID", message_id)
      .add("PRIORITY", std::to_string(priority))
      .add("SYSLOG_IDENTIFIER", "bpffw")
      .add("BPFFW_PROGRAM_ID", std::to_string(program_id));
  return entry;
}

// The initial pid namespace's inode number (the kernel's PROC_PID_INIT_INO).
bool in_initial_pid_namespace() {
  constexpr ino_t kInitialPidNamespace = 0xEFFFFFFC;
  struct stat status{};
  return ::stat("/proc/self/ns/pid", &status) == 0 && status.st_ino == kInitialPidNamespace;
}

}  // namespace

bpffw::Result<void> journal_available() {
  // Where sd_journal_sendv sends (systemd's journal-send.c).
  constexpr const char* kJournalSocket = "/run/systemd/journal/socket";
  struct stat status{};
  if (::stat(kJournalSocket, &status) != 0 || !S_ISSOCK(status.st_mode))
    return bpffw::make_error(bpffw::ErrorKind::System,
                             std::string("no journal to write to: ") + kJournalSocket + " is missing", ENOENT,
                             "is systemd-journald running? Without it, leave out --journal (or use --json)");
  return {};
}

bool stdout_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long device = 0, inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  struct stat status{};
  return ::fstat(STDOUT_FILENO, &status) == 0 && status.st_dev == device && status.st_ino == inode;
}

bpffw::Result<void> journal_drop(const bpffw::DropRecord& record, const CgroupNames::Name& cgroup,
                                 std::uint32_t program_id, bool old, const Expressions& expressions) {
  JournalEntry entry = common(LOG_NOTICE, kDropMessageId, drop_line(record, cgroup, expressions), program_id);
  entry.add("BPFFW_TIME", rfc3339(record.realtime_ns));
  if (old) entry.add("BPFFW_OLD", "1");
  if (record.audit) entry.add("BPFFW_AUDIT", "1");
  entry.add("BPFFW_DIRECTION", bpffw::to_string(record.direction)).add("BPFFW_REASON", bpffw::to_string(record.reason));
  if (record.rule) entry.add("BPFFW_RULE", bpffw::to_string(*record.rule));
  std::string_view expression;
  if (auto span = locate_decider(record, expressions, expression))
    entry.add("BPFFW_DECIDED_BY", decided_by_part(*span, expression))
        .add("BPFFW_DECIDED_AT", decided_by_place(*span, expression));
  if (record.family != 0) entry.add("BPFFW_PROTOCOL", bpffw::protocol_name(record.protocol));
  if (!record.source.empty()) entry.add("BPFFW_SRC_ADDR", record.source);
  if (!record.destination.empty()) entry.add("BPFFW_DST_ADDR", record.destination);
  // A refusal names its caller, by its pid in the initial pid namespace (the kernel's). With
  // OBJECT_PID, journald adds the process's OBJECT_COMM, OBJECT_EXE and unit itself (for a sender
  // running as root), but it reads the pid in its own namespace: given only where that is the same.
  if (record.hook) {
    entry.add("BPFFW_HOOK", bpffw::to_string(*record.hook))
        .add("BPFFW_PID", std::to_string(record.pid))
        .add("BPFFW_COMM", record.command);
    if (in_initial_pid_namespace()) entry.add("OBJECT_PID", std::to_string(record.pid));
  }
  if (record.source_port)
    entry.add("BPFFW_SRC_PORT", std::to_string(*record.source_port))
        .add("BPFFW_DST_PORT", std::to_string(*record.destination_port));
  if (record.icmp_type)
    entry.add("BPFFW_ICMP_TYPE", std::to_string(*record.icmp_type))
        .add("BPFFW_ICMP_CODE", std::to_string(*record.icmp_code));
  entry.add("BPFFW_LENGTH", std::to_string(record.length))
      .add("BPFFW_CGROUP_ID", std::to_string(record.cgroup_id))
      .add("BPFFW_UID", std::to_string(record.uid));
  if (!cgroup.path.empty()) entry.add("OBJECT_SYSTEMD_CGROUP", cgroup.path);
  if (!cgroup.system_unit.empty()) entry.add("OBJECT_SYSTEMD_UNIT", cgroup.system_unit);
  if (!cgroup.user_unit.empty()) entry.add("OBJECT_SYSTEMD_USER_UNIT", cgroup.user_unit);
  return entry.send();
}

bpffw::Result<void> journal_counters(const std::string& message, const bpffw::LogCounters& counters,
                                     std::uint32_t program_id) {
  return common(LOG_WARNING, kLogCountersMessageId, message, program_id)
      .add("BPFFW_SUPPRESSED", std::to_string(counters.suppressed))
      .add("BPFFW_LOST", std::to_string(counters.lost))
      .send();
}

}  // namespace bpffwc
