// The self-description every program carries (bpf_metadata_bpffw, map_layout.hpp): the bpffw
// version, whether it counts, its parameter names and the expression, as one line of text, so
// that `bpftool prog show` prints it as a string too (it shows text with control bytes as numbers):
//   bpffw=0.1.0 counters=1 params=mtu,limit sets=ports:int,blocklist:addr setfiles=blocklist:/etc/bl.txt
//   direction=egress log=100/100 expression=...
// (sets= only with named sets; setfiles= only for sets declared from a file, paths %XX-escaped;
// log=RATE/BURST only with the drop log)
// Unknown key=value items before "expression=" are skipped (a newer bpffw's additions); the
// expression runs to the end of the string.
#pragma once

#include <string>
#include <string_view>

#include <bpffw/metadata.hpp>

namespace bpffw::layout {

std::string encode_metadata(const ProgramMetadata& metadata);

// ErrorKind::Usage when the text is not bpffw metadata (another tool's program).
Result<ProgramMetadata> decode_metadata(std::string_view text);

}  // namespace bpffw::layout
