// Collects libbpf's own messages for the calling thread, so that the library never prints them.
#pragma once

#include <string>

namespace bpffw::loader {

// While an instance lives, libbpf's warnings and infos emitted on this thread are appended to
// text() instead of going to stderr. libbpf_set_print is process-global: the first live instance
// installs a router (under a mutex) that sends each message to the collector of the thread that
// emitted it, and messages from threads without a collector to the previously installed callback;
// the last instance restores that callback. So several threads can load at the same time.
class LibbpfMessages {
 public:
  LibbpfMessages();
  ~LibbpfMessages();
  LibbpfMessages(const LibbpfMessages&) = delete;
  LibbpfMessages& operator=(const LibbpfMessages&) = delete;

  const std::string& text() const { return text_; }
  // The most telling line for a one-line error message: the first one naming a failure, without
  // the "libbpf: " prefix and trailing newline. Empty when libbpf said nothing.
  std::string summary() const;

 private:
  std::string text_;
  std::string* outer_ = nullptr;  // an enclosing collector on this thread, restored on exit
  friend struct LibbpfRouter;
};

}  // namespace bpffw::loader
