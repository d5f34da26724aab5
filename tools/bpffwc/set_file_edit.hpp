// `bpffwc set PIN NAME+=ITEMS --save` and its kin: the change written into the set's file as well
// (the file the set was declared from, --set-file NAME=FILE), so that the next reload from the file
// does not undo it. The file keeps its comments and its order:
//   +=  appends the items the file does not hold yet, one per line, at its end;
//   -=  removes the items from the lines holding them: a line left without items goes, with its
//       comment; a line that keeps other items keeps its comment. An integer removed from inside a
//       range of the file splits the range (8000..8100 -= 8050 leaves 8000..8049, 8051..8100);
//       an address or prefix goes only where the file has that exact item, as in the set's maps;
//   =   keeps the lines without items (comments, blank lines) where they are and puts the new
//       items, one per line, where the first line with items was (at the end if there was none);
//       the lines with items go, their comments with them.
// The new text is written beside the file first (PendingSetFile::prepare), the set's maps are
// changed next, and only then is the new text renamed over the file (commit): a failed map change
// leaves the file as it was (abandon), and a failed rename is an error saying the two now differ.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <bpffw/error.hpp>
#include <bpffw/sets.hpp>

namespace bpffwc {

// The text of a set file after the change `op` ('+', '-' or '=') with `items`. A line that is not
// set items is an error naming `path`, the line and the column (ErrorKind::Usage).
bpffw::Result<std::string> edit_set_file_text(std::string_view text, char op, const bpffw::SetItems& items,
                                              const std::string& path);

// The integers of `range` that none of `cuts` (bpffw::merge_set_ranges' result) holds, as ranges.
std::vector<bpffw::SetIntegerRange> subtract_ranges(bpffw::SetIntegerRange range,
                                                    const std::vector<bpffw::SetIntegerRange>& cuts);

// A set file's new text, in a temporary file beside it (same directory, same mode and owner,
// synced to disk), not yet in its place. Removed unless committed.
class PendingSetFile {
 public:
  PendingSetFile() = default;
  PendingSetFile(PendingSetFile&& other) noexcept;
  PendingSetFile& operator=(PendingSetFile&& other) noexcept;
  ~PendingSetFile() { abandon(); }

  // Reads `path` (through symbolic links: the file they lead to is the one rewritten), edits it
  // (edit_set_file_text) and writes the result beside it. No temporary file when the text stays
  // the same: commit() then does nothing.
  static bpffw::Result<PendingSetFile> prepare(const std::string& path, char op, const bpffw::SetItems& items);

  // Renames the new text over the file (atomic: a reader sees the old text or the new one) and
  // syncs the directory. On an error the temporary file is removed and the file is unchanged.
  bpffw::Result<void> commit();
  // Removes the temporary file.
  void abandon();

 private:
  std::string target_;  // the file rewritten
  std::string temp_;    // the new text, beside it; empty when none
};

}  // namespace bpffwc
