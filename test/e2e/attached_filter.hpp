// A filter compiled for a direction and attached to a scratch cgroup through the library, for the
// tests that send real traffic through it; detached when it goes.
#pragma once

#include <optional>
#include <string>

#include <doctest/doctest.h>

#include <bpffw/bpffw.hpp>

namespace bpffw::e2e {

// A filter compiled for `direction`, attached to `cgroup` for the lifetime of this object.
class AttachedFilter {
 public:
  AttachedFilter(const std::string& cgroup, Direction direction, const std::string& text) : direction_(direction) {
    bpffw::ParseOptions options;
    options.direction = direction;
    auto filter = bpffw::Filter::parse(text, options);
    REQUIRE_MESSAGE(filter.has_value(), text << ": " << (filter ? "" : filter.error().message));
    auto object = bpffw::compile(*filter);
    REQUIRE(object.has_value());
    auto program = bpffw::Program::load(*object);
    REQUIRE_MESSAGE(program.has_value(), (program ? "" : program.error().message));
    auto opened = bpffw::Cgroup::open(cgroup);
    REQUIRE(opened.has_value());
    cgroup_.emplace(std::move(*opened));
    REQUIRE(bpffw::attach(*program, *cgroup_, direction).has_value());
    program_.emplace(std::move(*program));
  }
  ~AttachedFilter() {
    if (cgroup_ && program_) (void)bpffw::detach(*cgroup_, direction_, *program_);
  }

 private:
  Direction direction_;
  std::optional<bpffw::Cgroup> cgroup_;
  std::optional<bpffw::Program> program_;
};

}  // namespace bpffw::e2e
