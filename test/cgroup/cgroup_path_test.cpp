// Resolving and classifying cgroup arguments: against fake proc directories (mountinfo and cgroup files we
// write), and against the real cgroup2 mount of this machine.
#include <doctest/doctest.h>

#include <bpffw/cgroup.hpp>

#include "e2e/processes.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;
using bpffw::CgroupResolveOptions;
using bpffw::ErrorKind;

namespace {

// A directory standing in for /proc, holding self/mountinfo and self/cgroup.
struct FakeProc {
  fs::path root;
  explicit FakeProc(const std::string& mountinfo, const std::string& cgroup) {
    root = fs::temp_directory_path() / ("bpffw-test-proc-" + std::to_string(::getpid()));
    fs::create_directories(root / "self");
    std::ofstream(root / "self" / "mountinfo") << mountinfo;
    std::ofstream(root / "self" / "cgroup") << cgroup;
  }
  ~FakeProc() { fs::remove_all(root); }
  CgroupResolveOptions options() const { return {root.string()}; }
};

const char* kHybridMountinfo =
    "25 1 0:23 / /sys rw,nosuid shared:7 - sysfs sysfs rw\n"
    "33 25 0:28 / /sys/fs/cgroup ro shared:9 - tmpfs tmpfs ro,mode=755\n"
    "34 33 0:29 / /sys/fs/cgroup/unified rw,nosuid shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
    "35 33 0:30 / /sys/fs/cgroup/systemd rw shared:11 - cgroup cgroup rw,xattr,name=systemd\n";

const char* kHybridCgroup =
    "12:memory:/user.slice\n"
    "1:name=systemd:/user.slice/user-0.slice/session-1.scope\n"
    "0::/user.slice/user-0.slice/session-1.scope\n";

// The real cgroup2 mount, read the way bpffwc reads it.
std::string real_mount() {
  auto mount = bpffw::find_cgroup2_mount();
  const std::string why = mount ? std::string() : "this test needs cgroup v2 mounted: " + mount.error().message;
  REQUIRE_MESSAGE(mount.has_value(), why);
  return *mount;
}

}  // namespace

TEST_CASE("direction names") {
  CHECK(bpffw::parse_direction("ingress").value() == bpffw::Direction::Ingress);
  CHECK(bpffw::parse_direction("egress").value() == bpffw::Direction::Egress);
  auto bad = bpffw::parse_direction("Ingress");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().kind == ErrorKind::Usage);
  CHECK(bad.error().message == "unknown direction 'Ingress'");
  CHECK(bad.error().hint == "use -t ingress or -t egress");
  CHECK(std::string(bpffw::to_string(bpffw::Direction::Egress)) == "egress");
}

TEST_CASE("the cgroup2 mount comes from mountinfo, wherever it is") {
  FakeProc hybrid(kHybridMountinfo, kHybridCgroup);
  CHECK(bpffw::find_cgroup2_mount(hybrid.options()).value() == "/sys/fs/cgroup/unified");

  FakeProc unified("30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "0::/\n");
  CHECK(bpffw::find_cgroup2_mount(unified.options()).value() == "/sys/fs/cgroup");
}

TEST_CASE("mountinfo escapes in the mount point are decoded") {
  FakeProc proc("30 1 0:26 / /mnt/my\\040cgroups rw - cgroup2 cgroup2 rw\n", "0::/a\n");
  CHECK(bpffw::find_cgroup2_mount(proc.options()).value() == "/mnt/my cgroups");
  CHECK(bpffw::self_cgroup_path(proc.options()).value() == "/mnt/my cgroups/a");
}

TEST_CASE("a mount of the whole hierarchy wins over a bind-mounted subtree") {
  FakeProc proc(
      "40 1 0:26 /payload /srv/cg rw - cgroup2 cgroup2 rw\n"
      "41 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
      "0::/payload/x\n");
  CHECK(bpffw::find_cgroup2_mount(proc.options()).value() == "/sys/fs/cgroup");
  CHECK(bpffw::self_cgroup_path(proc.options()).value() == "/sys/fs/cgroup/payload/x");
}

TEST_CASE("only a subtree mounted: self is found inside it") {
  FakeProc proc("40 1 0:26 /payload /srv/cg rw - cgroup2 cgroup2 rw\n", "0::/payload/x\n");
  CHECK(bpffw::self_cgroup_path(proc.options()).value() == "/srv/cg/x");
  FakeProc outside("40 1 0:26 /payload /srv/cg rw - cgroup2 cgroup2 rw\n", "0::/other\n");
  auto error = bpffw::self_cgroup_path(outside.options());
  REQUIRE_FALSE(error.has_value());
  CHECK(error.error().message.find("outside the mounted cgroup2 subtree /payload") != std::string::npos);
}

TEST_CASE("self is the 0:: line of a hybrid host's cgroup file") {
  FakeProc proc(kHybridMountinfo, kHybridCgroup);
  CHECK(bpffw::self_cgroup_path(proc.options()).value() ==
        "/sys/fs/cgroup/unified/user.slice/user-0.slice/session-1.scope");
  FakeProc root(kHybridMountinfo, "0::/\n");
  CHECK(bpffw::self_cgroup_path(root.options()).value() == "/sys/fs/cgroup/unified");
}

TEST_CASE("self without a 0:: line, or without cgroup2 mounted, is a system error") {
  FakeProc v1_only(kHybridMountinfo, "12:memory:/user.slice\n1:name=systemd:/\n");
  auto no_line = bpffw::self_cgroup_path(v1_only.options());
  REQUIRE_FALSE(no_line.has_value());
  CHECK(no_line.error().kind == ErrorKind::System);
  CHECK(no_line.error().message.find("no cgroup v2 entry (0::)") != std::string::npos);

  FakeProc no_mount("25 1 0:23 / /sys rw - sysfs sysfs rw\n", "0::/\n");
  auto no_cgroup2 = bpffw::self_cgroup_path(no_mount.options());
  REQUIRE_FALSE(no_cgroup2.has_value());
  CHECK(no_cgroup2.error().kind == ErrorKind::System);
  CHECK(no_cgroup2.error().message.find("no cgroup2 file system is mounted") == 0);
  CHECK(no_cgroup2.error().hint == "mount it with: mount -t cgroup2 none /sys/fs/cgroup");
}

TEST_CASE("self with an unreadable proc directory is a system error with a hint") {
  CgroupResolveOptions missing{"/nonexistent-bpffw-test-proc"};
  auto error = bpffw::Cgroup::open("self", missing);
  REQUIRE_FALSE(error.has_value());
  CHECK(error.error().kind == ErrorKind::System);
  CHECK(error.error().message ==
        "cannot read /nonexistent-bpffw-test-proc/self/cgroup to find the cgroup of self: No such file or directory");
  CHECK(error.error().hint.find("mount -t proc proc /proc") != std::string::npos);
  // A relative path needs the mount from mountinfo, which is just as unreadable.
  auto relative = bpffw::Cgroup::open("system.slice", missing);
  REQUIRE_FALSE(relative.has_value());
  CHECK(relative.error().kind == ErrorKind::System);
}

TEST_CASE("real cgroups: self, relative and absolute name the same directory") {
  const std::string mount = real_mount();
  auto own = bpffw::Cgroup::open("self");
  const std::string why = own ? std::string() : own.error().message;
  REQUIRE_MESSAGE(own.has_value(), why);
  CHECK(own->path().rfind(mount, 0) == 0);
  CHECK(own->fd() >= 0);

  const std::string name = "bpffw-test-resolve-" + std::to_string(::getpid());
  const std::string path = mount + "/" + name;
  REQUIRE(::mkdir(path.c_str(), 0755) == 0);
  auto by_relative = bpffw::Cgroup::open(name);
  auto by_absolute = bpffw::Cgroup::open(path + "/");
  CHECK(by_relative.has_value());
  CHECK(by_absolute.has_value());
  if (by_relative) CHECK(by_relative->path() == path);
  struct stat a{}, b{};
  if (by_relative && by_absolute) {
    REQUIRE(::fstat(by_relative->fd(), &a) == 0);
    REQUIRE(::fstat(by_absolute->fd(), &b) == 0);
    CHECK(a.st_ino == b.st_ino);
  }
  by_relative = bpffw::make_error(ErrorKind::Internal, "closed");
  by_absolute = bpffw::make_error(ErrorKind::Internal, "closed");
  CHECK(::rmdir(path.c_str()) == 0);
}

TEST_CASE("bad cgroup arguments are usage errors with a hint") {
  const std::string mount = real_mount();

  auto missing = bpffw::Cgroup::open(mount + "/bpffw-test-does-not-exist");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().kind == ErrorKind::Usage);
  CHECK(missing.error().message == "cgroup '" + mount + "/bpffw-test-does-not-exist' does not exist");
  CHECK(missing.error().hint.find("under the cgroup2 mount " + mount) != std::string::npos);

  auto missing_relative = bpffw::Cgroup::open("bpffw-test-does-not-exist");
  REQUIRE_FALSE(missing_relative.has_value());
  CHECK(missing_relative.error().kind == ErrorKind::Usage);

  // cgroup.procs is a regular file on cgroup2 itself.
  auto file = bpffw::Cgroup::open(mount + "/cgroup.procs");
  REQUIRE_FALSE(file.has_value());
  CHECK(file.error().kind == ErrorKind::Usage);
  CHECK(file.error().message == "'" + mount + "/cgroup.procs' is not a directory, so it is not a cgroup");

  auto tmp = bpffw::Cgroup::open("/tmp");
  REQUIRE_FALSE(tmp.has_value());
  CHECK(tmp.error().kind == ErrorKind::Usage);
  CHECK(tmp.error().message == "'/tmp' is not on the cgroup2 file system");

  bpffw::e2e::CgroupV1Dir v1;
  auto legacy = bpffw::Cgroup::open(v1.path());
  REQUIRE_FALSE(legacy.has_value());
  CHECK(legacy.error().kind == ErrorKind::Usage);
  CHECK(legacy.error().message ==
        "'" + v1.path() + "' is a cgroup v1 directory; bpf programs attach to cgroup v2 only");

  auto empty = bpffw::Cgroup::open("");
  REQUIRE_FALSE(empty.has_value());
  CHECK(empty.error().kind == ErrorKind::Usage);
}

TEST_CASE("classify_cgroup_path: the root, login sessions, and everything else by the path's words") {
  using bpffw::CgroupReach;
  auto reach = [](std::string_view path) { return bpffw::classify_cgroup_path(path).reach; };
  for (std::string_view root : {"", "/", "//", ".", "/./", "system.slice/..", "/a/b/../../"}) {
    CAPTURE(root);
    CHECK(reach(root) == CgroupReach::Root);
  }
  const auto session = bpffw::classify_cgroup_path("/user.slice/user-0.slice/session-3.scope");
  CHECK(session.reach == CgroupReach::LoginSession);
  CHECK(session.component == "session-3.scope");
  // Anywhere in the path: a process below the session's cgroup is still in the session.
  const auto terminal =
      bpffw::classify_cgroup_path("user.slice/user-1000.slice/user@1000.service/app.slice/vte-spawn-1.scope");
  CHECK(terminal.reach == CgroupReach::LoginSession);
  CHECK(terminal.component == "user@1000.service");
  CHECK(bpffw::classify_cgroup_path("user.slice/session-c2.scope/").component == "session-c2.scope");
  for (std::string_view contained :
       {"system.slice/nginx.service", "/system.slice/ssh.service", "user.slice", "user.slice/user-0.slice",
        "bpffw-test-1-0", "init.scope", "session-.scope", "user@.service", "session-3.scope.d", "xsession-3.scope",
        "user.slice/user-0.slice/session-3.scope/.."}) {
    CAPTURE(contained);
    const auto found = bpffw::classify_cgroup_path(contained);
    CHECK(found.reach == CgroupReach::Contained);
    CHECK(found.component.empty());
  }
}

TEST_CASE("classify on real cgroups: the mount is the root however named, and a session-named child is a session") {
  const std::string mount = real_mount();
  for (const std::string& spelled : {mount, mount + "/", std::string(".")}) {
    auto root = bpffw::Cgroup::open(spelled);
    REQUIRE(root.has_value());
    auto found = bpffw::classify(*root);
    REQUIRE(found.has_value());
    CHECK(found->reach == bpffw::CgroupReach::Root);
  }
  bpffw::e2e::ScratchCgroup parent;
  bpffw::e2e::ScratchCgroup session(parent, "session-99999.scope");
  bpffw::e2e::ScratchCgroup below(session, "inner");
  auto opened_parent = bpffw::Cgroup::open(parent.path());
  auto opened_below = bpffw::Cgroup::open(below.name());
  auto up_again = bpffw::Cgroup::open(parent.path() + "/..");  // the root, spelled through a child
  REQUIRE(opened_parent.has_value());
  REQUIRE(opened_below.has_value());
  REQUIRE(up_again.has_value());
  CHECK(bpffw::classify(*opened_parent).value().reach == bpffw::CgroupReach::Contained);
  const auto in_session = bpffw::classify(*opened_below).value();
  CHECK(in_session.reach == bpffw::CgroupReach::LoginSession);
  CHECK(in_session.component == "session-99999.scope");
  CHECK(bpffw::classify(*up_again).value().reach == bpffw::CgroupReach::Root);
}

TEST_CASE("classify with /proc unreadable: the root still by cgroup.type, a session by the path's words") {
  const std::string mount = real_mount();
  const CgroupResolveOptions missing{"/nonexistent-bpffw-test-proc"};
  auto root = bpffw::Cgroup::open(mount);
  REQUIRE(root.has_value());
  CHECK(bpffw::classify(*root, missing).value().reach == bpffw::CgroupReach::Root);
  bpffw::e2e::ScratchCgroup parent;
  bpffw::e2e::ScratchCgroup session(parent, "session-99999.scope");
  auto opened = bpffw::Cgroup::open(session.path());
  REQUIRE(opened.has_value());
  CHECK(bpffw::classify(*opened, missing).value().reach == bpffw::CgroupReach::LoginSession);
}

TEST_CASE("classify against a fake mountinfo: a mounted subtree is named from the hierarchy's root") {
  // The real cgroup2 mount, described as a mount of the subtree /user.slice/session-5.scope only: a
  // directory under it is then inside that session in the hierarchy.
  const std::string mount = real_mount();
  bpffw::e2e::ScratchCgroup parent;
  auto opened = bpffw::Cgroup::open(parent.path());
  REQUIRE(opened.has_value());
  {
    FakeProc subtree("34 33 0:29 /user.slice/session-5.scope " + mount + " rw - cgroup2 cgroup2 rw\n", "0::/\n");
    const auto found = bpffw::classify(*opened, subtree.options());
    REQUIRE(found.has_value());
    CHECK(found->reach == bpffw::CgroupReach::LoginSession);
    CHECK(found->component == "session-5.scope");
  }
  {
    // Mounted whole, the same directory is what its path says: a scratch cgroup.
    FakeProc whole("34 33 0:29 / " + mount + " rw - cgroup2 cgroup2 rw\n", "0::/\n");
    CHECK(bpffw::classify(*opened, whole.options()).value().reach == bpffw::CgroupReach::Contained);
  }
}
