#include "e2e/log_follower.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <doctest/doctest.h>

#include "e2e/processes.hpp"

namespace bpffw::e2e {

pid_t spawn_datagrams(const std::string& cgroup, std::uint16_t from, std::uint16_t port, int count, int batch,
                      int pause_us) {
  return spawn(cgroup, [=] {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(from);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return 1;
    address.sin_port = htons(port);
    for (int i = 0; i < count; ++i) {
      ::sendto(fd, "x", 1, 0, reinterpret_cast<sockaddr*>(&address), sizeof address);
      if (batch > 0 && (i + 1) % batch == 0) ::usleep(pause_us);
    }
    return 0;
  });
}

void send_datagrams(const std::string& cgroup, std::uint16_t from, std::uint16_t port, int count, int batch,
                    int pause_us) {
  REQUIRE(wait_child(spawn_datagrams(cgroup, from, port, count, batch, pause_us), 60000) == 0);
}

std::string output_file(const char* name) {
  return "/tmp/bpffw-test-" + std::to_string(::getpid()) + "-" + name + ".json";
}

LogFollower::LogFollower(const std::vector<std::string>& args, const std::string& output) : output_(output) {
  pid_ = spawn("", [&] {
    int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return 101;
    ::dup2(fd, STDOUT_FILENO);
    std::vector<std::string> words = {BPFFWC_PATH, "log", "--json"};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    return 102;
  });
}

LogFollower::~LogFollower() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    wait_child(pid_);
  }
  ::unlink(output_.c_str());
}

std::string LogFollower::wait_for(std::size_t lines, const std::string& needle, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms && occurrences(read(), needle) < lines; waited += 100)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return read();
}

std::string LogFollower::stop_after(std::size_t lines, const std::string& needle, int timeout_ms) {
  wait_for(lines, needle, timeout_ms);
  ::kill(pid_, SIGTERM);
  CHECK(wait_child(pid_) == 0);
  pid_ = -1;
  return read();
}

void LogFollower::kill() {
  ::kill(pid_, SIGKILL);
  CHECK(wait_child(pid_) == 128 + SIGKILL);
  pid_ = -1;
}

std::string LogFollower::read() const {
  std::ifstream in(output_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::size_t LogFollower::occurrences(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++count;
  return count;
}

}  // namespace bpffw::e2e
