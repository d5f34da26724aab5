// The fuzzer's check (fuzz/parse_compile_check.cpp) on every committed fuzz input, at -O0 and -O2:
// the seed corpus, and each past finding of the fuzzer in fuzz/regressions/ (one file each).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fields/packet_fields.hpp"
#include "parse_compile_check.hpp"

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> files_in(const std::string& folder) {
  std::vector<fs::path> files;
  // README.md says what a folder is for; every other file is one input.
  for (const fs::directory_entry& entry : fs::directory_iterator(fs::path(BPFFW_FUZZ_DIR) / folder)) {
    if (entry.is_regular_file() && entry.path().filename() != "README.md") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string contents(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void check_all(const std::vector<fs::path>& files) {
  for (const fs::path& file : files) {
    std::string text = contents(file);
    for (unsigned level : {0u, 2u}) {
      INFO(file.filename().string() << " at -O" << level << ": " << text);
      CHECK(bpffw::fuzz::check_parse_compile(text, level) == "");
    }
  }
}

}  // namespace

TEST_CASE("fuzz inputs: the seed corpus and every past finding pass the fuzzer's check") {
  std::vector<fs::path> seeds = files_in("corpus");
  CHECK(seeds.size() >= 20);
  check_all(seeds);
  check_all(files_in("regressions"));
}

TEST_CASE("the fuzzer's check finds what it must find") {
  CHECK(bpffw::fuzz::check_parse_compile("udp && dst_port == 53", 2) == "");
  CHECK(bpffw::fuzz::check_parse_compile("udp &&", 0) == "");  // a parse error with a position
  CHECK(bpffw::fuzz::check_parse_compile(std::string("\0\xff", 2), 2) == "");
}

TEST_CASE("fuzz inputs: the dictionary and the seeds name every variable of the field table") {
  const std::string dictionary = contents(fs::path(BPFFW_FUZZ_DIR) / "filter.dict");
  std::string seeds;
  for (const fs::path& seed : files_in("corpus")) seeds += contents(seed) + "\n";
  for (const bpffw::fields::PacketField& row : bpffw::fields::kPacketFields) {
    const std::string name(row.name);
    CHECK_MESSAGE(dictionary.find("\"" + name + "\"") != std::string::npos, "fuzz/filter.dict lacks " << name);
    CHECK_MESSAGE(seeds.find(name) != std::string::npos, "no seed in fuzz/corpus/ reads " << name);
  }
  for (const bpffw::fields::NamedConstant& constant : bpffw::fields::named_constants())
    CHECK_MESSAGE(dictionary.find("\"" + std::string(constant.name) + "\"") != std::string::npos,
                  "fuzz/filter.dict lacks " << constant.name);
}
