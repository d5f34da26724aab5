// <bpffw/object_bundle.hpp>: a compiled filter as one file (bpffwc --emit bundle, bpffwc load).
#include <bpffw/object_bundle.hpp>

#include <cstring>
#include <memory>
#include <string_view>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <bpffw/version.hpp>

#include "layout/map_layout.hpp"
#include "layout/metadata.hpp"
#include "loader/libbpf_messages.hpp"

namespace bpffw {

namespace {

constexpr char kMagic[8] = {'B', 'P', 'F', 'F', 'W', 'O', 'B', 'J'};
constexpr const char* kCompileAgain = "compile it again with this bpffw: bpffwc --emit bundle -O FILE ...";

// A record's tag: what it holds, of the packet program; the same plus kSocketTags, of the socket
// programs' object.
enum Tag : std::uint32_t { Elf = 1, Set = 2, Rules = 3, PrefixRules = 4 };
constexpr std::uint32_t kSocketTags = 16;

std::uint64_t fnv1a(std::span<const unsigned char> bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char byte : bytes) hash = (hash ^ byte) * 0x100000001b3ull;
  return hash;
}

class Writer {
 public:
  void u8(std::uint8_t value) { out_.push_back(value); }
  void u32(std::uint32_t value) { little(value, 4); }
  void u64(std::uint64_t value) { little(value, 8); }
  void bytes(std::span<const unsigned char> data) {
    u64(data.size());
    out_.insert(out_.end(), data.begin(), data.end());
  }
  void text(std::string_view data) { bytes({reinterpret_cast<const unsigned char*>(data.data()), data.size()}); }
  std::vector<unsigned char>& out() { return out_; }

 private:
  void little(std::uint64_t value, int size) {
    for (int i = 0; i < size; ++i) out_.push_back(static_cast<unsigned char>(value >> (8 * i)));
  }
  std::vector<unsigned char> out_;
};

// Bounds-checked reading; `ok` turns false at the first read past the end, and stays so.
class Reader {
 public:
  explicit Reader(std::span<const unsigned char> data) : data_(data) {}
  bool ok() const { return ok_; }
  bool done() const { return at_ == data_.size(); }
  std::uint8_t u8() { return static_cast<std::uint8_t>(little(1)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(little(4)); }
  std::uint64_t u64() { return little(8); }
  std::span<const unsigned char> bytes() {
    std::uint64_t size = u64();
    if (!ok_ || size > data_.size() - at_) return fail();
    auto span = data_.subspan(at_, size);
    at_ += size;
    return span;
  }
  std::vector<unsigned char> vector() {
    auto span = bytes();
    return {span.begin(), span.end()};
  }
  std::string text() {
    auto span = bytes();
    return {reinterpret_cast<const char*>(span.data()), span.size()};
  }

 private:
  std::uint64_t little(std::size_t size) {
    if (!ok_ || size > data_.size() - at_) return fail(), 0;
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < size; ++i) value |= std::uint64_t{data_[at_ + i]} << (8 * i);
    at_ += size;
    return value;
  }
  std::span<const unsigned char> fail() {
    ok_ = false;
    return {};
  }
  std::span<const unsigned char> data_;
  std::size_t at_ = 0;
  bool ok_ = true;
};

void write_record(Writer& out, std::uint32_t tag, const std::vector<unsigned char>& body) {
  out.u32(tag);
  out.bytes(body);
}

void write_object(Writer& out, const ObjectFile& object, std::uint32_t base) {
  write_record(out, base + Elf, object.bytes);
  for (const NamedSet& set : object.sets) {
    Writer body;
    body.text(set.name);
    body.u8(static_cast<std::uint8_t>(set.items.element));
    body.text(set.file);
    body.u64(set.items.ranges.size());
    for (const SetIntegerRange& range : set.items.ranges) {
      body.u64(static_cast<std::uint64_t>(range.lo));
      body.u64(static_cast<std::uint64_t>(range.hi));
    }
    body.u64(set.items.prefixes.size());
    for (const SetPrefix& prefix : set.items.prefixes) {
      body.u8(prefix.ipv6 ? 1 : 0);
      body.bytes(prefix.bytes);
      body.u32(prefix.length);
    }
    write_record(out, base + Set, body.out());
  }
  auto rules = [&](std::uint32_t tag, std::uint32_t key_size, const std::vector<unsigned char>& keys,
                   const std::vector<unsigned char>& values) {
    if (key_size == 0 && keys.empty() && values.empty()) return;
    Writer body;
    body.u32(key_size);
    body.bytes(keys);
    body.bytes(values);
    write_record(out, base + tag, body.out());
  };
  rules(Rules, object.rule_key_size, object.rule_keys, object.rule_values);
  rules(PrefixRules, object.rule_prefix_key_size, object.rule_prefix_keys, object.rule_prefix_values);
}

Error damaged(const std::string& what) {
  return Error{ErrorKind::Usage,
               "the bundle is damaged: " + what,
               std::nullopt,
               0,
               "copy it again, or " + std::string(kCompileAgain),
               {}};
}

// One record's body into `object`; false when it does not read whole.
bool read_record(std::uint32_t tag, std::span<const unsigned char> body, ObjectFile& object) {
  Reader in(body);
  switch (tag) {
    case Elf: object.bytes.assign(body.begin(), body.end()); return true;
    case Set: {
      NamedSet set;
      set.name = in.text();
      std::uint8_t element = in.u8();
      if (element > static_cast<std::uint8_t>(SetElement::Address)) return false;
      set.items.element = static_cast<SetElement>(element);
      set.file = in.text();
      for (std::uint64_t n = in.u64(); in.ok() && n > 0; --n) {
        SetIntegerRange range;
        range.lo = static_cast<std::int64_t>(in.u64());
        range.hi = static_cast<std::int64_t>(in.u64());
        set.items.ranges.push_back(range);
      }
      for (std::uint64_t n = in.u64(); in.ok() && n > 0; --n) {
        SetPrefix prefix;
        prefix.ipv6 = in.u8() != 0;
        auto bytes = in.bytes();
        if (bytes.size() != prefix.bytes.size()) return false;
        std::memcpy(prefix.bytes.data(), bytes.data(), bytes.size());
        prefix.length = in.u32();
        set.items.prefixes.push_back(prefix);
      }
      object.sets.push_back(std::move(set));
      break;
    }
    case Rules:
      object.rule_key_size = in.u32();
      object.rule_keys = in.vector();
      object.rule_values = in.vector();
      break;
    case PrefixRules:
      object.rule_prefix_key_size = in.u32();
      object.rule_prefix_keys = in.vector();
      object.rule_prefix_values = in.vector();
      break;
    default: return false;
  }
  return in.ok() && in.done();
}

struct ObjectCloser {
  void operator()(bpf_object* object) const { bpf_object__close(object); }
};

}  // namespace

std::vector<unsigned char> save_object_bundle(const ObjectFile& packet, const ObjectFile* sockets) {
  Writer out;
  out.out().assign(std::begin(kMagic), std::end(kMagic));
  out.u32(kObjectBundleFormat);
  out.text(kVersion);
  write_object(out, packet, 0);
  if (sockets != nullptr) write_object(out, *sockets, kSocketTags);
  out.u64(fnv1a(out.out()));
  return std::move(out.out());
}

Result<ObjectBundle> read_object_bundle(std::span<const unsigned char> bytes) {
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    static constexpr unsigned char kElf[4] = {0x7f, 'E', 'L', 'F'};
    bool elf = bytes.size() >= 4 && std::memcmp(bytes.data(), kElf, 4) == 0;
    return make_error(ErrorKind::Usage,
                      elf ? "it is a plain BPF object (--emit obj), not a bpffw bundle: it lacks what bpffw writes "
                            "into the program's maps when it loads it, and the socket programs"
                          : "it is not a bpffw bundle",
                      0, "write one with: bpffwc --emit bundle -O FILE ...");
  }
  if (bytes.size() < sizeof kMagic + 4 + 8 + 8) return tl::unexpected(damaged("it is cut short"));
  auto content = bytes.first(bytes.size() - 8);
  Reader sum(bytes.last(8));
  if (sum.u64() != fnv1a(content))
    return tl::unexpected(damaged("its checksum does not match its contents (cut short, or changed)"));

  Reader in(content.subspan(sizeof kMagic));
  std::uint32_t format = in.u32();
  std::string version = in.text();
  if (!in.ok()) return tl::unexpected(damaged("its header does not read"));
  if (format != kObjectBundleFormat)
    return make_error(ErrorKind::Usage,
                      "the bundle is of format " + std::to_string(format) + ", written by bpffw " + version +
                          "; this bpffw (" + kVersion + ") reads format " + std::to_string(kObjectBundleFormat),
                      0, kCompileAgain);
  if (version != kVersion)
    return make_error(ErrorKind::Usage,
                      "the bundle was compiled by bpffw " + version + "; this bpffw (" + kVersion +
                          ") loads only what its own version compiled",
                      0, kCompileAgain);

  ObjectBundle bundle;
  bundle.bpffw_version = std::move(version);
  while (in.ok() && !in.done()) {
    std::uint32_t tag = in.u32();
    auto body = in.bytes();
    if (!in.ok()) break;
    bool sockets = tag > kSocketTags;
    if (sockets && !bundle.sockets) bundle.sockets.emplace();
    ObjectFile& object = sockets ? *bundle.sockets : bundle.packet;
    if (!read_record(sockets ? tag - kSocketTags : tag, body, object))
      return tl::unexpected(damaged("record " + std::to_string(tag) + " does not read"));
  }
  if (!in.ok()) return tl::unexpected(damaged("a record runs past its end"));
  if (bundle.packet.bytes.empty() || (bundle.sockets && bundle.sockets->bytes.empty()))
    return tl::unexpected(damaged("an object is missing"));

  auto metadata = read_object_metadata(bundle.packet);
  if (!metadata) return tl::unexpected(metadata.error());
  if (metadata->bpffw_version != bundle.bpffw_version)
    return tl::unexpected(damaged("its program was compiled by bpffw " + metadata->bpffw_version +
                                  ", its header says " + bundle.bpffw_version));
  bundle.metadata = std::move(*metadata);
  return bundle;
}

Result<ProgramMetadata> read_object_metadata(const ObjectFile& object) {
  const std::string missing = "the object carries no bpffw metadata; was it compiled by bpffw?";
  loader::LibbpfMessages messages;  // libbpf's complaints about a foreign object stay quiet
  LIBBPF_OPTS(bpf_object_open_opts, options, .object_name = "bpffw");
  std::unique_ptr<bpf_object, ObjectCloser> handle(
      bpf_object__open_mem(object.bytes.data(), object.bytes.size(), &options));
  if (!handle) return make_error(ErrorKind::Usage, "the object is not a BPF ELF object libbpf can read");
  bpf_map* rodata = bpf_object__find_map_by_name(handle.get(), layout::kMetadataMap);
  std::size_t size = 0;
  const void* value = rodata != nullptr ? bpf_map__initial_value(rodata, &size) : nullptr;
  if (value == nullptr) return make_error(ErrorKind::Usage, missing);
  // Where the metadata lies in .rodata: from the object's BTF, as for a loaded program.
  std::size_t offset = 0;
  if (const btf* types = bpf_object__btf(handle.get())) {
    int section = btf__find_by_name_kind(types, ".rodata", BTF_KIND_DATASEC);
    const btf_type* datasec = section > 0 ? btf__type_by_id(types, section) : nullptr;
    for (unsigned i = 0; datasec != nullptr && i < btf_vlen(datasec); ++i) {
      const btf_var_secinfo& var = btf_var_secinfos(datasec)[i];
      const btf_type* type = btf__type_by_id(types, var.type);
      if (type != nullptr && std::string_view(btf__name_by_offset(types, type->name_off)) == layout::kMetadataGlobal)
        offset = var.offset;
    }
  }
  if (offset > size) return make_error(ErrorKind::Usage, missing);
  const char* text = static_cast<const char*>(value) + offset;
  // The global is a NUL-terminated string, as the loaded program's reader takes it too.
  return layout::decode_metadata(std::string_view(text, strnlen(text, size - offset)));
}

}  // namespace bpffw
