// <bpffw/drop_log.hpp>'s SharedDropLog: one ring, any number of readers, each seeing every record.
//
// A ring has one read position, so exactly one process consumes it: the leader, whoever holds
// flock(DIR/ring-ID/lock). Every reader binds a unix datagram socket DIR/ring-ID/PID-N.sock; the
// leader lists that directory on each poll and sends each raw record (layout::DropRecordLayout) to
// every other socket as it reads it, then hands it to its own handler. When the leader goes away
// the kernel drops its lock, and the next poll of a follower takes it, maps the ring and reads on
// from where the old leader stopped. libbpf advances the read position after each record's
// callback, and the callback has sent the record by then: a leader killed mid-record leaves that
// record unread, so the next leader sends it again (at most one duplicate per hand-over, no loss).
#include <bpffw/drop_log.hpp>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <map>

#include "layout/map_layout.hpp"
#include "loader/bpf_fd.hpp"
#include "loader/program_maps.hpp"
#include "runtime/drop_record.hpp"

namespace bpffw {
namespace {

using detail::UniqueFd;

constexpr const char* kSocketSuffix = ".sock";

// Each SharedDropLog of a process has its own socket name.
std::atomic<unsigned> next_socket = 0;

Result<void> make_directory(const std::string& path) {
  // Each component, as mkdir -p does.
  for (std::size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST)
      return tl::unexpected(
          loader::system_error("cannot create " + loader::quoted(prefix) + " for the readers of the drop log", errno));
    if (slash == std::string::npos) return {};
  }
}

std::optional<sockaddr_un> socket_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) return std::nullopt;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return address;
}

// Another reader's socket, connected, so that a full one makes send wait (SO_SNDTIMEO) and then fail.
struct Endpoint {
  UniqueFd fd;
  bool behind = false;  // timed out once: sent to without waiting until a send succeeds again
};

}  // namespace

struct SharedDropLog::State {
  DropLog::Handler handler;
  SharedLogOptions options;
  std::string directory;  // DIR/ring-ID
  std::string own_path;   // this reader's socket
  UniqueFd map;           // the ring's
  std::uint32_t ring_id = 0;
  UniqueFd lock;
  UniqueFd socket;
  UniqueFd epoll;  // the socket, and the ring's epoll fd while leading
  ring_buffer* ring = nullptr;
  std::map<std::string, Endpoint> endpoints;  // by path; the leader's view of the other readers
  std::uint64_t undelivered = 0;
  int count = 0;  // records handled in this poll

  ~State() {
    ring_buffer__free(ring);
    if (!own_path.empty()) ::unlink(own_path.c_str());
  }

  // Takes the lock if the leader has gone; then maps the ring and waits on it too.
  Result<void> try_to_lead() {
    if (ring != nullptr) return {};
    if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK || errno == EINTR) return {};
      return tl::unexpected(loader::system_error("cannot lock " + loader::quoted(directory + "/lock"), errno));
    }
    ring = ring_buffer__new(map.get(), &State::on_sample, this, nullptr);
    if (ring == nullptr) return tl::unexpected(loader::system_error("cannot map the drop log's ring", errno));
    epoll_event event{};
    event.events = EPOLLIN;
    if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, ring_buffer__epoll_fd(ring), &event) != 0)
      return tl::unexpected(loader::system_error("cannot wait for the drop log", errno));
    return {};
  }

  // The leader's list of the other readers: new sockets connected, vanished ones forgotten.
  void refresh_endpoints() {
    std::map<std::string, Endpoint> now;
    DIR* listing = ::opendir(directory.c_str());
    if (listing == nullptr) return;
    while (dirent* entry = ::readdir(listing)) {
      const std::string name = entry->d_name;
      if (!name.ends_with(kSocketSuffix)) continue;
      const std::string path = directory + "/" + name;
      if (path == own_path) continue;
      if (auto known = endpoints.find(path); known != endpoints.end()) {
        now.emplace(path, std::move(known->second));
        continue;
      }
      auto address = socket_address(path);
      UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
      if (!address || fd.get() < 0) continue;
      timeval timeout{options.send_timeout_ms / 1000, (options.send_timeout_ms % 1000) * 1000};
      ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
      if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof *address) != 0) {
        if (errno == ECONNREFUSED) ::unlink(path.c_str());  // a reader that died without removing it
        continue;
      }
      now.emplace(path, Endpoint{std::move(fd)});
    }
    ::closedir(listing);
    endpoints = std::move(now);
  }

  void send_to_endpoints(const void* data, std::size_t size) {
    for (auto endpoint = endpoints.begin(); endpoint != endpoints.end();) {
      Endpoint& to = endpoint->second;
      ssize_t sent = ::send(to.fd.get(), data, size, MSG_NOSIGNAL | (to.behind ? MSG_DONTWAIT : 0));
      while (sent < 0 && errno == EINTR) sent = ::send(to.fd.get(), data, size, MSG_NOSIGNAL);
      if (sent >= 0) {
        to.behind = false;
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        to.behind = true;
        ++undelivered;
      } else {  // ECONNREFUSED, ENOENT: the reader has gone
        if (errno == ECONNREFUSED) ::unlink(endpoint->first.c_str());
        endpoint = endpoints.erase(endpoint);
        continue;
      }
      ++endpoint;
    }
  }

  static int on_sample(void* context, void* data, std::size_t size) {
    auto* state = static_cast<State*>(context);
    auto record = runtime::decode_drop_record(data, size);
    if (!record) return 0;  // not ours; skipped rather than stop the poll
    state->send_to_endpoints(data, size);
    state->handler(*record);
    ++state->count;
    return 0;
  }

  // What the old leader sent, before this reader reads the ring itself.
  Result<void> receive() {
    alignas(8) unsigned char buffer[512];
    for (;;) {
      ssize_t size = ::recv(socket.get(), buffer, sizeof buffer, MSG_DONTWAIT);
      if (size < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return {};
        if (errno == EINTR) continue;
        return tl::unexpected(loader::system_error("cannot read from the drop log's leader", errno));
      }
      if (auto record = runtime::decode_drop_record(buffer, static_cast<std::size_t>(size))) {
        handler(*record);
        ++count;
      }
    }
  }
};

SharedDropLog::SharedDropLog(std::unique_ptr<State> state) : state_(std::move(state)) {}
SharedDropLog::SharedDropLog(SharedDropLog&&) noexcept = default;
SharedDropLog& SharedDropLog::operator=(SharedDropLog&&) noexcept = default;
SharedDropLog::~SharedDropLog() = default;

namespace {

// Removes the directories of rings that no longer exist: a ring goes with the last program using it,
// and nobody can read it again, so its lock and sockets are litter. A ring that exists is never touched.
void sweep_gone_rings(const std::string& directory) {
  std::error_code error;
  for (const std::filesystem::directory_entry& entry : std::filesystem::directory_iterator(directory, error)) {
    std::string name = entry.path().filename().string();
    std::uint32_t id = 0;
    auto [end, parsed] =
        std::from_chars(name.data() + std::min<std::size_t>(5, name.size()), name.data() + name.size(), id);
    if (!name.starts_with("ring-") || parsed != std::errc() || end != name.data() + name.size()) continue;
    int fd = bpf_map_get_fd_by_id(id);
    if (fd >= 0) {
      ::close(fd);
      continue;
    }
    if (errno == ENOENT) std::filesystem::remove_all(entry.path(), error);
  }
}

}  // namespace

Result<SharedDropLog> SharedDropLog::open(const Program& program, DropLog::Handler handler,
                                          const SharedLogOptions& options) {
  sweep_gone_rings(options.directory);
  auto ring = runtime::open_log_ring(program);
  if (!ring) return tl::unexpected(ring.error());
  auto state = std::make_unique<State>();
  state->handler = std::move(handler);
  state->options = options;
  state->map = std::move(ring->fd);
  state->ring_id = ring->info.id;
  // Keyed by the ring, not the program: programs that replaced one another share their ring.
  state->directory = options.directory + "/ring-" + std::to_string(state->ring_id);
  if (auto made = make_directory(state->directory); !made) return tl::unexpected(made.error());

  state->lock = UniqueFd(::open((state->directory + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (state->lock.get() < 0)
    return tl::unexpected(loader::system_error("cannot open " + loader::quoted(state->directory + "/lock"), errno));

  // The socket first, then the lock: a reader is reachable before it can be the one that leads.
  const std::string path =
      state->directory + "/" + std::to_string(::getpid()) + "-" + std::to_string(next_socket++) + kSocketSuffix;
  auto address = socket_address(path);
  if (!address)
    return make_error(ErrorKind::Usage, "the drop log's directory path is too long: " + loader::quoted(path));
  state->socket = UniqueFd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (state->socket.get() < 0) return tl::unexpected(loader::system_error("cannot create a socket", errno));
  ::unlink(path.c_str());  // a socket of a process that had this pid before
  if (::bind(state->socket.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof *address) != 0)
    return tl::unexpected(loader::system_error("cannot bind " + loader::quoted(path), errno));
  state->own_path = path;

  state->epoll = UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
  if (state->epoll.get() < 0) return tl::unexpected(loader::system_error("cannot create an epoll fd", errno));
  epoll_event event{};
  event.events = EPOLLIN;
  if (::epoll_ctl(state->epoll.get(), EPOLL_CTL_ADD, state->socket.get(), &event) != 0)
    return tl::unexpected(loader::system_error("cannot wait for the drop log", errno));
  if (auto led = state->try_to_lead(); !led) return tl::unexpected(led.error());
  return SharedDropLog(std::move(state));
}

Result<int> SharedDropLog::poll(int timeout_ms) {
  State& state = *state_;
  state.count = 0;
  if (auto led = state.try_to_lead(); !led) return tl::unexpected(led.error());
  epoll_event event{};
  if (::epoll_wait(state.epoll.get(), &event, 1, timeout_ms) < 0) {
    if (errno == EINTR) return 0;
    return tl::unexpected(loader::system_error("cannot wait for the drop log", errno));
  }
  if (auto received = state.receive(); !received) return tl::unexpected(received.error());
  if (state.ring != nullptr) {
    state.refresh_endpoints();
    int consumed = ring_buffer__consume(state.ring);
    if (consumed < 0 && consumed != -EINTR)
      return tl::unexpected(loader::system_error("cannot read the drop log", -consumed));
  }
  return state.count;
}

int SharedDropLog::wait_fd() const { return state_->epoll.get(); }

std::uint32_t SharedDropLog::ring_id() const { return state_->ring_id; }

bool SharedDropLog::leading() const { return state_->ring != nullptr; }

std::uint64_t SharedDropLog::undelivered() const { return state_->undelivered; }

}  // namespace bpffw
