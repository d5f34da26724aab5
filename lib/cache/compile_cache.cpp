// The compile cache's directory and entries (<bpffw/compile_cache.hpp>). An entry is one file,
// named by a hash of its key: "BPFFWKEY", the key's length (u64, little-endian), the key, then the
// stored bytes (a bundle, <bpffw/object_bundle.hpp>, which has its own checksum).
#include <bpffw/compile_cache.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace bpffw {
namespace {

constexpr char kMagic[8] = {'B', 'P', 'F', 'F', 'W', 'K', 'E', 'Y'};
constexpr std::string_view kSuffix = ".entry";
constexpr std::size_t kHeader = sizeof kMagic + 8;

std::string entry_name(std::string_view key) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char byte : key) hash = (hash ^ byte) * 0x100000001b3ull;
  char name[17];
  std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(hash));
  return std::string(name) + std::string(kSuffix);
}

bool is_entry(std::string_view name) { return name.size() > kSuffix.size() && name.ends_with(kSuffix); }

// Someone other than root and the caller could change what is at `path`.
std::optional<std::string> untrusted(const struct stat& status, bool sticky_allowed) {
  const uid_t caller = ::geteuid();
  if (status.st_uid != 0 && status.st_uid != caller) return "it belongs to user " + std::to_string(status.st_uid);
  if ((status.st_mode & (S_IWGRP | S_IWOTH)) != 0 && !(sticky_allowed && (status.st_mode & S_ISVTX) != 0))
    return "others can write to it";
  return std::nullopt;
}

Error refused(const std::string& path, const std::string& why, bool is_cache_directory) {
  return Error{ErrorKind::Permission,
               "the compile cache at " + path + " is not used: " + why,
               std::nullopt,
               0,
               is_cache_directory
                   ? "make it root's and writable by root alone: chown root: " + path + "; chmod 0700 " + path
                   : "only root may be able to write to " + path + " and the directories above it",
               {}};
}

// The cache directory and every directory above it: writable by root (or the caller) alone,
// above it a sticky directory such as /tmp too, and the directory itself not even readable by others.
Result<void> check_directory(const std::string& directory) {
  std::error_code error;
  std::filesystem::path real = std::filesystem::canonical(directory, error);
  if (error)
    return make_error(ErrorKind::System, "cannot resolve " + directory + ": " + error.message(), error.value());
  std::filesystem::path at = "/";
  for (auto part = real.begin();; ++part) {
    struct stat status{};
    if (::stat(at.c_str(), &status) != 0)
      return make_error(ErrorKind::System, "cannot stat " + at.string() + ": " + std::strerror(errno), errno);
    const bool last = at == real;
    if (last && status.st_uid == ::geteuid() && (status.st_mode & 077) != 0) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", status.st_mode & 07777);
      return tl::unexpected(refused(at.string(), "its mode is " + std::string(mode) + ", not 0700", true));
    }
    if (auto why = untrusted(status, !last)) return tl::unexpected(refused(at.string(), *why, last));
    if (last) return {};
    if (part == real.end()) return {};
    if (*part != "/") at /= *part;
  }
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

bool read_whole(int fd, std::vector<unsigned char>& bytes, std::size_t size) {
  bytes.resize(size);
  std::size_t at = 0;
  while (at < size) {
    ssize_t n = ::read(fd, bytes.data() + at, size - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    at += static_cast<std::size_t>(n);
  }
  return true;
}

std::uint64_t key_length(const std::vector<unsigned char>& bytes) {
  std::uint64_t length = 0;
  for (int i = 0; i < 8; ++i) length |= std::uint64_t{bytes[sizeof kMagic + i]} << (8 * i);
  return length;
}

// The first line of the expression an entry's key holds ("expression N:TEXT").
std::string expression_of(std::string_view key) {
  std::size_t at = key.find("\nexpression ");
  if (at == std::string_view::npos) return {};
  std::size_t colon = key.find(':', at);
  if (colon == std::string_view::npos) return {};
  std::string_view text = key.substr(colon + 1);
  return std::string(text.substr(0, text.find('\n')));
}

}  // namespace

Result<CompileCache> CompileCache::open(CompileCacheOptions options) {
  std::error_code error;
  std::filesystem::path parent = std::filesystem::path(options.directory).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, error);
  if (::mkdir(options.directory.c_str(), 0700) != 0 && errno != EEXIST)
    return make_error(ErrorKind::System,
                      "cannot create the compile cache " + options.directory + ": " + std::strerror(errno), errno,
                      "create it (mkdir -m 0700 " + options.directory + "), or choose another directory");
  if (auto checked = check_directory(options.directory); !checked) return tl::unexpected(checked.error());
  return CompileCache(std::move(options));
}

std::optional<std::vector<unsigned char>> CompileCache::find(std::string_view key) const {
  const std::string path = options_.directory + "/" + entry_name(key);
  Fd file{::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
  if (file.fd < 0) return std::nullopt;
  struct stat status{};
  if (::fstat(file.fd, &status) != 0 || !S_ISREG(status.st_mode) || status.st_uid != ::geteuid() ||
      (status.st_mode & 077) != 0 || status.st_nlink != 1)
    return std::nullopt;  // not the cache's: neither used nor removed
  std::vector<unsigned char> bytes;
  const auto size = static_cast<std::size_t>(status.st_size);
  if (size < kHeader || !read_whole(file.fd, bytes, size) || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0 ||
      key_length(bytes) > size - kHeader) {
    ::unlink(path.c_str());  // damaged
    return std::nullopt;
  }
  const std::size_t stored_key = key_length(bytes);
  if (std::string_view(reinterpret_cast<const char*>(bytes.data() + kHeader), stored_key) != key)
    return std::nullopt;         // another key with the same hash
  ::futimens(file.fd, nullptr);  // used now: evicted last
  bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(kHeader + stored_key));
  return bytes;
}

void CompileCache::forget(std::string_view key) const {
  ::unlink((options_.directory + "/" + entry_name(key)).c_str());
}

Result<void> CompileCache::store(std::string_view key, std::span<const unsigned char> bytes) const {
  std::string temporary = options_.directory + "/.new-XXXXXX";
  Fd file{::mkostemp(temporary.data(), O_CLOEXEC)};
  if (file.fd < 0)
    return make_error(ErrorKind::System,
                      "cannot write to the compile cache " + options_.directory + ": " + std::strerror(errno), errno);
  std::vector<unsigned char> entry(std::begin(kMagic), std::end(kMagic));
  for (int i = 0; i < 8; ++i) entry.push_back(static_cast<unsigned char>(std::uint64_t{key.size()} >> (8 * i)));
  entry.insert(entry.end(), key.begin(), key.end());
  entry.insert(entry.end(), bytes.begin(), bytes.end());
  std::size_t at = 0;
  while (at < entry.size()) {
    ssize_t n = ::write(file.fd, entry.data() + at, entry.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::unlink(temporary.c_str());
      return make_error(ErrorKind::System, "cannot write to the compile cache: " + std::string(std::strerror(error)),
                        error);
    }
    at += static_cast<std::size_t>(n);
  }
  if (::rename(temporary.c_str(), (options_.directory + "/" + entry_name(key)).c_str()) != 0) {
    int error = errno;
    ::unlink(temporary.c_str());
    return make_error(ErrorKind::System, "cannot write to the compile cache: " + std::string(std::strerror(error)),
                      error);
  }
  // Least recently used first out, until the rest fit.
  std::vector<CompileCacheEntry> all = entries();
  std::uint64_t total = 0;
  for (const CompileCacheEntry& one : all) total += one.bytes;
  std::sort(all.begin(), all.end(),
            [](const CompileCacheEntry& a, const CompileCacheEntry& b) { return a.last_used_ns < b.last_used_ns; });
  for (const CompileCacheEntry& one : all) {
    if (total <= options_.max_bytes) break;
    if (::unlink((options_.directory + "/" + one.file).c_str()) == 0) total -= one.bytes;
  }
  return {};
}

std::vector<CompileCacheEntry> CompileCache::entries() const {
  std::vector<CompileCacheEntry> found;
  DIR* directory = ::opendir(options_.directory.c_str());
  if (directory == nullptr) return found;
  while (const dirent* item = ::readdir(directory)) {
    if (!is_entry(item->d_name)) continue;
    Fd file{::openat(::dirfd(directory), item->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
    struct stat status{};
    if (file.fd < 0 || ::fstat(file.fd, &status) != 0 || !S_ISREG(status.st_mode)) continue;
    CompileCacheEntry entry{item->d_name,
                            static_cast<std::uint64_t>(status.st_size),
                            status.st_mtim.tv_sec * 1'000'000'000ll + status.st_mtim.tv_nsec,
                            {}};
    std::vector<unsigned char> header;
    if (status.st_size >= static_cast<off_t>(kHeader) && read_whole(file.fd, header, kHeader)) {
      std::string key(std::min<std::uint64_t>(key_length(header), 1u << 20), '\0');
      if (::read(file.fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()))
        entry.expression = expression_of(key);
    }
    found.push_back(std::move(entry));
  }
  ::closedir(directory);
  return found;
}

Result<std::size_t> CompileCache::clear() const {
  // What a store cut short left (its temporary file), then the entries.
  if (DIR* directory = ::opendir(options_.directory.c_str())) {
    while (const dirent* item = ::readdir(directory))
      if (std::string_view(item->d_name).starts_with(".new-")) ::unlinkat(::dirfd(directory), item->d_name, 0);
    ::closedir(directory);
  }
  std::size_t removed = 0;
  for (const CompileCacheEntry& entry : entries()) {
    if (::unlink((options_.directory + "/" + entry.file).c_str()) != 0 && errno != ENOENT)
      return make_error(ErrorKind::System,
                        "cannot remove " + options_.directory + "/" + entry.file + ": " + std::strerror(errno), errno);
    ++removed;
  }
  return removed;
}

}  // namespace bpffw
