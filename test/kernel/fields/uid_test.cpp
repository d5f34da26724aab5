// uid (docs/filter-language.md §4.8), verdicts written by hand: the socket owner that the kernel's
// test run gives (root, 0) judged in the kernel, other owners by the interpreter (`uid=` words),
// user names resolved when the filter is read, and the errors for names that are not users.
// test/e2e/socket_owner_test.cpp sends real traffic from sockets of other users.
#include <pwd.h>

#include <doctest/doctest.h>

#include <bpffw/filter.hpp>

#include "../verdict_table.hpp"

using namespace bpffw::test;

namespace {

// The uid of a user every Debian system has, looked up here the way the test does not let the
// parser: with getpwnam.
std::string uid_of(const char* name) {
  const passwd* entry = ::getpwnam(name);
  REQUIRE_MESSAGE(entry != nullptr, "this system has no user " << name);
  return std::to_string(entry->pw_uid);
}

}  // namespace

TEST_CASE("§4.8 uid: the test run's socket is root's, other owners are the interpreter's") {
  check_rows({
      {"the kernel's test run: root", "uid == 0", packet_of("ipv4 udp"), kPass},
      {"the kernel's test run: not 1", "uid == 1", packet_of("ipv6 tcp"), kDrop},
      {"root by name", "uid == root", packet_of("ipv4 tcp"), kPass},
      {"uid=33", "uid == 33", packet_of("ipv4 udp uid=33"), kPass},
      {"uid=33 is not root", "uid == root", packet_of("ipv4 udp uid=33"), kDrop},
      {"the largest uid", "uid == 4294967295", packet_of("ipv6 udp uid=4294967295"), kPass},
      {"never negative", "uid < 0", packet_of("ipv6 udp uid=4294967295"), kDrop},
      {"not IP has an owner too", "uid == 7", packet_of("arp payload=30 uid=7"), kPass},
      {"ranges", "uid in {1000..1999}", packet_of("ipv4 tcp uid=1500"), kPass},
      {"ranges (negative)", "uid in {1000..1999}", packet_of("ipv4 tcp uid=2000"), kDrop},
      {"§5.6 a malformed packet is dropped whoever owns it", "uid == 0 || uid != 0", packet_of("ipv4 ihl=3 udp"),
       kDrop},
  });
}

TEST_CASE("§4.8 user names: bare, quoted, in sets, in packet words") {
  const std::string www_data = uid_of("www-data"), nobody = uid_of("nobody"), daemon = uid_of("daemon");
  check_rows({
      {"a bare name", "uid == nobody", packet_of("ipv4 udp uid=" + nobody), kPass},
      {"a bare name (negative)", "uid == nobody", packet_of("ipv4 udp uid=" + daemon), kDrop},
      {"a quoted name with '-'", "uid == \"www-data\"", packet_of("ipv6 tcp uid=" + www_data), kPass},
      {"!= a name", "uid != daemon", packet_of("ipv6 tcp uid=" + daemon), kDrop},
      {"names and numbers in a set", "uid in {nobody, \"www-data\", 1000..1999}", packet_of("ipv4 udp uid=" + www_data),
       kPass},
      {"names and numbers in a set (negative)", "uid in {nobody, \"www-data\", 1000..1999}",
       packet_of("ipv4 udp uid=" + daemon), kDrop},
      {"a name in the packet words", "uid == " + www_data, packet_of("ipv4 udp uid=www-data"), kPass},
      {"egress mail from the web server", "!(uid == \"www-data\" && tcp && dst_port == 25)",
       packet_of("ipv4 tcp dport=25 uid=www-data"), kDrop},
      {"egress mail from another user", "!(uid == \"www-data\" && tcp && dst_port == 25)",
       packet_of("ipv4 tcp dport=25 uid=" + nobody), kPass},
  });
}

TEST_CASE("§4.8 a name that is not a user, or not beside uid, is an error with a caret") {
  struct Refused {
    const char* filter;
    const char* message;
    unsigned column;
  };
  for (const Refused& refused : {
           Refused{"uid == nosuchuser_bpffw", "unknown user 'nosuchuser_bpffw'", 8},
           Refused{"tcp && uid in {root, \"no such user\"}", "unknown user 'no such user'", 23},
           Refused{"uid == www-data", "unknown user 'www'", 8},
           Refused{"dst_port == \"www-data\"", "a quoted name is a user name: only uid is compared with one", 13},
           Refused{"dst_port in {root}", "expected a number or an address after '{'", 14},
           Refused{"uid + 1 == root", "unknown variable 'root'", 12},
       }) {
    auto filter = bpffw::Filter::parse(refused.filter);
    REQUIRE_MESSAGE(!filter.has_value(), refused.filter);
    CHECK_MESSAGE(filter.error().message == refused.message, refused.filter);
    REQUIRE_MESSAGE(filter.error().span.has_value(), refused.filter);
    CHECK_MESSAGE(filter.error().span->column == refused.column, refused.filter);
  }
  auto dashed = bpffw::Filter::parse("uid == www-data");
  REQUIRE_FALSE(dashed.has_value());
  CHECK(dashed.error().hint.find("uid == \"www-data\"") != std::string::npos);
  auto reversed = bpffw::Filter::parse("root == uid");
  REQUIRE_FALSE(reversed.has_value());
  CHECK(reversed.error().hint.find("'root' is a user of this host") != std::string::npos);
}
