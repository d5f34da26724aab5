#include "set_file_edit.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

namespace bpffwc {
namespace {

using bpffw::SetIntegerRange;
using bpffw::SetPrefix;

constexpr const char* kBlank = " \t\r";

bool prefix_less(const SetPrefix& a, const SetPrefix& b) {
  return std::tie(a.ipv6, a.bytes, a.length) < std::tie(b.ipv6, b.bytes, b.length);
}

// One item of a line: its text and its value (one range or one prefix).
struct Item {
  std::string_view text;
  bpffw::SetItems value;
};

// A line of a set file taken apart: indent, items, and what follows them (blanks, the comment).
struct Line {
  std::string_view indent;
  std::vector<Item> items;
  std::string_view rest;
};

bool has_items(std::string_view line) {
  return line.substr(0, line.find('#')).find_first_not_of(kBlank) != std::string_view::npos;
}

bpffw::Result<Line> parse_line(std::string_view line, unsigned number, const std::string& path) {
  Line parsed;
  std::string_view part = line.substr(0, line.find('#'));
  std::size_t first = part.find_first_not_of(kBlank);
  if (first == std::string_view::npos) {
    parsed.rest = line;
    return parsed;
  }
  std::size_t end = part.find_last_not_of(kBlank) + 1;
  parsed.indent = line.substr(0, first);
  parsed.rest = line.substr(end);
  for (std::size_t start = first; start <= end;) {
    std::size_t comma = std::min(part.find(',', start), end);
    std::string_view piece = part.substr(start, comma - start);
    // As a set file line: one plain item (the usual line) skips the grammar, 10 times faster.
    auto value = bpffw::parse_set_file_text(piece);
    if (!value || value->ranges.size() + value->prefixes.size() != 1) {
      std::size_t column = start + 1 + (value || !value.error().span ? 0 : value.error().span->column - 1);
      return bpffw::make_error(bpffw::ErrorKind::Usage,
                               path + ":" + std::to_string(number) + ":" + std::to_string(column) + ": " +
                                   (value ? std::string("expected one set item") : value.error().message),
                               0, "correct the file, or change the set without --save");
    }
    std::size_t lead = piece.find_first_not_of(kBlank);
    piece = piece.substr(lead, piece.find_last_not_of(kBlank) + 1 - lead);
    parsed.items.push_back({piece, std::move(*value)});
    start = comma + 1;
  }
  return parsed;
}

// Calls take(line, has_newline) for each line of `text`.
template <class Take>
bpffw::Result<void> for_each_line(std::string_view text, Take&& take) {
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    bool newline = end != std::string_view::npos;
    if (!newline) end = text.size();
    if (auto taken = take(text.substr(start, end - start), newline); !taken) return taken;
    start = end + 1;
  }
  return {};
}

void end_with_newline(std::string& text) {
  if (!text.empty() && text.back() != '\n') text += '\n';
}

}  // namespace

std::vector<SetIntegerRange> subtract_ranges(SetIntegerRange range, const std::vector<SetIntegerRange>& cuts) {
  std::vector<SetIntegerRange> left;
  auto cut =
      std::lower_bound(cuts.begin(), cuts.end(), range.lo, [](const auto& c, std::int64_t lo) { return c.hi < lo; });
  for (; cut != cuts.end() && cut->lo <= range.hi; ++cut) {
    if (range.lo < cut->lo) left.push_back({range.lo, cut->lo - 1});
    if (cut->hi >= range.hi) return left;
    range.lo = cut->hi + 1;
  }
  left.push_back(range);
  return left;
}

bpffw::Result<std::string> edit_set_file_text(std::string_view text, char op, const bpffw::SetItems& items,
                                              const std::string& path) {
  std::string out;
  out.reserve(text.size() + 64);
  unsigned number = 0;
  if (op == '=') {
    std::string new_items;
    for (const SetIntegerRange& range : items.ranges) new_items += bpffw::format_set_range(range) + "\n";
    for (const SetPrefix& prefix : items.prefixes) new_items += bpffw::format_set_prefix(prefix) + "\n";
    bool placed = false;
    (void)for_each_line(text, [&](std::string_view line, bool newline) -> bpffw::Result<void> {
      if (!has_items(line)) {
        out.append(line).append(newline ? "\n" : "");
      } else if (!placed) {
        out += new_items;
        placed = true;
      }
      return {};
    });
    if (!placed) {
      end_with_newline(out);
      out += new_items;
    }
    return out;
  }
  std::vector<SetIntegerRange> cuts = bpffw::merge_set_ranges(items.ranges);
  std::vector<SetPrefix> prefixes = items.prefixes;
  std::sort(prefixes.begin(), prefixes.end(), prefix_less);
  if (op == '-') {
    auto edited = for_each_line(text, [&](std::string_view line, bool newline) -> bpffw::Result<void> {
      auto parsed = parse_line(line, ++number, path);
      if (!parsed) return tl::unexpected(parsed.error());
      bool changed = false;
      std::string kept;
      auto keep = [&](std::string_view item) { kept.append(kept.empty() ? "" : ", ").append(item); };
      for (const Item& item : parsed->items) {
        if (!item.value.prefixes.empty()) {
          bool removed = std::binary_search(prefixes.begin(), prefixes.end(), item.value.prefixes[0], prefix_less);
          changed |= removed;
          if (!removed) keep(item.text);
          continue;
        }
        std::vector<SetIntegerRange> left = subtract_ranges(item.value.ranges[0], cuts);
        if (left.size() == 1 && left[0] == item.value.ranges[0]) {
          keep(item.text);
          continue;
        }
        changed = true;
        for (const SetIntegerRange& range : left) keep(bpffw::format_set_range(range));
      }
      if (!changed) out.append(line).append(newline ? "\n" : "");
      else if (!kept.empty()) out.append(parsed->indent).append(kept).append(parsed->rest).append(newline ? "\n" : "");
      return {};
    });
    if (!edited) return tl::unexpected(edited.error());
    return out;
  }
  // '+': what the file holds already is not added again.
  std::vector<SetIntegerRange> file_ranges;
  std::vector<SetPrefix> file_prefixes;
  auto read = for_each_line(text, [&](std::string_view line, bool) -> bpffw::Result<void> {
    auto parsed = parse_line(line, ++number, path);
    if (!parsed) return tl::unexpected(parsed.error());
    for (const Item& item : parsed->items) {
      file_ranges.insert(file_ranges.end(), item.value.ranges.begin(), item.value.ranges.end());
      file_prefixes.insert(file_prefixes.end(), item.value.prefixes.begin(), item.value.prefixes.end());
    }
    return {};
  });
  if (!read) return tl::unexpected(read.error());
  file_ranges = bpffw::merge_set_ranges(std::move(file_ranges));
  std::sort(file_prefixes.begin(), file_prefixes.end(), prefix_less);
  out.append(text);
  end_with_newline(out);
  for (const SetIntegerRange& range : cuts)
    for (const SetIntegerRange& left : subtract_ranges(range, file_ranges)) out += bpffw::format_set_range(left) + "\n";
  std::set<SetPrefix, decltype(&prefix_less)> written(&prefix_less);
  for (const SetPrefix& prefix : items.prefixes)
    if (!std::binary_search(file_prefixes.begin(), file_prefixes.end(), prefix, prefix_less) &&
        written.insert(prefix).second)
      out += bpffw::format_set_prefix(prefix) + "\n";
  // Nothing new: the text stays exactly as it was (a missing final newline too).
  if (out.size() == text.size() + (text.empty() || text.back() == '\n' ? 0 : 1)) return std::string(text);
  return out;
}

namespace {

bpffw::Error system_error(const std::string& message, int err, std::string hint = {}) {
  return bpffw::make_error(bpffw::ErrorKind::System, message, err, std::move(hint)).value();
}

}  // namespace

PendingSetFile::PendingSetFile(PendingSetFile&& other) noexcept
    : target_(std::move(other.target_)), temp_(std::exchange(other.temp_, {})) {}

PendingSetFile& PendingSetFile::operator=(PendingSetFile&& other) noexcept {
  if (this != &other) {
    abandon();
    target_ = std::move(other.target_);
    temp_ = std::exchange(other.temp_, {});
  }
  return *this;
}

void PendingSetFile::abandon() {
  if (!temp_.empty()) ::unlink(temp_.c_str());
  temp_.clear();
}

bpffw::Result<PendingSetFile> PendingSetFile::prepare(const std::string& path, char op, const bpffw::SetItems& items) {
  const std::string hint = "nothing was changed; make the file writable, or change the set without --save";
  char* real = ::realpath(path.c_str(), nullptr);
  if (real == nullptr) return tl::unexpected(system_error("cannot save to set file '" + path + "'", errno, hint));
  PendingSetFile pending;
  pending.target_ = real;
  std::free(real);
  const std::string& target = pending.target_;
  std::string text;
  struct stat status{};
  {
    int fd = ::open(target.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return tl::unexpected(system_error("cannot read set file '" + target + "' to save to it", errno, hint));
    if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
      int err = S_ISREG(status.st_mode) ? errno : 0;
      ::close(fd);
      return tl::unexpected(system_error("cannot save to '" + target + "': it is not a regular file", err, hint));
    }
    char buffer[1 << 16];
    for (ssize_t got; (got = ::read(fd, buffer, sizeof buffer)) != 0;) {
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        int err = errno;
        ::close(fd);
        return tl::unexpected(system_error("cannot read set file '" + target + "'", err, hint));
      }
      text.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(fd);
  }
  auto edited = edit_set_file_text(text, op, items, path);
  if (!edited) return tl::unexpected(edited.error());
  if (*edited == text) return pending;

  // Beside the file, so that the rename stays within one file system.
  std::size_t slash = target.rfind('/');
  std::string temp = target.substr(0, slash + 1) + "." + target.substr(slash + 1) + ".bpffwc-XXXXXX";
  int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0)
    return tl::unexpected(system_error("cannot create a file in '" + target.substr(0, slash + 1) + "'", errno, hint));
  pending.temp_ = temp;  // removed from here on unless committed
  auto failed = [&](const std::string& what) {
    int err = errno;
    ::close(fd);
    return tl::unexpected(system_error(what + " '" + temp + "'", err, hint));
  };
  if ((status.st_uid != ::geteuid() || status.st_gid != ::getegid()) && ::fchown(fd, status.st_uid, status.st_gid) != 0)
    return failed("cannot give the owner of '" + target + "' to");
  if (::fchmod(fd, status.st_mode & 07777) != 0) return failed("cannot set the mode of");
  for (std::size_t written = 0; written < edited->size();) {
    ssize_t wrote = ::write(fd, edited->data() + written, edited->size() - written);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0) return failed("cannot write");
    written += static_cast<std::size_t>(wrote);
  }
  if (::fsync(fd) != 0) return failed("cannot sync");
  if (::close(fd) != 0) return tl::unexpected(system_error("cannot write '" + temp + "'", errno, hint));
  return pending;
}

bpffw::Result<void> PendingSetFile::commit() {
  if (temp_.empty()) return {};
  if (::rename(temp_.c_str(), target_.c_str()) != 0) {
    int err = errno;
    abandon();
    return tl::unexpected(system_error("cannot rename a new '" + target_ + "' into place", err));
  }
  temp_.clear();
  // The rename itself on disk (best effort: the file is in place either way).
  std::string directory = target_.substr(0, target_.rfind('/') + 1);
  if (int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); fd >= 0) {
    (void)::fsync(fd);
    ::close(fd);
  }
  return {};
}

}  // namespace bpffwc
