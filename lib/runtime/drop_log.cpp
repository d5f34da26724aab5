// <bpffw/drop_log.hpp>: the program's ring buffer (layout::kLogRingMap) through libbpf's
// ring_buffer, each record decoded from layout::DropRecordLayout.
#include <bpffw/drop_log.hpp>

#include <arpa/inet.h>
#include <bpf/libbpf.h>

#include <time.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

#include "layout/map_layout.hpp"
#include "loader/bpf_fd.hpp"
#include "loader/program_maps.hpp"
#include "runtime/drop_record.hpp"

namespace bpffw {
namespace {

using layout::kHoldsIcmp, layout::kHoldsPorts, layout::kStatusIpv4, layout::kStatusIpv6;
constexpr std::uint16_t kEthertypeIpv4 = 0x0800, kEthertypeIpv6 = 0x86DD;

std::string address_text(int family, const std::uint8_t* bytes) {
  char text[INET6_ADDRSTRLEN] = "";
  ::inet_ntop(family == 4 ? AF_INET : AF_INET6, bytes, text, sizeof text);
  return text;
}

bool all_zero(const std::uint8_t* bytes, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i)
    if (bytes[i] != 0) return false;
  return true;
}

std::optional<MalformedRule> malformed_rule(std::uint8_t code) {
  switch (code) {
    case layout::kMalformedIpv4Version: return MalformedRule::Ipv4Version;
    case layout::kMalformedIpv4Ihl: return MalformedRule::Ipv4Ihl;
    case layout::kMalformedIpv4Length: return MalformedRule::Ipv4Length;
    case layout::kMalformedIpv6Version: return MalformedRule::Ipv6Version;
    case layout::kMalformedIpv6Length: return MalformedRule::Ipv6Length;
    case layout::kMalformedExtensionLength: return MalformedRule::ExtensionLength;
    case layout::kMalformedExtensionCount: return MalformedRule::ExtensionCount;
    case layout::kMalformedTransportLength: return MalformedRule::TransportLength;
    default: return std::nullopt;
  }
}

std::int64_t nanoseconds(const timespec& time) {
  return static_cast<std::int64_t>(time.tv_sec) * 1'000'000'000 + time.tv_nsec;
}

// bpf_ktime_get_ns is CLOCK_MONOTONIC, which stops during suspend: the offset to CLOCK_REALTIME is
// taken when the record is read, right for every record written since the last resume.
std::int64_t realtime_of(std::uint64_t monotonic_ns) {
  timespec realtime{}, monotonic{};
  ::clock_gettime(CLOCK_REALTIME, &realtime);
  ::clock_gettime(CLOCK_MONOTONIC, &monotonic);
  return static_cast<std::int64_t>(monotonic_ns) + (nanoseconds(realtime) - nanoseconds(monotonic));
}

DropRecord decode(const layout::DropRecordLayout& raw) {
  DropRecord record;
  record.time_ns = raw.time_ns;
  record.realtime_ns = realtime_of(raw.time_ns);
  record.direction = raw.ingress != 0 ? Direction::Ingress : Direction::Egress;
  record.reason = raw.reason == layout::kReasonMalformed ? DropReason::Malformed
                  : raw.reason == layout::kReasonRefused ? DropReason::Refused
                                                         : DropReason::Filter;
  // A malformed packet has no status of its family: the ethertype says which it claims to be.
  std::uint16_t ethertype = ntohs(raw.ethertype);
  if (raw.status == kStatusIpv4 || (raw.status != kStatusIpv6 && ethertype == kEthertypeIpv4)) record.family = 4;
  if (raw.status == kStatusIpv6 || (raw.status != kStatusIpv4 && ethertype == kEthertypeIpv6)) record.family = 6;
  record.protocol = raw.protocol;
  record.length = raw.length;
  record.cgroup_id = raw.cgroup_id;
  record.uid = raw.uid;
  std::size_t address_bytes = record.family == 4 ? 4 : 16;
  // A malformed packet's addresses are there only when the parser got as far as copying them.
  if (record.family != 0 && !(raw.status != kStatusIpv4 && raw.status != kStatusIpv6 &&
                              all_zero(raw.src_addr, address_bytes) && all_zero(raw.dst_addr, address_bytes))) {
    record.source = address_text(record.family, raw.src_addr);
    record.destination = address_text(record.family, raw.dst_addr);
  }
  record.expression_hash = raw.expression_hash;
  record.audit = (raw.flags & layout::kRecordFlagAudit) != 0;
  if (raw.reason != layout::kReasonMalformed && raw.decided_length != 0)
    record.decided_by = SourceSpan{raw.decided_offset, raw.decided_length, 1, 1};
  const bool parsed = raw.status == kStatusIpv4 || raw.status == kStatusIpv6;
  if (!parsed && record.reason == DropReason::Malformed) record.rule = malformed_rule(raw.holds);
  if (!parsed) return record;  // `holds` is the rule then, not transport bits
  if ((raw.holds & kHoldsPorts) != 0) {
    record.source_port = static_cast<std::uint16_t>(raw.transport[0] << 8 | raw.transport[1]);
    record.destination_port = static_cast<std::uint16_t>(raw.transport[2] << 8 | raw.transport[3]);
  }
  // A refusal's source is the socket's bound address: none yet when unbound.
  if (record.reason == DropReason::Refused && all_zero(raw.src_addr, address_bytes)) record.source.clear();
  if ((raw.holds & kHoldsIcmp) != 0) {
    record.icmp_type = raw.transport[0];
    record.icmp_code = raw.transport[1];
  }
  return record;
}

}  // namespace

namespace runtime {

std::optional<DropRecord> decode_drop_record(const void* data, std::size_t size) {
  layout::DropRecordLayout raw{};
  const auto* bytes = static_cast<const unsigned char*>(data);
  constexpr std::size_t kVersionAt = offsetof(layout::DropRecordLayout, version);
  if (size < layout::kDropRecordVersion1Bytes) return std::nullopt;
  if (bytes[kVersionAt] == layout::kDropRecordVersion1) {
    // A program of bpffw before the decider: the same header without it, then the packet.
    std::memcpy(&raw, bytes, layout::kDropRecordVersion1HeaderBytes);
    std::memcpy(&raw.transport, bytes + layout::kDropRecordVersion1HeaderBytes,
                layout::kDropRecordVersion1Bytes - layout::kDropRecordVersion1HeaderBytes);
    return decode(raw);
  }
  if (size < sizeof raw || bytes[kVersionAt] != layout::kDropRecordVersion) return std::nullopt;
  std::memcpy(&raw, data, sizeof raw);
  if (raw.reason != layout::kReasonRefused) return decode(raw);
  layout::RefusalRecordLayout refusal{};
  if (size < sizeof refusal || (raw.status != kStatusIpv4 && raw.status != kStatusIpv6)) return std::nullopt;
  std::memcpy(&refusal, data, sizeof refusal);
  if (refusal.hook >= std::size(kSocketHooks)) return std::nullopt;
  DropRecord record = decode(raw);
  record.hook = kSocketHooks[refusal.hook];
  record.pid = refusal.pid;
  record.command.assign(refusal.command, strnlen(refusal.command, sizeof refusal.command));
  return record;
}

}  // namespace runtime

std::uint32_t expression_hash(std::string_view expression) { return layout::expression_hash(expression); }

std::optional<SourceSpan> locate_decider(const DropRecord& record, std::string_view expression) {
  if (!record.decided_by || record.expression_hash != expression_hash(expression)) return std::nullopt;
  SourceSpan span = *record.decided_by;
  if (span.offset > expression.size() || span.length > expression.size() - span.offset) return std::nullopt;
  for (std::size_t i = 0; i < span.offset; ++i) {
    if (expression[i] == '\n') {
      ++span.line;
      span.column = 1;
    } else {
      ++span.column;
    }
  }
  return span;
}

const char* to_string(DropReason reason) {
  switch (reason) {
    case DropReason::Malformed: return "malformed";
    case DropReason::Refused: return "refused";
    case DropReason::Filter: break;
  }
  return "filter";
}

const char* to_string(MalformedRule rule) {
  switch (rule) {
    case MalformedRule::Ipv4Version: return "ipv4-version";
    case MalformedRule::Ipv4Ihl: return "ipv4-ihl";
    case MalformedRule::Ipv4Length: return "ipv4-length";
    case MalformedRule::Ipv6Version: return "ipv6-version";
    case MalformedRule::Ipv6Length: return "ipv6-length";
    case MalformedRule::ExtensionLength: return "extension-length";
    case MalformedRule::ExtensionCount: return "extension-count";
    case MalformedRule::TransportLength: return "transport-length";
  }
  return "unknown";
}

std::string protocol_name(std::uint8_t protocol) {
  switch (protocol) {
    case 1: return "icmp";
    case 6: return "tcp";
    case 17: return "udp";
    case 58: return "icmpv6";
    default: return std::to_string(protocol);
  }
}

struct DropLog::State {
  Handler handler;
  detail::UniqueFd map;  // the ring's; kept for the ring's epoll registration
  std::uint32_t ring_id = 0;
  ring_buffer* ring = nullptr;
  ~State() { ring_buffer__free(ring); }

  static int on_sample(void* context, void* data, std::size_t size) {
    auto* state = static_cast<State*>(context);
    // Not ours: skipped rather than stop the poll.
    if (auto record = runtime::decode_drop_record(data, size)) state->handler(*record);
    return 0;
  }
};

DropLog::DropLog(std::unique_ptr<State> state) : state_(std::move(state)) {}
DropLog::DropLog(DropLog&&) noexcept = default;
DropLog& DropLog::operator=(DropLog&&) noexcept = default;
DropLog::~DropLog() = default;

Result<loader::ProgramMap> runtime::open_log_ring(const Program& program) {
  auto map = loader::find_program_map(program.fd(), layout::kLogRingMap);
  if (!map) return tl::unexpected(map.error());
  if (!*map || (*map)->info.type != BPF_MAP_TYPE_RINGBUF)
    return make_error(ErrorKind::Usage, "the program has no drop log: it was compiled without --log", 0,
                      "recompile it with --log (bpffwc --log -o PIN --force ...)");
  return std::move(**map);
}

Result<DropLog> DropLog::open(const Program& program, Handler handler) {
  auto ring = runtime::open_log_ring(program);
  if (!ring) return tl::unexpected(ring.error());
  auto state = std::make_unique<State>();
  state->handler = std::move(handler);
  state->map = std::move(ring->fd);
  state->ring_id = ring->info.id;
  state->ring = ring_buffer__new(state->map.get(), &State::on_sample, state.get(), nullptr);
  if (state->ring == nullptr) return tl::unexpected(loader::system_error("cannot map the drop log's ring", errno));
  return DropLog(std::move(state));
}

Result<int> DropLog::poll(int timeout_ms) {
  int count = ring_buffer__poll(state_->ring, timeout_ms);
  if (count == -EINTR) return 0;
  if (count < 0) return tl::unexpected(loader::system_error("cannot read the drop log", -count));
  return count;
}

int DropLog::wait_fd() const { return ring_buffer__epoll_fd(state_->ring); }

std::uint32_t DropLog::ring_id() const { return state_->ring_id; }

}  // namespace bpffw
