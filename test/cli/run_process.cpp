#include "cli/run_process.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <fcntl.h>
#include <grp.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bpffw::test {

namespace {

// Output goes to memory files, read after the process ends: no pipe can fill up and block it.
int memory_file(const char* name) {
  int fd = ::memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) throw std::runtime_error("memfd_create failed");
  return fd;
}

std::string read_all(int fd) {
  std::string text;
  char buffer[65536];
  ::lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  return text;
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (const std::string& s : strings) pointers.push_back(const_cast<char*>(s.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

int open_pty_slave(int& master) {
  master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) throw std::runtime_error("no pty");
  int slave = ::open(::ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) throw std::runtime_error("cannot open the pty slave");
  return slave;
}

}  // namespace

ProcessResult run_process(const std::string& program, const std::vector<std::string>& args,
                          const ProcessOptions& options) {
  std::vector<std::string> argv_strings{program};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv = c_strings(argv_strings);
  std::vector<char*> envp = c_strings(options.env);

  int out = memory_file("stdout"), err = memory_file("stderr");
  int master = -1;
  int stdout_target = options.stdout_is_tty ? open_pty_slave(master) : out;
  int null_in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);

  pid_t pid = -1;
  if (options.as_nobody) {
    // Opened while still root and executed by descriptor: the build tree may sit below a directory
    // that nobody cannot enter (a clone in a `mktemp -d` folder is mode 0700).
    int program_fd = ::open(program.c_str(), O_RDONLY | O_CLOEXEC);
    if (program_fd < 0) throw std::runtime_error("cannot open " + program);
    pid = ::fork();
    if (pid == 0) {
      ::dup2(null_in, 0);
      ::dup2(stdout_target, 1);
      ::dup2(err, 2);
      if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(126);
      ::fexecve(program_fd, argv.data(), envp.data());
      // Kernel 5.10 refuses that as nobody (ENOENT): there, the path (reachable in its guest).
      ::execve(program.c_str(), argv.data(), envp.data());
      const char* why = std::strerror(errno);  // said on the child's stderr, which the test shows
      if (::write(2, "run_process: exec: ", 19) < 0 || ::write(2, why, std::strlen(why)) < 0) ::_exit(127);
      ::_exit(127);
    }
    ::close(program_fd);
  } else {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, null_in, 0);
    posix_spawn_file_actions_adddup2(&actions, stdout_target, 1);
    posix_spawn_file_actions_adddup2(&actions, err, 2);
    int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) pid = -1;
  }
  ::close(null_in);
  if (stdout_target != out) ::close(stdout_target);
  if (pid < 0) throw std::runtime_error("cannot start " + program);

  // A terminal's buffer is small: drain it while the process runs, or a long output blocks it.
  if (master >= 0) {
    char buffer[4096];
    for (ssize_t n; (n = ::read(master, buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR);) {}
    ::close(master);  // read fails with EIO once the process has closed the terminal
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  ProcessResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  result.out = read_all(out);
  result.err = read_all(err);
  return result;
}

// bpffwc, bpffwc-full and the compiler module, copied into a directory that nobody can reach: they
// find each other by path, and the build tree may sit below a directory only root can enter (a
// clone in a `mktemp -d` folder). Made on first use, removed when the test process ends.
class NobodysInstallation {
 public:
  NobodysInstallation() {
    namespace fs = std::filesystem;
    char dir[] = "/tmp/bpffw-nobody-XXXXXX";
    if (::mkdtemp(dir) == nullptr || ::chmod(dir, 0755) != 0)
      throw std::runtime_error(std::string("cannot make a directory in /tmp: ") + std::strerror(errno));
    dir_ = dir;
    for (const char* file : {BPFFWC_PATH, BPFFWC_FULL_PATH, BPFFWC_COMPILER_PATH})
      fs::copy_file(file, dir_ + "/" + fs::path(file).filename().string());
  }
  ~NobodysInstallation() { std::filesystem::remove_all(dir_); }
  std::string bpffwc() const { return dir_ + "/bpffwc"; }

 private:
  std::string dir_;
};

ProcessResult run_bpffwc(const std::vector<std::string>& args, const ProcessOptions& options) {
  if (!options.as_nobody) return run_process(BPFFWC_PATH, args, options);
  static const NobodysInstallation installed;
  return run_process(installed.bpffwc(), args, options);
}

}  // namespace bpffw::test
