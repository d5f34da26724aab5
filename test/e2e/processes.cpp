#include "e2e/processes.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <doctest/doctest.h>

#include <bpffw/cgroup.hpp>

namespace bpffw::e2e {

std::string cgroup2_mount() {
  auto mount = bpffw::find_cgroup2_mount();
  const std::string why = mount ? std::string() : "end-to-end tests need cgroup v2: " + mount.error().message;
  REQUIRE_MESSAGE(mount.has_value(), why);
  return *mount;
}

ScratchCgroup::ScratchCgroup() {
  static std::atomic<unsigned> counter{0};
  name_ = "bpffw-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  path_ = cgroup2_mount() + "/" + name_;
  const int rc = ::mkdir(path_.c_str(), 0755);
  const std::string why = "cannot create cgroup " + path_ + ": " + std::strerror(errno);
  REQUIRE_MESSAGE(rc == 0, why);
}

ScratchCgroup::ScratchCgroup(const ScratchCgroup& parent, const std::string& child)
    : path_(parent.path() + "/" + child), name_(parent.name() + "/" + child) {
  const int rc = ::mkdir(path_.c_str(), 0755);
  const std::string why = "cannot create cgroup " + path_ + ": " + std::strerror(errno);
  REQUIRE_MESSAGE(rc == 0, why);
}

ScratchCgroup::~ScratchCgroup() {
  // Programs attached to it go with it; the kernel frees them once the cgroup is released.
  if (::rmdir(path_.c_str()) != 0) MESSAGE("cannot remove " << path_ << ": " << std::strerror(errno));
}

CgroupV1Dir::CgroupV1Dir() {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    const auto separator = line.find(" - cgroup ");
    if (separator == std::string::npos) continue;
    std::istringstream head(line.substr(0, separator));
    std::string id, parent, device, root, mount_point;
    head >> id >> parent >> device >> root >> mount_point;
    path_ = mount_point;
    return;
  }
  path_ = "/tmp/bpffw-test-v1-" + std::to_string(::getpid());
  ::mkdir(path_.c_str(), 0755);
  const int rc = ::mount("cgroup", path_.c_str(), "cgroup", 0, "none,name=bpffw-test");
  const std::string why = "cannot mount a cgroup v1 hierarchy at " + path_ + ": " + std::strerror(errno);
  REQUIRE_MESSAGE(rc == 0, why);
  mounted_here_ = true;
}

CgroupV1Dir::~CgroupV1Dir() {
  if (!mounted_here_) return;
  ::umount(path_.c_str());
  ::rmdir(path_.c_str());
}

pid_t spawn(const std::string& cgroup, const std::function<int()>& body) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  REQUIRE_MESSAGE(pid >= 0, "fork failed: " << std::strerror(errno));
  if (pid > 0) return pid;
  if (!cgroup.empty()) {
    // Writing 0 moves the writer itself; from here on its sockets belong to the cgroup.
    const int fd = ::open((cgroup + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, "0\n", 2) != 2) ::_exit(100);
    ::close(fd);
  }
  ::_exit(body());
}

int wait_child(pid_t pid, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

namespace {

// Reads both pipes to their end without letting either fill up.
void drain(int out_fd, int err_fd, std::string& out, std::string& err) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&out, &err};
  int open_count = 2;
  char buffer[4096];
  while (open_count > 0) {
    if (::poll(fds, 2, 30000) <= 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(n));
      } else {
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
}

}  // namespace

RunResult run_bpffwc(const std::vector<std::string>& args, const std::string& cgroup,
                     const std::function<int()>& before_exec) {
  int out_pipe[2], err_pipe[2];
  REQUIRE(::pipe2(out_pipe, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(err_pipe, O_CLOEXEC) == 0);
  const pid_t pid = spawn(cgroup, [&]() -> int {
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    if (before_exec && before_exec() != 0) return 101;
    std::vector<char*> argv;
    std::string program = BPFFWC_PATH;
    argv.push_back(program.data());
    std::vector<std::string> copies = args;
    for (std::string& arg : copies) argv.push_back(arg.data());
    argv.push_back(nullptr);
    ::execv(program.c_str(), argv.data());
    return 102;
  });
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  RunResult result;
  drain(out_pipe[0], err_pipe[0], result.out, result.err);
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  result.exit_code = wait_child(pid, 60000);
  return result;
}

std::string describe(const RunResult& result) {
  return "exit " + std::to_string(result.exit_code) + "\nstdout: " + result.out + "\nstderr: " + result.err;
}

std::vector<std::uint32_t> attached_ids(const std::string& cgroup, bpffw::Direction direction, Whose whose) {
  auto opened = bpffw::Cgroup::open(cgroup);
  REQUIRE(opened.has_value());
  auto programs = bpffw::attached_programs(*opened, direction);
  REQUIRE(programs.has_value());
  std::vector<std::uint32_t> ids;
  for (const bpffw::AttachedProgram& program : *programs)
    if (whose == Whose::Any || program.is_bpffw) ids.push_back(program.id);
  return ids;
}

}  // namespace bpffw::e2e
