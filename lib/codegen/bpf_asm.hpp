// Typed BPF instructions for the packet parser (packet_parser.cpp), written out as the text LLVM's
// BPF assembler reads (bpffw-encode-parser assembles it at build time): registers are values, named
// by their role where they are used, jumps go to named labels, widths and comparisons are enums.
// Only what the packet parser needs; the expression's code is LLVM IR.
#pragma once

#include <linux/bpf.h>

#include <concepts>
#include <cstdint>
#include <string>
#include <variant>

namespace bpffw::codegen::bpf_asm {

enum class Reg : unsigned { R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 };
// An instruction's source: a register or a 32-bit immediate (sign-extended).
class Operand {
 public:
  Operand(Reg reg) : value_(reg) {}  // NOLINT: implicit, as an operand is written
  template <std::integral T>
  Operand(T value) : value_(static_cast<long long>(value)) {}  // NOLINT
  const std::variant<Reg, long long>& value() const { return value_; }

 private:
  std::variant<Reg, long long> value_;
};
enum class Size { U8, U16, U32, U64 };
// Unsigned comparisons, as the parser makes them.
enum class Cmp { Eq, Ne, Gt, Lt };

// A place to jump to: assembler-local (".L"), so the object has no symbols for it.
struct Label {
  std::string name;
};

// A sequence of instructions and labels.
class Code {
 public:
  Code& mov(Reg dst, Operand src) { return op(dst, "=", src); }
  // A 64-bit immediate: two instruction slots.
  Code& mov_wide(Reg dst, std::uint64_t value) { return line(reg(dst) + " = " + std::to_string(value) + " ll"); }
  Code& add(Reg dst, Operand src) { return op(dst, "+=", src); }
  Code& sub(Reg dst, Operand src) { return op(dst, "-=", src); }
  Code& and_(Reg dst, Operand src) { return op(dst, "&=", src); }
  Code& or_(Reg dst, Operand src) { return op(dst, "|=", src); }
  Code& xor_(Reg dst, Operand src) { return op(dst, "^=", src); }
  Code& lsh(Reg dst, Operand src) { return op(dst, "<<=", src); }
  Code& rsh(Reg dst, Operand src) { return op(dst, ">>=", src); }
  Code& arsh(Reg dst, Operand src) { return op(dst, "s>>=", src); }
  Code& load(Reg dst, Size size, Reg base, long long offset) {
    return line(reg(dst) + " = " + memory(size, base, offset));
  }
  Code& store(Size size, Reg base, long long offset, Reg src) {
    return line(memory(size, base, offset) + " = " + reg(src));
  }
  Code& jump(const Label& to) { return line("goto " + local(to)); }
  Code& jump_if(Reg a, Cmp cmp, Operand b, const Label& to) {
    static constexpr const char* kCmp[] = {"==", "!=", ">", "<"};
    return line("if " + reg(a) + " " + kCmp[static_cast<unsigned>(cmp)] + " " + operand(b) + " goto " + local(to));
  }
  Code& call(bpf_func_id helper) { return line("call " + std::to_string(static_cast<int>(helper))); }
  Code& label(const Label& at) { return line(local(at) + ":"); }
  Code& append(const Code& code) {
    text_ += code.text_;
    return *this;
  }

  const std::string& text() const { return text_; }

 private:
  static std::string reg(Reg r) { return "r" + std::to_string(static_cast<unsigned>(r)); }
  static std::string operand(const Operand& o) {
    const auto& v = o.value();
    return std::holds_alternative<Reg>(v) ? reg(std::get<Reg>(v)) : std::to_string(std::get<long long>(v));
  }
  static std::string memory(Size size, Reg base, long long offset) {
    static constexpr const char* kSizes[] = {"u8", "u16", "u32", "u64"};
    return std::string("*(") + kSizes[static_cast<unsigned>(size)] + " *)(" + reg(base) + " + " +
           std::to_string(offset) + ")";
  }
  static std::string local(const Label& label) { return ".Lbpffw_" + label.name; }
  Code& op(Reg dst, const char* symbol, const Operand& src) {
    return line(reg(dst) + " " + symbol + " " + operand(src));
  }
  Code& line(const std::string& text) {
    text_ += text + "\n";
    return *this;
  }

  std::string text_;
};

}  // namespace bpffw::codegen::bpf_asm
