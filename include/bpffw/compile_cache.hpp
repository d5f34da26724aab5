// A cache of compiled programs (docs/bpffwc.md, "The compile cache"): most starts compile a filter
// that was compiled before (a service restarted, a host booted, a reload of an unchanged file), and
// a hit loads the stored object without starting a compiler. What is cached is input loaded into
// the kernel as root, so the cache trusts only what nobody else could have written: its directory
// and every directory above it writable by root (or the caller) alone, each entry a regular file
// of the caller's, not writable by others; and an entry is used only when its key matches whole and
// its bundle's checksum and version hold. Anything else is a miss: compiled again, never loaded.
// Needs neither LLVM nor a kernel.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <bpffw/compiler.hpp>
#include <bpffw/error.hpp>
#include <bpffw/filter.hpp>

namespace bpffw {

inline constexpr const char* kDefaultCompileCacheDirectory = "/var/cache/bpffw";
inline constexpr std::uint64_t kDefaultCompileCacheBytes = 64ull << 20;

struct CompileCacheOptions {
  std::string directory = kDefaultCompileCacheDirectory;  // created 0700 when missing
  // The most the entries take together; storing past it removes the least recently used first.
  std::uint64_t max_bytes = kDefaultCompileCacheBytes;
};

// Everything that decides the objects compile(filter, options) (and, with `socket_programs`,
// compile_socket_programs) produce, as text: the expression and its AST (with names the host
// resolved, such as user names), the direction, the options, the runtime parameters, the named
// sets' declarations and their maps' capacities (not their items: those are written after
// loading), bpffw's and LLVM's versions and `compiler`, the build id of the binary that compiles.
std::string compile_cache_key(const Filter& filter, const CompileOptions& options, bool socket_programs,
                              std::string_view compiler);

struct CompileCacheEntry {
  std::string file;  // its name in the directory
  std::uint64_t bytes = 0;
  std::int64_t last_used_ns = 0;  // nanoseconds since the epoch
  std::string expression;         // the first line of the expression it was compiled from
};

class CompileCache {
 public:
  // Opens (creating when missing) the cache directory. ErrorKind::Permission for a directory that
  // someone other than root and the caller could change, with what to do; ErrorKind::System when
  // it cannot be created (a read-only file system).
  static Result<CompileCache> open(CompileCacheOptions options = {});

  // The stored bytes of `key`, or nothing: no entry, or one that is not to be trusted or whose key
  // differs (a damaged entry is removed). A hit counts as a use for eviction.
  std::optional<std::vector<unsigned char>> find(std::string_view key) const;
  // Stores the bytes under `key` (atomically: a reader sees the old entry or the new one), then
  // removes the least recently used entries while all of them take more than max_bytes.
  Result<void> store(std::string_view key, std::span<const unsigned char> bytes) const;
  // Removes the entry of `key`: what find() gave did not hold (a bundle whose checksum fails).
  void forget(std::string_view key) const;

  std::vector<CompileCacheEntry> entries() const;
  // Removes every entry (and what a store cut short left); returns how many entries.
  Result<std::size_t> clear() const;

  const CompileCacheOptions& options() const { return options_; }

 private:
  explicit CompileCache(CompileCacheOptions options) : options_(std::move(options)) {}
  CompileCacheOptions options_;
};

// compile(filter, options), through the cache: a hit is the stored object, with the filter's sets;
// a miss compiles and stores. A cache that cannot be written does not fail the compile.
Result<ObjectFile> compile(const Filter& filter, const CompileOptions& options, const CompileCache& cache);

}  // namespace bpffw
