#include "verdict_table.hpp"

#include <map>
#include <memory>
#include <optional>

#include <doctest/doctest.h>

#include "support/kernel_filter.hpp"

namespace bpffw::test {

void check_rows(const std::vector<VerdictRow>& rows) {
  std::map<std::string, std::unique_ptr<KernelFilter>> loaded;
  for (const VerdictRow& row : rows) {
    std::unique_ptr<KernelFilter>& filter = loaded[row.filter];
    if (!filter) filter = std::make_unique<KernelFilter>(row.filter);
    std::string expected = row.pass ? "pass" : "drop";
    INFO(row.what << " (expected " << expected << ")\n" << describe_case(row.filter, row.packet));
    if (std::optional<bool> kernel = filter->kernel_verdict_if_taken(row.packet))
      CHECK_MESSAGE(*kernel == row.pass, "kernel disagrees with the spec");
    CHECK_MESSAGE(filter->interpreter_verdict(row.packet) == row.pass, "interpreter disagrees with the spec");
  }
}

}  // namespace bpffw::test
