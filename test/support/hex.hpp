// Hex dumps for test failure messages.
#pragma once

#include <span>
#include <string>

namespace bpffw::test {

// "45 00 00 1c ..." — bytes as two-digit hex separated by spaces, on one line.
std::string hex(std::span<const unsigned char> bytes);

}  // namespace bpffw::test
