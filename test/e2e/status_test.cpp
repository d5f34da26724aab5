// bpffwc status (issue 27, item 1): a named filter whose pin, program and cgroups agree with its
// files says so (exit 0); each way they part is named (exit 1): an edited filter file, a live set
// or parameter change a reload would undo, a removed filter file, a filter not loaded, a file that
// no longer compiles, an older program left attached where the pin no longer leads. Real pins,
// cgroups and programs; the files live in a scratch directory given with --config-dir.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <bpffw/cgroup.hpp>
#include <bpffw/compiler.hpp>
#include <bpffw/filter.hpp>
#include <bpffw/program.hpp>

#include "e2e/processes.hpp"
#include "support/kernel_env.hpp"

using namespace bpffw::e2e;

namespace {

struct NamedFilters {
  std::string config = "/tmp/bpffw-status-test-" + std::to_string(::getpid());
  bpffw::test::ScopedPinDir pins;
  NamedFilters() { REQUIRE(::mkdir(config.c_str(), 0700) == 0); }
  ~NamedFilters() { std::filesystem::remove_all(config); }
  void write(const std::string& file, const std::string& text) const { std::ofstream(config + "/" + file) << text; }
  std::string pin(const std::string& name) const { return pins.file(name); }
  // What bpffw@NAME runs at start and reload.
  RunResult reload(const std::string& name, std::vector<std::string> options) const {
    std::vector<std::string> args{"--replace-everywhere", pin(name)};
    args.insert(args.end(), options.begin(), options.end());
    args.insert(args.end(), {"-f", config + "/" + name + ".filter"});
    return run_bpffwc(args);
  }
  RunResult status(std::vector<std::string> extra = {}) const {
    std::vector<std::string> args{"status", "--config-dir", config, "--pin-dir", pins.path()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_bpffwc(args);
  }
};

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("status: a named filter that runs as its files declare agrees, and every divergence is named") {
  bpffw::test::ensure_bpffs();
  NamedFilters named;
  ScratchCgroup service;
  const std::string web = named.pin("web"), list = named.config + "/blocklist.txt";
  named.write("web.filter", "# the web service\ntcp && dst_port == 80\n  && !(src_addr in blocklist)\n");
  named.write("blocklist.txt", "# attackers\n192.0.2.0/24\n");
  named.write("web.conf", "BPFFWC_OPTIONS=\"-t ingress --param limit=5 --set-file blocklist=" + list + "\"\n");
  const std::vector<std::string> options{"-t", "ingress", "--param", "limit=5", "--set-file", "blocklist=" + list};
  REQUIRE(named.reload("web", options).exit_code == 0);
  REQUIRE(run_bpffwc({"attach", service.path(), "-t", "ingress", web}).exit_code == 0);

  RunResult agrees = named.status();
  CHECK_MESSAGE(agrees.exit_code == 0, describe(agrees));
  CHECK(has(agrees.out, "web: program "));
  CHECK(has(agrees.out, "attached to " + service.path() + " (ingress); agrees with " + named.config + "/web.filter\n"));
  RunResult json = named.status({"--json"});
  CHECK(json.exit_code == 0);
  CHECK(json.out.rfind("{\"agree\":true,\"filters\":[{\"name\":\"web\",", 0) == 0);

  // Live changes that the next reload would undo, and an edit not loaded yet.
  REQUIRE(run_bpffwc({"set", web, "blocklist+=198.51.100.7", "limit=9"}).exit_code == 0);
  named.write("web.filter", "tcp && dst_port == 443 && !(src_addr in blocklist)\n");
  RunResult parted = named.status({"web"});
  CHECK(parted.exit_code == 1);
  CHECK(has(parted.out, "  diverges: the program runs another expression than " + named.config + "/web.filter"));
  CHECK(has(parted.out, "  diverges: parameter limit is 9 in the program, " + named.config + "/web.conf says 5"));
  CHECK(has(parted.out, "  diverges: set blocklist holds 1 item (198.51.100.7) that its declaration lacks (" + list +
                            "): systemctl reload bpffw@web resets it\n"));
  RunResult kinds = named.status({"--json", "web"});
  for (const char* kind : {"\"kind\":\"expression\"", "\"kind\":\"parameter\"", "\"kind\":\"set\""})
    CHECK(has(kinds.out, kind));
  CHECK(kinds.out.rfind("{\"agree\":false,", 0) == 0);

  // A reload brings them together again (the service's cgroup too).
  REQUIRE(named.reload("web", options).exit_code == 0);
  CHECK(named.status().exit_code == 0);

  // A file that no longer compiles: a reload would fail.
  named.write("web.filter", "tcp && dst_prot == 443\n");
  RunResult broken = named.status();
  CHECK(broken.exit_code == 1);
  CHECK(has(broken.out, "diverges: " + named.config + "/web.filter:1:8: unknown variable 'dst_prot'"));

  // Files gone, and a filter never loaded.
  ::unlink((named.config + "/web.filter").c_str());
  named.write("api.filter", "udp\n");
  RunResult gone = named.status();
  CHECK(gone.exit_code == 1);
  CHECK(has(gone.out, "api: not loaded\n  diverges: " + named.config +
                          "/api.filter is not loaded: nothing is pinned at " + named.pin("api")));
  CHECK(has(gone.out,
            "diverges: the program pinned at " + web + " has no " + named.config + "/web.filter: its files are gone"));
  run_bpffwc({"detach", service.path(), "-t", "ingress", "--all"});
}

TEST_CASE("status: an older program of the filter, left attached where the pin no longer leads, is named") {
  // What a `--force -o` did before issue 27 (and what other tools can still do): the pin moves to a
  // new program that continues the old one's counters, while a cgroup keeps the old program.
  bpffw::test::ensure_bpffs();
  NamedFilters named;
  ScratchCgroup service;
  const std::string pin = named.pin("db");
  named.write("db.filter", "tcp && dst_port == 5432\n");
  REQUIRE(named.reload("db", {}).exit_code == 0);
  REQUIRE(run_bpffwc({"attach", service.path(), "-t", "ingress", pin}).exit_code == 0);
  auto old_program = bpffw::Program::open_pinned(pin);
  REQUIRE(old_program.has_value());
  auto filter = bpffw::Filter::parse("tcp && dst_port == 5432\n");
  REQUIRE(filter.has_value());
  auto object = bpffw::compile(*filter);
  REQUIRE(object.has_value());
  bpffw::LoadOptions keep;
  keep.keep_counters_of = &*old_program;
  auto newer = bpffw::Program::load(*object, keep);
  REQUIRE(newer.has_value());
  REQUIRE(newer->pin(pin, bpffw::PinMode::Replace).has_value());

  RunResult stale = named.status();
  CHECK(stale.exit_code == 1);
  const std::string old_id = std::to_string(old_program->info().value().id);
  CHECK(has(stale.out, "attached nowhere\n  diverges: " + service.path() + " (ingress) runs program " + old_id +
                           ", an older program of this filter that " + pin + " no longer leads to: bpffwc attach " +
                           service.path() + " -t ingress --replace-all " + pin + "\n"));
  // What it says to do brings them together.
  REQUIRE(run_bpffwc({"attach", service.path(), "-t", "ingress", "--replace-all", pin}).exit_code == 0);
  CHECK(named.status().exit_code == 0);

  // And --attach with -o --force, which would make the same, is refused, saying how.
  ScratchCgroup other;
  RunResult refused = run_bpffwc({"--attach", other.path(), "-t", "ingress", "-o", pin, "--force", "udp"});
  CHECK(refused.exit_code == 2);
  CHECK(has(refused.err, "bpffwc: error: the program pinned at " + pin + " is attached to " + service.path() +
                             " (ingress): --attach with -o --force would leave it running there"));
  CHECK(named.status().exit_code == 0);
  run_bpffwc({"detach", service.path(), "-t", "ingress", "--all"});
  run_bpffwc({"detach", other.path(), "-t", "ingress", "--all"});
}
