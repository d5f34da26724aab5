// The field table (lib/fields/packet_fields.hpp) and the reference's §4 (docs/filter-language.md)
// list the same variables with the same types and the same meaning, word for word, and §4.4 every
// named constant.
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <doctest/doctest.h>

#include "fields/packet_fields.hpp"

namespace {

std::string reference() {
  std::ifstream in(BPFFW_SOURCE_DIR "/docs/filter-language.md");
  REQUIRE_MESSAGE(in.good(), "cannot read docs/filter-language.md");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("fields: every row of the table is a row of §4 with its type and meaning, and every §4 row is in the table") {
  std::string doc = reference();
  std::size_t start = doc.find("## 4. Variables");
  std::size_t end = doc.find("### 4.1", start);
  REQUIRE(start != std::string::npos);
  std::string section = doc.substr(start, end - start);
  std::set<std::string> documented;
  std::regex row("\\| `([a-z_0-9]+)` \\| (integer|address) \\| (.*) \\|");
  for (auto it = std::sregex_iterator(section.begin(), section.end(), row); it != std::sregex_iterator(); ++it) {
    std::string name = (*it)[1];
    documented.insert(name);
    const bpffw::fields::PacketField* field = bpffw::fields::field_named(name);
    CHECK_MESSAGE(field != nullptr, "§4 lists '" << name << "', the table does not");
    if (field == nullptr) continue;
    CHECK_MESSAGE((field->type == bpffw::fields::Type::Address) == ((*it)[2] == "address"), name);
    CHECK_MESSAGE(field->meaning == (*it)[3].str(),
                  "§4's meaning of '" << name << "' is '" << (*it)[3] << "', the table's '" << field->meaning << "'");
  }
  for (const bpffw::fields::PacketField& field : bpffw::fields::kPacketFields)
    CHECK_MESSAGE(documented.count(std::string(field.name)) == 1, "the table has '" << field.name << "', §4 does not");
}

TEST_CASE("fields: every named constant is in §4.4") {
  std::string doc = reference();
  std::size_t start = doc.find("### 4.4 Named constants");
  std::string section = doc.substr(start, doc.find("### 4.5", start) - start);
  for (const bpffw::fields::NamedConstant& constant : bpffw::fields::named_constants())
    CHECK_MESSAGE(section.find("`" + std::string(constant.name) + "`") != std::string::npos, constant.name);
}
