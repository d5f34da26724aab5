// The drop log of a program compiled with CompileOptions::log: reading its ring buffer, one
// DropRecord per recorded drop, alone (DropLog) or shared by any number of readers, each of which
// sees every record (SharedDropLog). The log's counters are read_log_counters (<bpffw/runtime.hpp>).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <bpffw/direction.hpp>
#include <bpffw/error.hpp>
#include <bpffw/program.hpp>

namespace bpffw {

enum class DropReason {
  Filter,     // the expression said 0
  Malformed,  // the packet claims IPv4 or IPv6 but cannot be read (docs/filter-language.md §5.6)
  Refused,    // a socket program refused the connect() or send (docs/filter-language.md §10)
};
const char* to_string(DropReason reason);  // "filter", "malformed", "refused"

// Which rule of docs/filter-language.md §5.6 a malformed packet broke.
enum class MalformedRule {
  Ipv4Version,      // the IPv4 header's version is not 4
  Ipv4Ihl,          // its IHL is below 5
  Ipv4Length,       // the packet ends before the IPv4 header does (20 bytes, or what IHL announces)
  Ipv6Version,      // the IPv6 header's version is not 6
  Ipv6Length,       // the packet is shorter than the IPv6 header's 40 bytes
  ExtensionLength,  // an IPv6 extension header runs past the end of the packet
  ExtensionCount,   // more than 8 extension headers
  TransportLength,  // the TCP, UDP or ICMP header is cut short
};
// "ipv4-version", "ipv4-ihl", "ipv4-length", "ipv6-version", "ipv6-length", "extension-length",
// "extension-count", "transport-length".
const char* to_string(MalformedRule rule);

struct DropRecord {
  std::uint64_t time_ns = 0;     // CLOCK_MONOTONIC (bpf_ktime_get_ns)
  std::int64_t realtime_ns = 0;  // time_ns on CLOCK_REALTIME, with the clocks' offset when it was read
  Direction direction = Direction::Ingress;
  DropReason reason = DropReason::Filter;
  std::optional<MalformedRule> rule;  // for DropReason::Malformed
  int family = 0;                     // 4, 6, or 0 for a packet that is not IP
  std::uint8_t protocol = 0;          // the transport protocol (IPv6: the last next header); 0 when not IP
  std::string source;                 // the addresses as text; empty when the packet is not IP
  std::string destination;
  std::optional<std::uint16_t> source_port;  // TCP and UDP, first fragments only
  std::optional<std::uint16_t> destination_port;
  std::optional<std::uint8_t> icmp_type;  // ICMP and ICMPv6
  std::optional<std::uint8_t> icmp_code;
  std::uint32_t length = 0;     // skb->len: from the IP header on; 0 for a refusal
  std::uint64_t cgroup_id = 0;  // the socket's cgroup v2, its directory's inode number
  std::uint32_t uid = 0;        // the socket's owner; the overflow uid (65534) when the kernel gives none;
                                // a refusal's: the caller's
  // DropReason::Refused: the hook that refused, and the process that called connect() or sendmsg():
  // its pid in the initial pid namespace (the host's, also for a caller in a container) and its
  // command name (the calling thread's, as /proc/PID/comm). The packet is the one the flow
  // would have sent: its source is the socket's bound address and port, empty and 0 when unbound.
  std::optional<SocketHook> hook;
  std::uint32_t pid = 0;
  std::string command;
  // The part of the filter that decided the drop (DropReason::Filter), as InterpretResult::decided_by
  // names it: `offset` and `length` in the expression of the program that wrote the record, whose
  // expression_hash() is `expression_hash` (a ring that --force replacements share holds records of
  // several programs); `line` and `column` are left 1: locate_decider() fills them in. Empty for a
  // malformed packet and in records of bpffw before it recorded the decider.
  std::optional<SourceSpan> decided_by;
  std::uint32_t expression_hash = 0;
  // Written by an audit program (CompileOptions::audit): the packet passed (the call went ahead);
  // the filter would have dropped (refused) it.
  bool audit = false;
};

// The hash of an expression that drop records carry (DropRecord::expression_hash).
std::uint32_t expression_hash(std::string_view expression);

// The record's decider with its line and column in `expression`, when `expression` is the one the
// record's span is in (its hash matches and the span lies within it); else std::nullopt.
std::optional<SourceSpan> locate_decider(const DropRecord& record, std::string_view expression);

// The protocol's name as the language spells it ("tcp", "udp", "icmp", "icmpv6"), else its number.
std::string protocol_name(std::uint8_t protocol);

// Follows one program's ring buffer. Records are kept for a reader only from the moment the
// program recorded them until one reads them: open it before the traffic to see all of it.
// A ring has one read position: two DropLogs of one ring split its records between them. Readers
// that must not miss any share the ring through SharedDropLog.
class DropLog {
 public:
  using Handler = std::function<void(const DropRecord&)>;

  // ErrorKind::Usage when the program was compiled without the log. The program may go away
  // while the log is open: the ring then stays readable and simply stops filling.
  static Result<DropLog> open(const Program& program, Handler handler);

  DropLog(DropLog&&) noexcept;
  DropLog& operator=(DropLog&&) noexcept;
  ~DropLog();

  // Waits up to timeout_ms for records and hands each to the handler; returns how many. A signal
  // interrupting the wait returns 0 records, not an error.
  Result<int> poll(int timeout_ms);
  // An fd that is readable when records wait (epoll), for following several logs at once.
  int wait_fd() const;
  // The ring's map id. Programs that replaced one another with LoadOptions::keep_counters_of
  // share a ring, and readers of one ring share its read position: follow each ring once.
  std::uint32_t ring_id() const;

 private:
  struct State;
  explicit DropLog(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

struct SharedLogOptions {
  // Where the readers of each ring meet: DIR/ring-ID/ holds the leader's lock and one unix
  // datagram socket per reader. Created (0700) when missing.
  std::string directory = "/run/bpffw/log";
  // How long the leader waits for a reader whose socket is full before it skips that reader; it
  // then sends to it only what fits until it reads again, so one stopped reader stalls nobody.
  int send_timeout_ms = 2000;
};

// One reader of a ring that any number of processes read at once, each handed every record. The
// first reader of a ring (the leader, holding DIR/ring-ID/lock with flock) consumes the ring and
// sends each raw record to the sockets of the others (followers) as well as to its own handler;
// when it goes away, the next poll of a follower takes the lock and the ring over, at the read
// position the old leader left (docs/bpffwc.md, "Several readers").
class SharedDropLog {
 public:
  static Result<SharedDropLog> open(const Program& program, DropLog::Handler handler,
                                    const SharedLogOptions& options = {});

  SharedDropLog(SharedDropLog&&) noexcept;
  SharedDropLog& operator=(SharedDropLog&&) noexcept;
  ~SharedDropLog();  // leaves: removes its socket, lets another reader lead

  // Leads if the leader has gone, waits up to timeout_ms for records, hands each to the handler
  // (a follower's first, those its old leader sent) and, leading, to every other reader; returns
  // how many. A signal interrupting the wait returns 0 records, not an error.
  Result<int> poll(int timeout_ms);
  int wait_fd() const;  // readable when records wait (epoll), either from the ring or the leader
  std::uint32_t ring_id() const;
  bool leading() const;
  // Records this leader could not hand to a reader that did not read for send_timeout_ms.
  std::uint64_t undelivered() const;

 private:
  struct State;
  explicit SharedDropLog(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace bpffw
