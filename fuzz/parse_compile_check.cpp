#include "parse_compile_check.hpp"

#include <algorithm>
#include <iterator>

#include <bpffw/compiler.hpp>
#include <bpffw/filter.hpp>

namespace bpffw::fuzz {

std::string check_parse_compile(std::string_view text, unsigned optimization_level) {
  Result<Filter> filter = Filter::parse(text);
  if (!filter) {
    if (filter.error().kind != ErrorKind::InvalidExpression)
      return "parse error of the wrong kind: " + filter.error().message;
    if (!filter.error().span) return "parse error without a position: " + filter.error().message;
    if (filter.error().message.empty() || filter.error().message.find('\n') != std::string::npos)
      return "parse error message not one line: '" + filter.error().message + "'";
    return {};
  }
  CompileOptions options;
  options.optimization_level = optimization_level;
  Result<ObjectFile> object = compile(*filter, options);
  // A filter that parses compiles, or is refused as too large for one BPF program (an expression
  // error); anything else is a bug in bpffw.
  if (!object) {
    if (object.error().kind != ErrorKind::InvalidExpression) return "compile failed: " + object.error().message;
    return {};
  }
  static constexpr unsigned char kElfMagic[] = {0x7f, 'E', 'L', 'F'};
  if (object->bytes.size() < 64 || !std::equal(std::begin(kElfMagic), std::end(kElfMagic), object->bytes.begin()))
    return "compile returned no ELF object";
  return {};
}

}  // namespace bpffw::fuzz
