#include "output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace bpffwc {
namespace {

bpffw::Error system_error(const std::string& message, int err) {
  return bpffw::make_error(bpffw::ErrorKind::System, message + ": " + std::strerror(err), err).value();
}

}  // namespace

bpffw::Result<void> write_file_atomically(const std::string& path, const std::string& text) {
  // Beside the file, so that the rename stays within one file system.
  const std::size_t slash = path.rfind('/');
  const std::string directory = slash == std::string::npos ? "./" : path.substr(0, slash + 1);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string temp = directory + "." + name + ".bpffwc-XXXXXX";
  const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) return tl::unexpected(system_error("cannot create a file in '" + directory + "'", errno));
  auto failed = [&](const std::string& what) {
    const int err = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    return tl::unexpected(system_error(what + " '" + temp + "'", err));
  };
  // mkostemp makes it 0600: node_exporter reads it as its own user.
  if (::fchmod(fd, 0644) != 0) return failed("cannot set the mode of");
  for (std::size_t written = 0; written < text.size();) {
    const ssize_t wrote = ::write(fd, text.data() + written, text.size() - written);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) return failed("cannot write");
    written += static_cast<std::size_t>(wrote);
  }
  // No fsync: the file is rewritten every scrape interval, and after a crash a stale or empty one
  // is replaced at the next; readers see the rename whole either way.
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return tl::unexpected(system_error("cannot write '" + temp + "'", err));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return tl::unexpected(system_error("cannot rename '" + temp + "' to '" + path + "'", err));
  }
  return {};
}

}  // namespace bpffwc
