// bpffwc stats --all --prometheus (issue 31 item 4): every bpffw program's counters in the
// Prometheus text exposition format. Programs of each kind — pinned and attached, attached
// without a pin, without counters, with the drop log, with named sets (under a pin whose name
// needs escaping), egress with its socket programs — see real loopback traffic in scratch
// cgroups; their series carry the labels and the values `stats PIN --json` reads, and Debian's
// `promtool check metrics` accepts the whole output (a missing promtool fails the test: the
// prometheus package is in scripts/bootstrap). --output writes the same atomically.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <bpffw/program.hpp>
#include <bpffw/version.hpp>

#include "e2e/processes.hpp"
#include "e2e/traffic.hpp"
#include "support/kernel_env.hpp"

using namespace bpffw::e2e;
using bpffw::test::pinned_id;

namespace {

// The value of the series written exactly so (name{labels}), if the text has it.
std::optional<std::uint64_t> value_of(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(series + " ", 0) == 0) return std::stoull(line.substr(series.size() + 1));
  return std::nullopt;
}

// The labels of every series of a program, as bpffwc writes them (prometheus_text.cpp).
std::string labels(const std::string& id, const std::string& pin, const std::string& unit, const std::string& cgroup,
                   const std::string& direction) {
  return "id=\"" + id + "\",pin=\"" + pin + "\",unit=\"" + unit + "\",cgroup=\"" + cgroup + "\",direction=\"" +
         direction + "\"";
}

// A number from `stats PIN --json`: "passed_packets", ...
std::uint64_t json_number(const std::string& json, const std::string& key) {
  const std::size_t at = json.find("\"" + key + "\":");
  REQUIRE_MESSAGE(at != std::string::npos, key << " in " << json);
  return std::stoull(json.substr(at + key.size() + 3));
}

// promtool's verdict on the text; FAILS (never skips) when promtool is missing.
RunResult promtool_check(const std::string& file) {
  const bool found = ::access("/usr/bin/promtool", X_OK) == 0;
  REQUIRE_MESSAGE(found, "promtool is missing: apt-get install prometheus (scripts/bootstrap installs it)");
  const std::string out = file + ".promtool";
  const int status = std::system(("/usr/bin/promtool check metrics < '" + file + "' > '" + out + "' 2>&1").c_str());
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  std::filesystem::remove(out);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str(), {}};
}

}  // namespace

TEST_CASE("stats --all --prometheus: every kind of program, its labels and values, and promtool accepts it") {
  bpffw::test::ensure_bpffs();
  bpffw::test::ScopedPinDir pins;
  ScratchCgroup top, client, unpinned_client;
  ScratchCgroup web(top, "bpffw-metrics-web.service");
  const std::string web_label = "/" + web.name(), client_label = "/" + client.name();
  const std::uint16_t open_port = free_port();
  std::uint16_t closed_port = free_port();
  while (closed_port == open_port) closed_port = free_port();
  const std::string udp_open = "udp && dst_port == " + std::to_string(open_port);

  // Pinned and attached; attached without a pin; with the drop log; without counters; with sets.
  const std::string plain = pins.file("plain"), logged = pins.file("logged"), quiet = pins.file("quiet");
  const std::string sets = pins.file("se\"t\\s"), egress = pins.file("egress"), audit = pins.file("audit");
  REQUIRE(run_bpffwc({"-o", plain, "-t", "ingress", udp_open}).exit_code == 0);
  REQUIRE(run_bpffwc({"attach", web.path(), "-t", "ingress", plain}).exit_code == 0);
  REQUIRE(run_bpffwc({"--attach", web.path(), "-t", "ingress", "udp || tcp"}).exit_code == 0);
  REQUIRE(run_bpffwc({"-o", logged, "--log", "-t", "ingress", udp_open}).exit_code == 0);
  REQUIRE(run_bpffwc({"attach", web.path(), "-t", "ingress", logged}).exit_code == 0);
  REQUIRE(run_bpffwc({"-o", quiet, "--no-counters", "-t", "ingress", "tcp"}).exit_code == 0);
  // In audit mode: it passes what it would drop (every program on a cgroup judges every packet).
  REQUIRE(run_bpffwc({"-o", audit, "--audit", "-t", "ingress", udp_open}).exit_code == 0);
  REQUIRE(run_bpffwc({"attach", web.path(), "-t", "ingress", audit}).exit_code == 0);
  RunResult pinned_sets =
      run_bpffwc({"-o", sets, "-t", "ingress", "--set", "ports=80,443", "--set", "blocklist=192.0.2.0/24,198.51.100.7",
                  "tcp && dst_port in ports && !(src_addr in blocklist)"});
  REQUIRE_MESSAGE(pinned_sets.exit_code == 0, describe(pinned_sets));
  // Egress, its socket programs pinned beside it and attached with it.
  REQUIRE(run_bpffwc({"-o", egress, "-t", "egress", udp_open}).exit_code == 0);
  REQUIRE(run_bpffwc({"attach", client.path(), "-t", "egress", egress}).exit_code == 0);
  // Egress attached without a pin: its socket programs found by the cgroup they are attached to.
  REQUIRE(run_bpffwc({"--attach", unpinned_client.path(), "-t", "egress", udp_open}).exit_code == 0);

  // Traffic: one exchange passes the ingress filters, one is dropped; a connect() is refused.
  CHECK(udp_exchange(Family::V4, open_port, {.client = "", .server = web.path()}));
  CHECK_FALSE(udp_exchange(Family::V4, closed_port, {.client = "", .server = web.path()}));
  CHECK_FALSE(tcp_connects(Family::V4, closed_port, {.client = client.path(), .server = ""}));
  CHECK_FALSE(tcp_connects(Family::V6, closed_port, {.client = unpinned_client.path(), .server = ""}));

  const std::string plain_id = pinned_id(plain), logged_id = pinned_id(logged), quiet_id = pinned_id(quiet);
  const std::string sets_id = pinned_id(sets), egress_id = pinned_id(egress), audit_id = pinned_id(audit);
  std::vector<std::uint32_t> on_web = attached_ids(web.path(), bpffw::Direction::Ingress, Whose::Bpffw);
  std::erase_if(on_web, [&](std::uint32_t id) {
    return std::to_string(id) == plain_id || std::to_string(id) == logged_id || std::to_string(id) == audit_id;
  });
  REQUIRE(on_web.size() == 1);
  const std::string unpinned_id = std::to_string(on_web.front());

  RunResult metrics = run_bpffwc({"stats", "--all", "--prometheus"});
  REQUIRE_MESSAGE(metrics.exit_code == 0, describe(metrics));
  const std::string& text = metrics.out;
  INFO(text);
  RunResult plain_json = run_bpffwc({"stats", plain, "--json"});
  REQUIRE(plain_json.exit_code == 0);

  // Pinned and attached: the values stats --json reads, and the traffic is in them.
  const std::string plain_labels = labels(plain_id, plain, "bpffw-metrics-web.service", web_label, "ingress");
  CHECK(value_of(text, "bpffw_program_info{" + plain_labels + ",version=\"" + std::string(bpffw::kVersion) +
                           "\",mode=\"enforce\"}") == 1);
  CHECK(value_of(text, "bpffw_attachment_info{" + plain_labels + "}") == 1);
  CHECK(value_of(text, "bpffw_packets_total{" + plain_labels + ",verdict=\"would_drop\"}") == 0);
  for (const char* verdict : {"passed", "dropped"}) {
    auto packets = value_of(text, "bpffw_packets_total{" + plain_labels + ",verdict=\"" + verdict + "\"}");
    auto bytes = value_of(text, "bpffw_bytes_total{" + plain_labels + ",verdict=\"" + verdict + "\"}");
    REQUIRE(packets.has_value());
    REQUIRE(bytes.has_value());
    CHECK(*packets >= 1);
    CHECK(*bytes >= 28 * *packets);  // an IPv4 UDP header at least
    CHECK(*packets == json_number(plain_json.out, std::string(verdict) + "_packets"));
    CHECK(*bytes == json_number(plain_json.out, std::string(verdict) + "_bytes"));
  }
  // Attached without a pin: found by id.
  CHECK(value_of(text, "bpffw_packets_total{" +
                           labels(unpinned_id, "", "bpffw-metrics-web.service", web_label, "ingress") +
                           ",verdict=\"passed\"}") >= 2);
  // The drop log met the dropped datagram.
  const std::string logged_labels = labels(logged_id, logged, "bpffw-metrics-web.service", web_label, "ingress");
  CHECK(value_of(text, "bpffw_drop_log_total{" + logged_labels + ",outcome=\"logged\"}") >= 1);
  CHECK(value_of(text, "bpffw_drop_log_total{" + logged_labels + ",outcome=\"lost\"}") == 0);
  CHECK(value_of(text, "bpffw_drop_log_total{" +
                           labels(plain_id, plain, "bpffw-metrics-web.service", web_label, "ingress") +
                           ",outcome=\"logged\"}") == std::nullopt);
  // Without counters: known, but no counter series.
  CHECK(value_of(text, "bpffw_program_info{" + labels(quiet_id, quiet, "", "", "ingress") + ",version=\"" +
                           std::string(bpffw::kVersion) + "\",mode=\"enforce\"}") == 1);
  // Audit mode: its mode, and the dropped exchange as would-drop, not as dropped.
  const std::string audit_labels = labels(audit_id, audit, "bpffw-metrics-web.service", web_label, "ingress");
  CHECK(value_of(text, "bpffw_program_info{" + audit_labels + ",version=\"" + std::string(bpffw::kVersion) +
                           "\",mode=\"audit\"}") == 1);
  CHECK(value_of(text, "bpffw_packets_total{" + audit_labels + ",verdict=\"would_drop\"}") >= 1);
  CHECK(value_of(text, "bpffw_packets_total{" + audit_labels + ",verdict=\"dropped\"}") == 0);
  CHECK(value_of(text, "bpffw_bytes_total{" + audit_labels + ",verdict=\"would_drop\"}") >= 28);
  CHECK(text.find("bpffw_packets_total{id=\"" + quiet_id + "\"") == std::string::npos);
  // Named sets, under a pin whose label value escapes '"' and '\'.
  const std::string escaped_pin = pins.path() + "/se\\\"t\\\\s";
  const std::string sets_labels = labels(sets_id, escaped_pin, "", "", "ingress");
  CHECK(value_of(text, "bpffw_set_entries{" + sets_labels + ",set=\"ports\"}") == 2);
  CHECK(value_of(text, "bpffw_set_entries{" + sets_labels + ",set=\"blocklist\"}") == 2);
  // Egress: the refused connect() counted at its hook, the socket programs no programs of their own.
  const std::string egress_labels = labels(egress_id, egress, "", client_label, "egress");
  CHECK(value_of(text, "bpffw_socket_refusals_total{" + egress_labels + ",hook=\"connect4\"}") >= 1);
  CHECK(value_of(text, "bpffw_socket_refusals_total{" + egress_labels + ",hook=\"sendmsg6\"}") == 0);
  CHECK(text.find("pin=\"" + egress + "-connect4\"") == std::string::npos);
  const std::vector<std::uint32_t> unpinned_egress =
      attached_ids(unpinned_client.path(), bpffw::Direction::Egress, Whose::Bpffw);
  REQUIRE(unpinned_egress.size() == 1);
  const std::string unpinned_egress_labels =
      labels(std::to_string(unpinned_egress.front()), "", "", "/" + unpinned_client.name(), "egress");
  CHECK(value_of(text, "bpffw_socket_refusals_total{" + unpinned_egress_labels + ",hook=\"connect6\"}") >= 1);
  CHECK(value_of(text, "bpffw_socket_refusals_total{" + unpinned_egress_labels + ",hook=\"connect4\"}") == 0);

  // Debian's promtool: the format, and its lint (counters end in _total, HELP on every family).
  const std::string dir = "/tmp/bpffw-metrics-test-" + std::to_string(::getpid());
  REQUIRE(std::filesystem::create_directory(dir));
  std::ofstream(dir + "/stdout.prom") << text;
  RunResult checked = promtool_check(dir + "/stdout.prom");
  CHECK_MESSAGE(checked.exit_code == 0, checked.out);

  // --output: the file in place whole, readable by node_exporter's user, nothing else left.
  const std::string file = dir + "/textfile/bpffw.prom";
  std::filesystem::create_directory(dir + "/textfile");
  RunResult written = run_bpffwc({"stats", "--all", "--prometheus", "--output", file});
  CHECK_MESSAGE(written.exit_code == 0, describe(written));
  CHECK(written.out.empty());
  struct stat status{};
  REQUIRE(::stat(file.c_str(), &status) == 0);
  CHECK((status.st_mode & 07777) == 0644);
  CHECK(std::distance(std::filesystem::directory_iterator(dir + "/textfile"), std::filesystem::directory_iterator()) ==
        1);
  RunResult file_checked = promtool_check(file);
  CHECK_MESSAGE(file_checked.exit_code == 0, file_checked.out);
  std::ifstream in(file);
  std::stringstream contents;
  contents << in.rdbuf();
  CHECK(value_of(contents.str(), "bpffw_set_entries{" + sets_labels + ",set=\"ports\"}") == 2);
  // An --output nowhere: an error, and nothing written.
  RunResult nowhere = run_bpffwc({"stats", "--all", "--prometheus", "--output", dir + "/missing/bpffw.prom"});
  CHECK(nowhere.exit_code == 3);
  CHECK(nowhere.err.find("cannot create a file in '" + dir + "/missing/'") != std::string::npos);
  std::filesystem::remove_all(dir);

  // Take off what was attached: the cgroups go with the test.
  CHECK(run_bpffwc({"detach", web.path(), "-t", "ingress", "--all"}).exit_code == 0);
  CHECK(run_bpffwc({"detach", client.path(), "-t", "egress", "--all"}).exit_code == 0);
  CHECK(run_bpffwc({"detach", unpinned_client.path(), "-t", "egress", "--all"}).exit_code == 0);
}

TEST_CASE("stats --prometheus for one program, and --all as text and JSON") {
  bpffw::test::ensure_bpffs();
  bpffw::test::ScopedPinDir pins;
  const std::string pin = pins.file("one");
  REQUIRE(run_bpffwc({"-o", pin, "-t", "egress", "--no-socket-programs", "icmp"}).exit_code == 0);
  const std::string id = pinned_id(pin);
  RunResult one = run_bpffwc({"stats", pin, "--prometheus"});
  REQUIRE_MESSAGE(one.exit_code == 0, describe(one));
  // Only its series.
  CHECK(one.out.find("bpffw_packets_total{" + labels(id, pin, "", "", "egress") + ",verdict=\"passed\"} 0\n") !=
        std::string::npos);
  // 8 families' HELP and TYPE; info, 6 counters
  CHECK(std::count(one.out.begin(), one.out.end(), '\n') == 16 + 7);
  RunResult text = run_bpffwc({"stats", "--all"});
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("program " + id + " egress pinned at " + pin + ", attached nowhere\n  passed 0 packets") !=
        std::string::npos);
  RunResult json = run_bpffwc({"stats", "--all", "--json"});
  CHECK(json.exit_code == 0);
  CHECK(json.out.find("{\"id\":" + id + ",\"pin\":\"" + pin +
                      "\",\"direction\":\"egress\",\"audit\":false,\"attached\":[],") != std::string::npos);
  RunResult both = run_bpffwc({"stats", pin, "--all"});
  CHECK(both.exit_code == 2);
  RunResult neither = run_bpffwc({"stats"});
  CHECK(neither.exit_code == 2);
}
