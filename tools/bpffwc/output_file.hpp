// stats --output FILE: a command's output written so that a reader of FILE never sees half of it.
#pragma once

#include <string>

#include <bpffw/error.hpp>

namespace bpffwc {

// Writes `text` to a new file beside `path` (".NAME.bpffwc-XXXXXX": hidden, and no *.prom a
// textfile collector would read), mode 0644, and renames it over `path`: a reader opens the old
// file or the new one, whole. On an error the temporary file is removed and `path` is unchanged.
bpffw::Result<void> write_file_atomically(const std::string& path, const std::string& text);

}  // namespace bpffwc
