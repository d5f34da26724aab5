// bpffwc test --pcap and diff speed (issue 31): a capture of N random packets of both families
// (TCP, UDP, ICMP, the rest at random: lib/random) written with libpcap, then replayed by the
// built bpffwc, whole process, in the kernel (each packet also judged by the interpreter) and by
// the interpreter alone; and diffed between two filters. Prints packets per second. As root.
//
// Usage: bpffw-bench-replay BPFFWC [--packets N] [--rounds R]
#include <pcap/pcap.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "random/random_packet.hpp"
#include "random/rng.hpp"

namespace {

// N random IP packets as raw IP (LINKTYPE_RAW): what the replay reads of any capture.
void write_capture(const std::string& path, std::size_t packets) {
  pcap_t* dead = pcap_open_dead(DLT_RAW, 65535);
  pcap_dumper_t* dump = pcap_dump_open(dead, path.c_str());
  if (dump == nullptr) {
    std::fprintf(stderr, "cannot write %s: %s\n", path.c_str(), pcap_geterr(dead));
    std::exit(2);
  }
  bpffw::random::Rng rng(20261206);
  for (std::size_t i = 0; i < packets; ++i) {
    bpffw::packet::Packet packet = bpffw::random::random_packet(rng);
    if (packet.ethertype != 0x0800 && packet.ethertype != 0x86DD) {
      --i;
      continue;
    }
    pcap_pkthdr header{};
    header.caplen = header.len = static_cast<bpf_u_int32>(packet.bytes.size());
    pcap_dump(reinterpret_cast<u_char*>(dump), &header, packet.bytes.data());
  }
  pcap_dump_close(dump);
  pcap_close(dead);
}

// Seconds the command takes, whole process; exits on a failure other than diff's exit 1.
double timed(const std::vector<std::string>& words) {
  const auto start = std::chrono::steady_clock::now();
  const pid_t child = ::fork();
  if (child == 0) {
    std::freopen("/dev/null", "w", stdout);
    std::vector<char*> argv;
    for (const std::string& word : words) argv.push_back(const_cast<char*>(word.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
    std::fprintf(stderr, "%s failed (status %d)\n", words[1].c_str(), status);
    std::exit(2);
  }
  return seconds;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s BPFFWC [--packets N] [--rounds R]\n", argv[0]);
    return 2;
  }
  const std::string bpffwc = argv[1];
  std::size_t packets = 1'000'000;
  int rounds = 3;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--packets") packets = std::stoul(argv[i + 1]);
    if (std::string(argv[i]) == "--rounds") rounds = std::stoi(argv[i + 1]);
  }
  char path[] = "/tmp/bpffw-bench-replay-XXXXXX";
  const int fd = ::mkstemp(path);
  ::close(fd);
  write_capture(path, packets);
  const std::string filter = "icmp || (udp && dst_port == 53) || (tcp && dst_port in {22, 80, 443})";
  struct Row {
    const char* what;
    std::vector<std::string> words;
  };
  // --local 0.0.0.0/0 ::/0: every packet is judged (both ways: its destination is "local").
  const std::vector<std::string> local = {"--local", "0.0.0.0/0", "--local", "::/0"};
  auto with = [&](std::vector<std::string> words) {
    words.insert(words.end(), local.begin(), local.end());
    return words;
  };
  const Row rows[] = {
      {"test --pcap (kernel + interpreter)", with({bpffwc, "test", "-t", "ingress", "--pcap", path, filter})},
      {"test --pcap --interpret", with({bpffwc, "test", "-t", "ingress", "--interpret", "--pcap", path, filter})},
      {"diff (two filters, interpreter)",
       with({bpffwc, "diff", "-t", "ingress", filter, filter + " || tcp", "--pcap", path})},
  };
  std::printf("capture: %zu random packets (IPv4 and IPv6; TCP, UDP, ICMP and others), median of %d rounds\n", packets,
              rounds);
  for (const Row& row : rows) {
    std::vector<double> seconds;
    for (int r = 0; r < rounds; ++r) seconds.push_back(timed(row.words));
    const double s = median(seconds);
    std::printf("%-38s %8.2f s  %10.0f packets/s\n", row.what, s, static_cast<double>(packets) / s);
  }
  ::unlink(path);
  return 0;
}
