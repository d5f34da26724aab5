// A scratch directory under /tmp for a test's files, removed with what is in it even when the
// test fails (the destructor runs as doctest unwinds a failed REQUIRE).
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

#include <doctest/doctest.h>

namespace bpffw::test {

struct ScratchDir {
  // /tmp/bpffw-TAG-PID: TAG tells the test files apart should one be left behind.
  explicit ScratchDir(const std::string& tag = "scratch")
      : path("/tmp/bpffw-" + tag + "-" + std::to_string(::getpid())) {
    REQUIRE(::mkdir(path.c_str(), 0700) == 0);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  // Writes `text` to the file `name` in the directory and returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    std::string file = path + "/" + name;
    std::ofstream(file) << text;
    return file;
  }

  std::string path;
};

}  // namespace bpffw::test
