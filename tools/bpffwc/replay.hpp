// bpffwc test --pcap FILE: every packet of a capture that went the filter's way, judged in the
// kernel (BPF_PROG_TEST_RUN) and checked against the reference interpreter, summed up: passed and
// dropped packets and bytes, the flows dropped most, the parts of the filter that decided, the
// packets read as malformed (docs/bpffwc.md, "Replaying a capture").
#pragma once

#include <string>
#include <vector>

#include <bpffw/filter.hpp>
#include <bpffw/program.hpp>

#include "capture.hpp"

namespace bpffwc {

struct ReplayOptions {
  std::string path;
  // The host's addresses, which say the way each packet went; none given: the capture's link
  // layer says (Linux cooked captures), else this machine's own addresses.
  std::vector<LocalPrefix> local;
  bool json = false;
  std::size_t top = 10;  // dropped flows and deciders listed
};

// Prints the summary; returns the exit code. `program` null: judged by the interpreter alone.
int replay_capture(const bpffw::Filter& filter, const bpffw::Program* program, const ReplayOptions& options);

}  // namespace bpffwc
