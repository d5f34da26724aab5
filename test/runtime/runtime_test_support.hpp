// Small helpers shared by the runtime tests: compile + load a filter, run packets through it.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <bpffw/bpffw.hpp>
#include <bpffw/drop_log.hpp>
#include <bpffw/runtime.hpp>

#include "packet/packet_builder.hpp"

namespace bpffw::test {

inline Filter parse_or_fail(const std::string& text, const ParseOptions& options = {}) {
  auto filter = Filter::parse(text, options);
  REQUIRE_MESSAGE(filter.has_value(), text << ": " << (filter ? "" : filter.error().message));
  return std::move(*filter);
}

inline Program load_or_fail(const Filter& filter, const CompileOptions& compile_options = {},
                            const LoadOptions& load_options = {}) {
  auto object = compile(filter, compile_options);
  REQUIRE_MESSAGE(object.has_value(), filter.source() << ": " << (object ? "" : object.error().message));
  auto program = Program::load(*object, load_options);
  REQUIRE_MESSAGE(program.has_value(), filter.source() << ": " << (program ? "" : program.error().message)
                                                       << (program ? "" : program.error().verifier_log));
  return std::move(*program);
}

// The kernel's verdict on one packet (true = pass).
inline bool passes(const Program& program, const packet::Packet& packet) {
  auto run = program.test_run(packet.ethernet_frame());
  REQUIRE_MESSAGE(run.has_value(), (run ? "" : run.error().message));
  return run->verdict == 1;
}

inline packet::Packet udp_packet(std::uint16_t dst_port, std::size_t payload) {
  return packet::PacketBuilder().ipv4().udp(40000, dst_port).payload(payload).build();
}

inline Counters counters_or_fail(const Program& program) {
  auto counters = read_counters(program);
  REQUIRE_MESSAGE(counters.has_value(), (counters ? "" : counters.error().message));
  return *counters;
}

// Every record the program's drop log holds now.
inline std::vector<DropRecord> drain(const Program& program) {
  std::vector<DropRecord> records;
  auto log = DropLog::open(program, [&](const DropRecord& record) { records.push_back(record); });
  REQUIRE_MESSAGE(log.has_value(), (log ? "" : log.error().message));
  for (;;) {
    auto read = log->poll(0);
    REQUIRE_MESSAGE(read.has_value(), (read ? "" : read.error().message));
    if (*read == 0) return records;
  }
}

}  // namespace bpffw::test
