// A drop record as the ring holds it (layout::DropRecordLayout) to a DropRecord: shared by the
// reader of the ring (drop_log.cpp) and the readers a leader sends raw records to (drop_log_shared.cpp).
#pragma once

#include <cstddef>
#include <optional>

#include <bpffw/drop_log.hpp>

#include "loader/program_maps.hpp"

namespace bpffw::runtime {

// std::nullopt for bytes that are not a record of this version (skipped, not an error).
std::optional<DropRecord> decode_drop_record(const void* data, std::size_t size);

// The program's drop-log ring buffer; ErrorKind::Usage, saying to recompile with --log, when it has none.
Result<loader::ProgramMap> open_log_ring(const Program& program);

}  // namespace bpffw::runtime
