// For tests: make this thread's compilations read every header with bpf_skb_load_bytes, the way
// the packet parser takes for headers outside the linear data. BPF_PROG_TEST_RUN builds only
// linear packets, so without this the kernel tests would never run that way.
#pragma once

namespace bpffw::codegen {

void set_parser_reads_with_helper_only(bool helper_only);
bool parser_reads_with_helper_only();

}  // namespace bpffw::codegen
