// Finding a loaded program's maps (map_layout.hpp) from its fd alone: BPF_OBJ_GET_INFO_BY_FD
// lists the program's map ids, each is opened by id and recognized by its kernel name.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <bpffw/error.hpp>
#include <bpffw/metadata.hpp>
#include <bpffw/program.hpp>

#include "loader/unique_fd.hpp"

namespace bpffw::loader {

struct ProgramMap {
  detail::UniqueFd fd;
  bpf_map_info info{};
};

// Every map of the program, opened.
Result<std::vector<ProgramMap>> program_maps(int program_fd);
// A map's kernel name.
std::string_view map_name(const bpf_map_info& info);

// The program's map whose kernel name is `name`; std::nullopt when it has none.
Result<std::optional<ProgramMap>> find_program_map(int program_fd, std::string_view name);

// The program's metadata (<bpffw/metadata.hpp>) from its maps listed by program_maps: for a command
// that goes on to use other maps of the list, each opened once.
Result<ProgramMetadata> read_metadata(const std::vector<ProgramMap>& maps);

// The program's map named `name`; ErrorKind::Usage with `missing` as the message when it has none.
Result<ProgramMap> require_program_map(const Program& program, const char* name, const std::string& missing);
// The single value of a one-entry array map, its first `size` bytes.
Result<std::vector<unsigned char>> read_single_value(const ProgramMap& map, std::size_t size);
// Where a global variable lies in an internal map's value (.data, .rodata): from the map's BTF
// (a DATASEC), since the section may hold other data before it. 0 when the map has no BTF.
std::size_t variable_offset(const bpf_map_info& info, std::string_view variable);

// Before bpf_object__load: makes the object's counter map, drop-log state and ring buffer the ones
// old_program_fd uses, so counts continue. Skips each map either side lacks or whose layout differs.
Result<void> reuse_kept_maps(bpf_object* object, int old_program_fd);

// Makes every map of the socket programs' object but their rule lists' the packet program's map
// of that name (named sets, parameters): one state for both. A map the packet program lacks, or
// has in another layout, is an internal error: the two objects were compiled from one filter.
Result<void> reuse_shared_maps(bpf_object* object, int packet_program_fd);

// After bpf_object__load: binds the parameter map (.data) to the program, so that it is among the
// program's map ids even when no instruction reads a parameter (`--param x=1 'tcp'`); libbpf
// binds only .rodata by itself. Does nothing when the object has no parameters.
Result<void> bind_parameter_map(bpf_object* object, int program_fd);

}  // namespace bpffw::loader
