// Runs a program (bpffwc) and captures its standard output, standard error and exit status.
#pragma once

#include <string>
#include <vector>

namespace bpffw::test {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;      // the signal that killed it, 0 if it exited
  std::string out;
  std::string err;
};

struct ProcessOptions {
  std::vector<std::string> env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  bool stdout_is_tty = false;  // stdout on a pseudo-terminal, drained and dropped (out stays empty)
  bool as_nobody = false;      // drop root: run as uid/gid 65534, with no capabilities
};

// argv[0] is `program`. Uses posix_spawn (fork only for as_nobody, which must setuid first).
ProcessResult run_process(const std::string& program, const std::vector<std::string>& args,
                          const ProcessOptions& options = {});

// run_process(BPFFWC_PATH, args, options).
ProcessResult run_bpffwc(const std::vector<std::string>& args, const ProcessOptions& options = {});

}  // namespace bpffw::test
