// bpffwc log (PIN | id:N | CGROUP -t DIR | --all) [--json | --journal]: follows drop logs (--log)
// live, one line, JSON object or journal entry per recorded drop, and a report whenever a log's
// suppressed or lost counters grow. Ends with exit 0 on SIGINT or SIGTERM; for one program also
// when it goes away (its pin removed, or, for an id or a cgroup, the program unloaded). With
// --all it follows every program that has a drop log, picking up programs loaded after it started,
// and runs until stopped: what bpffw-log.service runs.
//
// Any number of `bpffwc log` processes (and bpffw-log.service) follow a ring at once, each seeing
// every record: they share it through bpffw::SharedDropLog (one leader reads the ring and sends
// each record to the others' sockets under /run/bpffw/log). Within one process each ring is
// followed once: a pin replaced with --force keeps its ring (LoadOptions::keep_counters_of), so
// the old and new programs write to one ring.
//
// Each record shows the wall-clock time of the drop; one dropped before this reader started (left
// in the ring by nobody reading it) is marked old, or skipped with --new-only.
#include <sys/epoll.h>
#include <unistd.h>

#include <time.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <bpffw/drop_log.hpp>
#include <bpffw/runtime.hpp>

#include "command.hpp"
#include "diagnostics.hpp"
#include "drop_journal.hpp"
#include "drop_text.hpp"
#include "loader/unique_fd.hpp"
#include "runtime_text.hpp"

namespace bpffwc {
namespace {

volatile std::sig_atomic_t stop_requested = 0;
void request_stop(int) { stop_requested = 1; }

// How long one wait for records lasts, and how many waits make the once-a-second check of the
// programs' presence, the logs' counters and (--all) new programs.
constexpr int kWaitMilliseconds = 200;
constexpr int kWaitsPerCheck = 5;
constexpr int kEventsPerWait = 16;

enum class Output { Text, Json, Journal };

// One ring being read, and the loaded programs that write to it.
struct FollowedRing {
  std::optional<bpffw::SharedDropLog> log;
  std::set<std::uint32_t> program_ids;
  std::uint32_t newest_id = 0;  // the program records and reports are attributed to
  bpffw::LogCounters reported;
  Expressions expressions;  // of program_ids, for the records' deciders
};

int fail(bpffw::ErrorKind kind, const std::string& message, int error = 0, const std::string& hint = {}) {
  return report(bpffw::make_error(kind, message, error, hint).value());
}

void print(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

class LogCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("PIN", pin_, "a program compiled with --log: pinned (PIN), by id (id:N), or with -t a cgroup")
        ->type_name("");
    add_cgroup_direction_option(app, direction_);
    auto* all = app.add_flag("--all", all_, "every program with a drop log, and those loaded later, until stopped");
    auto* json = app.add_flag("--json", json_, "one JSON object per line");
    auto* journal = app.add_flag("--journal", journal_,
                                 "each drop as a journal entry of the packet's unit (the default when standard "
                                 "output is the journal)");
    app.add_flag("--new-only", new_only_, "skip the records dropped before bpffwc log started");
    json->excludes(journal);
    all->excludes("PIN");
  }

  int run() override {
    if (all_ == pin_.has_value())
      return fail(bpffw::ErrorKind::Usage, "name one program (PIN, id:N or CGROUP -t DIR) or --all", 0,
                  "bpffwc log /sys/fs/bpf/web, or bpffwc log --all");
    if (all_ && direction_) return fail(bpffw::ErrorKind::Usage, "-t goes with a cgroup, not with --all");
    output_ = journal_ || (!json_ && stdout_is_journal()) ? Output::Journal : json_ ? Output::Json : Output::Text;
    if (output_ == Output::Journal) {
      if (auto available = journal_available(); !available) return report(available.error());
    }
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    started_ns_ = static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000 + static_cast<std::uint64_t>(now.tv_nsec);
    epoll_ = bpffw::detail::UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
    if (epoll_.get() < 0) return fail(bpffw::ErrorKind::System, "epoll_create1 failed", errno);

    if (all_) {
      if (int code = scan_for_new_programs(); code != kExitSuccess) return code;
    } else {
      // Not held beyond this block: a program we kept open would never go away.
      auto program = open_program(*pin_, direction_);
      if (!program) return report(program.error());
      if (int code = follow(*program, /*required=*/true); code != kExitSuccess) return code;
    }

    struct sigaction action{};
    action.sa_handler = request_stop;  // no SA_RESTART: the wait returns at once
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    for (int waits = 1; !stop_requested && failure_ == kExitSuccess; ++waits) {
      if (int code = read_rings(); code != kExitSuccess) return code;
      if (waits % kWaitsPerCheck != 0) continue;
      if (all_) {
        if (int code = scan_for_new_programs(); code != kExitSuccess) return code;
      } else if (!pinned_program_still_there()) {
        erase_ring(rings_.begin());
        return failure_;
      }
      report_counters();
    }
    return failure_;
  }

 private:
  // Starts reading `program`'s ring, or adds the program to the ring already read. A program
  // without a drop log is an error when `required`, else (--all) skipped.
  int follow(const bpffw::Program& program, bool required) {
    auto info = program.info();
    if (!info) return required ? report(info.error()) : kExitSuccess;
    auto ring = std::make_unique<FollowedRing>();
    FollowedRing* followed = ring.get();
    auto log = bpffw::SharedDropLog::open(program, [this, followed](const bpffw::DropRecord& record) {
      emit(record, followed->newest_id, followed->expressions);
    });
    if (!log) return required ? report(log.error()) : kExitSuccess;
    auto counters = bpffw::read_log_counters(program);
    if (!counters) return required ? report(counters.error()) : kExitSuccess;
    const std::uint32_t ring_id = log->ring_id();
    auto metadata = bpffw::read_metadata(program);
    if (metadata) followed->expressions[bpffw::expression_hash(metadata->expression)] = metadata->expression;
    if (auto known = rings_.find(ring_id); known != rings_.end()) {
      if (metadata) known->second->expressions[bpffw::expression_hash(metadata->expression)] = metadata->expression;
      known->second->program_ids.insert(info->id);
      known->second->newest_id = std::max(known->second->newest_id, info->id);
      return kExitSuccess;  // the new reader closes before it reads anything
    }
    followed->log.emplace(std::move(*log));
    followed->program_ids.insert(info->id);
    followed->newest_id = info->id;
    followed->reported = *counters;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u32 = ring_id;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, followed->log->wait_fd(), &event) != 0)
      return fail(bpffw::ErrorKind::System, "cannot wait for the drop log", errno);
    rings_.emplace(ring_id, std::move(ring));
    return kExitSuccess;
  }

  int read_rings() {
    epoll_event events[kEventsPerWait];
    int ready = ::epoll_wait(epoll_.get(), events, kEventsPerWait, kWaitMilliseconds);
    if (ready < 0 && errno != EINTR) return fail(bpffw::ErrorKind::System, "cannot wait for the drop log", errno);
    // Every log is polled after every wait, ready or not: a follower takes over from a leader that
    // has gone then, and a leader reads on even if a wakeup went missing (once, on a loaded
    // machine, a leader that had just taken over stopped being woken while records waited; the
    // ring wakes its reader only for a record written where the read position is).
    for (auto& [ring_id, followed] : rings_) {
      auto read = followed->log->poll(0);
      if (!read) return report(read.error());
    }
    return failure_;
  }

  // --all: follows the programs loaded since the last scan, and lets go of rings none of whose
  // programs is loaded any more.
  int scan_for_new_programs() {
    auto ids = bpffw::Program::loaded_ids();
    if (!ids) return report(ids.error());
    const std::set<std::uint32_t> loaded(ids->begin(), ids->end());
    for (auto ring = rings_.begin(); ring != rings_.end();) {
      std::erase_if(ring->second->program_ids, [&](std::uint32_t id) { return !loaded.contains(id); });
      ring = ring->second->program_ids.empty() ? erase_ring(ring) : std::next(ring);
    }
    std::erase_if(seen_, [&](std::uint32_t id) { return !loaded.contains(id); });
    for (std::uint32_t id : loaded) {
      if (!seen_.insert(id).second) continue;
      auto program = bpffw::Program::open_id(id);
      if (!program) continue;  // gone since the listing
      if (int code = follow(*program, /*required=*/false); code != kExitSuccess) return code;
    }
    return failure_;
  }

  bool pinned_program_still_there() {
    const std::uint32_t id = rings_.begin()->second->newest_id;
    const bool pin = !direction_ && pin_->rfind("id:", 0) != 0;
    auto now = pin ? bpffw::Program::open_pinned(*pin_) : bpffw::Program::open_id(id);
    if (!now) return false;
    if (!pin) return true;
    // A --force replacement joins its ring; a program already followed needs nothing.
    auto info = now->info();
    if (info && !rings_.begin()->second->program_ids.contains(info->id)) follow(*now, /*required=*/false);
    return true;
  }

  // What the ring still holds, then the notice that its programs are gone; the ring goes.
  std::map<std::uint32_t, std::unique_ptr<FollowedRing>>::iterator erase_ring(
      std::map<std::uint32_t, std::unique_ptr<FollowedRing>>::iterator ring) {
    FollowedRing& followed = *ring->second;
    followed.log->poll(0);
    const std::string id = std::to_string(followed.newest_id);
    if (output_ == Output::Json) print("{\"event\":\"gone\",\"program_id\":" + id + "}");
    if (output_ == Output::Text)
      print(all_ ? "program " + id + " is gone; its log ends" : *pin_ + ": the program is gone; log ends");
    return rings_.erase(ring);
  }

  void report_counters() {
    for (auto& [ring_id, followed] : rings_) {
      auto program = bpffw::Program::open_id(followed->newest_id);
      if (!program) continue;
      auto counters = bpffw::read_log_counters(*program);
      if (!counters) continue;
      const bpffw::LogCounters& before = followed->reported;
      if (counters->suppressed == before.suppressed && counters->lost == before.lost) continue;
      const std::string id = std::to_string(followed->newest_id);
      if (output_ == Output::Json) {
        print("{\"program_id\":" + id + ",\"suppressed\":" + std::to_string(counters->suppressed) +
              ",\"lost\":" + std::to_string(counters->lost) + "}");
      } else {
        const std::string text =
            (all_ ? "program " + id + ": " : std::string()) + "suppressed " + std::to_string(counters->suppressed) +
            " (+" + std::to_string(counters->suppressed - before.suppressed) + ") by the rate limit, lost " +
            std::to_string(counters->lost) + " (+" + std::to_string(counters->lost - before.lost) + ") to a full ring";
        if (output_ == Output::Text) {
          print(text);
        } else if (auto sent = journal_counters(text, *counters, followed->newest_id); !sent) {
          failure_ = report(sent.error());
        }
      }
      followed->reported = *counters;
    }
  }

  void emit(const bpffw::DropRecord& record, std::uint32_t program_id, const Expressions& expressions) {
    const bool old = record.time_ns < started_ns_;
    if (old && new_only_) return;
    const CgroupNames::Name& cgroup = names_.lookup(record.cgroup_id);
    switch (output_) {
      case Output::Text:
        print(rfc3339(record.realtime_ns) + (old ? " old " : " ") + drop_line(record, cgroup, expressions));
        break;
      case Output::Json: print(drop_json(record, cgroup, program_id, old, expressions)); break;
      case Output::Journal:
        if (failure_ != kExitSuccess) break;
        if (auto sent = journal_drop(record, cgroup, program_id, old, expressions); !sent)
          failure_ = report(sent.error());
        break;
    }
  }

  std::optional<std::string> pin_;
  std::optional<std::string> direction_;
  bool all_ = false;
  bool json_ = false;
  bool journal_ = false;
  bool new_only_ = false;
  std::uint64_t started_ns_ = 0;  // CLOCK_MONOTONIC, as the records' time_ns: older records are old
  Output output_ = Output::Text;
  bpffw::detail::UniqueFd epoll_;  // declared before rings_: the rings' fds leave the epoll set as they close
  std::map<std::uint32_t, std::unique_ptr<FollowedRing>> rings_;  // by ring id
  std::set<std::uint32_t> seen_;                                  // --all: the loaded programs already looked at
  CgroupNames names_;
  int failure_ = kExitSuccess;  // a journal write that failed inside a handler
};

}  // namespace

std::unique_ptr<Command> make_log_command() { return std::make_unique<LogCommand>(); }

}  // namespace bpffwc
