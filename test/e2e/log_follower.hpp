// The drop log's end-to-end helpers: `bpffwc log` run in the background with its output in a file,
// and UDP datagrams sent from a scratch cgroup for a filter to drop.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace bpffw::e2e {

// Sends `count` datagrams to 127.0.0.1:port from source port `from` in `cgroup`, without waiting
// for anything (an egress drop fails the send; that is the point), in batches of `batch` with
// `pause_us` between them. spawn_datagrams returns the child (wait_child it); send_datagrams waits.
pid_t spawn_datagrams(const std::string& cgroup, std::uint16_t from, std::uint16_t port, int count, int batch = 0,
                      int pause_us = 0);
void send_datagrams(const std::string& cgroup, std::uint16_t from, std::uint16_t port, int count, int batch = 0,
                    int pause_us = 0);

// A scratch file for a follower's output (bpffs, where the pins are, holds no regular files).
std::string output_file(const char* name);

// `bpffwc log --json ARGS...` in the background, its output in a file (removed at the end).
class LogFollower {
 public:
  LogFollower(const std::vector<std::string>& args, const std::string& output);
  // `bpffwc log --json WHAT`: a pin, or --all.
  LogFollower(const std::string& what, const std::string& output) : LogFollower(std::vector{what}, output) {}
  LogFollower(const LogFollower&) = delete;
  LogFollower& operator=(const LogFollower&) = delete;
  ~LogFollower();

  // Waits until `lines` lines hold `needle` (or timeout_ms has passed); the output then.
  std::string wait_for(std::size_t lines, const std::string& needle, int timeout_ms = 10000);
  // The lines once `lines` of them hold `needle` (or after timeout_ms), then SIGTERM: exit 0 expected.
  std::string stop_after(std::size_t lines, const std::string& needle, int timeout_ms = 10000);
  // SIGKILL, by PID: it leaves what a crash leaves.
  void kill();
  pid_t pid() const { return pid_; }
  std::string read() const;

  static std::size_t occurrences(const std::string& text, const std::string& needle);

 private:
  std::string output_;
  pid_t pid_ = -1;
};

}  // namespace bpffw::e2e
