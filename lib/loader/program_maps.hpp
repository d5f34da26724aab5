// Finding a loaded program's maps (map_layout.hpp) from its fd alone: BPF_OBJ_GET_INFO_BY_FD
// lists the program's map ids, each is opened by id and recognized by its kernel name.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <bpffw/error.hpp>

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

// Before bpf_object__load: makes the object's counter map, drop-log state and ring buffer the ones
// old_program_fd uses, so counts continue. Skips each map either side lacks or whose layout differs.
Result<void> reuse_kept_maps(bpf_object* object, int old_program_fd);

// After bpf_object__load: binds the parameter map (.data) to the program, so that it is among the
// program's map ids even when no instruction reads a parameter (`--param x=1 'tcp'`); libbpf
// binds only .rodata by itself. Does nothing when the object has no parameters.
Result<void> bind_parameter_map(bpf_object* object, int program_fd);

}  // namespace bpffw::loader
