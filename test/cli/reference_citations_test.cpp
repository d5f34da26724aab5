// docs/filter-language.md is the normative reference: the code, tests and docs cite its numbered
// sections ("docs/filter-language.md §5.3", or "§5.3" near such a citation). Every section cited
// must exist there, and nothing in the tree may cite a document outside it.
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The section numbers of the reference's headings: "## 5. How ..." is 5, "### 5.3 IPv6 ..." is 5.3.
std::set<std::string> reference_sections() {
  const std::string text = read(fs::path(BPFFW_SOURCE_DIR) / "docs/filter-language.md");
  REQUIRE_MESSAGE(!text.empty(), "cannot read docs/filter-language.md");
  std::set<std::string> sections;
  std::regex heading(R"(^#{2,3} (\d+(?:\.\d+)?)\.? )", std::regex::multiline);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), heading); it != std::sregex_iterator(); ++it)
    sections.insert((*it)[1]);
  return sections;
}

// The project's own text files: sources, build files, scripts and docs (not build outputs).
std::vector<fs::path> tree_files() {
  std::vector<fs::path> files;
  for (const char* top : {"lib", "include", "tools", "test", "bench", "examples", "scripts", "cmake", "docs",
                          "completions", "README.md", "CMakeLists.txt", ".ci"}) {
    fs::path root = fs::path(BPFFW_SOURCE_DIR) / top;
    if (fs::is_regular_file(root)) files.push_back(root);
    if (!fs::is_directory(root)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root))
      if (entry.is_regular_file()) files.push_back(entry.path());
  }
  return files;
}

}  // namespace

TEST_CASE("reference: every § the tree cites is a section of docs/filter-language.md") {
  const std::set<std::string> sections = reference_sections();
  REQUIRE(sections.count("5.3") == 1);
  REQUIRE(sections.size() >= 25);
  // "§N" or "§N.M", except an RFC's ("RFC 4291 §2.2").
  std::regex citation(R"((RFC \d+ )?§(\d+(?:\.\d+)?))");
  int cited = 0;
  for (const fs::path& file : tree_files()) {
    const std::string text = read(file);
    for (auto it = std::sregex_iterator(text.begin(), text.end(), citation); it != std::sregex_iterator(); ++it) {
      if ((*it)[1].matched) continue;
      ++cited;
      CHECK_MESSAGE(sections.count((*it)[2]) == 1, fs::relative(file, BPFFW_SOURCE_DIR).string()
                                                       << " cites §" << (*it)[2]
                                                       << ", which docs/filter-language.md does not have");
    }
  }
  CHECK(cited >= 50);
}

TEST_CASE("reference: nothing in the tree cites a document outside it, or the old spec") {
  for (const fs::path& file : tree_files()) {
    if (file.filename() == "reference_citations_test.cpp") continue;  // this test names the patterns
    const std::string text = read(file);
    const std::string name = fs::relative(file, BPFFW_SOURCE_DIR).string();
    CHECK_MESSAGE(text.find("../shared/") == std::string::npos, name << " cites a file outside the repository");
    CHECK_MESSAGE(text.find("spec §") == std::string::npos, name << " cites 'spec §': cite docs/filter-language.md §N");
    CHECK_MESSAGE(text.find("Spec §") == std::string::npos, name << " cites 'Spec §': cite docs/filter-language.md §N");
  }
}
