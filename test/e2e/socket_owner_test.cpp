// uid (docs/filter-language.md §4.8) on real sockets: a filter attached to a scratch cgroup judges
// datagrams sent from sockets that processes of different users opened in it. An egress drop is
// EPERM at sendto(), so each sender knows at once; the filter names users as a filter file would.
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <doctest/doctest.h>

#include "e2e/attached_filter.hpp"
#include "e2e/processes.hpp"
#include "e2e/traffic.hpp"
#include "support/kernel_env.hpp"

using namespace bpffw::e2e;
using bpffw::Direction;

namespace {

constexpr int kSent = 0, kRefused = 1, kOtherError = 2;

// In a child in `cgroup`: becomes `uid`, then sends one UDP datagram to 127.0.0.1:`port` from a
// new socket. Its exit code says what sendto() did.
int send_as(const std::string& cgroup, uid_t uid, std::uint16_t port) {
  pid_t child = spawn(cgroup, [uid, port] {
    if (::setgid(65534) != 0 || ::setuid(uid) != 0) return kOtherError;
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) return kOtherError;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const char byte = 'x';
    ssize_t sent = ::sendto(fd, &byte, 1, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    int error = errno;
    ::close(fd);
    return sent == 1 ? kSent : error == EPERM ? kRefused : kOtherError;
  });
  return wait_child(child);
}

uid_t uid_of(const char* name) {
  const passwd* entry = ::getpwnam(name);
  REQUIRE_MESSAGE(entry != nullptr, "this system has no user " << name);
  return entry->pw_uid;
}

}  // namespace

TEST_CASE("uid on egress: the sockets of the user the filter names are refused, others' are not") {
  bpffw::test::require_root();
  ScratchCgroup cgroup;
  const std::uint16_t port = free_port();
  const uid_t nobody = uid_of("nobody"), www_data = uid_of("www-data"), daemon = uid_of("daemon");
  {
    AttachedFilter filter(cgroup.path(), Direction::Egress, "!(udp && uid in {nobody, \"www-data\"})");
    CHECK(send_as(cgroup.path(), nobody, port) == kRefused);
    CHECK(send_as(cgroup.path(), www_data, port) == kRefused);
    CHECK(send_as(cgroup.path(), daemon, port) == kSent);
    CHECK(send_as(cgroup.path(), 0, port) == kSent);
    CHECK(send_as(cgroup.path(), 4242, port) == kSent);  // a uid no user has
  }
  {
    AttachedFilter filter(cgroup.path(), Direction::Egress, "uid == 4242 || uid == root");
    CHECK(send_as(cgroup.path(), 4242, port) == kSent);
    CHECK(send_as(cgroup.path(), 0, port) == kSent);
    CHECK(send_as(cgroup.path(), 4243, port) == kRefused);
    CHECK(send_as(cgroup.path(), daemon, port) == kRefused);
  }
  // Detached: everyone sends again.
  CHECK(send_as(cgroup.path(), 4243, port) == kSent);
}
