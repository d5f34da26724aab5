#include "codegen/runtime_maps.hpp"

#include <llvm/BinaryFormat/Dwarf.h>
#include <llvm/IR/DIBuilder.h>
#include <llvm/Transforms/Utils/ModuleUtils.h>

#include <bpffw/version.hpp>

#include "codegen/helper_call.hpp"
#include "layout/map_layout.hpp"
#include "layout/metadata.hpp"
#include "parser/filter_access.hpp"

namespace bpffw::codegen {
namespace {

constexpr unsigned kMapTypeHash = BPF_MAP_TYPE_HASH;
constexpr unsigned kMapTypeArray = BPF_MAP_TYPE_ARRAY;
constexpr unsigned kMapTypePercpuArray = BPF_MAP_TYPE_PERCPU_ARRAY;
constexpr unsigned kMapTypeLpmTrie = BPF_MAP_TYPE_LPM_TRIE;
constexpr unsigned kMapTypeRingbuf = BPF_MAP_TYPE_RINGBUF;

// Debug info just rich enough for BTF: the BPF backend turns DIGlobalVariables into BTF VARs and
// DATASECs, and a ".maps" struct of `int (*name)[N]` members into a map definition libbpf reads.
class DebugTypes {
 public:
  explicit DebugTypes(llvm::Module& module) : di_(module) {
    file_ = di_.createFile("filter", "");
    unit_ = di_.createCompileUnit(llvm::dwarf::DW_LANG_C11, file_, "bpffw", true, "", 0);
    int_ = di_.createBasicType("int", 32, llvm::dwarf::DW_ATE_signed);
    u32_ = di_.createBasicType("unsigned int", 32, llvm::dwarf::DW_ATE_unsigned);
    u64_ = di_.createBasicType("unsigned long long", 64, llvm::dwarf::DW_ATE_unsigned);
    i64_ = di_.createBasicType("long long", 64, llvm::dwarf::DW_ATE_signed);
    char_ = di_.createBasicType("char", 8, llvm::dwarf::DW_ATE_signed_char);
  }
  ~DebugTypes() { di_.finalize(); }

  // element_bits: a qualified type (const char) has no size of its own.
  llvm::DIType* array_of(llvm::DIType* element, std::uint64_t count, std::uint64_t element_bits = 0) {
    if (element_bits == 0) element_bits = element->getSizeInBits();
    llvm::Metadata* range = di_.getOrCreateSubrange(0, static_cast<std::int64_t>(count));
    return di_.createArrayType(count * element_bits, element_bits, element, di_.getOrCreateArray({range}));
  }
  llvm::DIType* pointer_to(llvm::DIType* type) { return di_.createPointerType(type, 64); }

  // struct NAME { TYPE0 name0; ... } with 64-bit members laid out one after another.
  llvm::DICompositeType* struct_of(const char* name, const std::vector<std::pair<const char*, llvm::DIType*>>& fields) {
    llvm::DICompositeType* type = di_.createStructType(unit_, name, file_, 0, 64 * fields.size(), 64,
                                                       llvm::DINode::FlagZero, nullptr, llvm::DINodeArray());
    std::vector<llvm::Metadata*> members;
    for (std::size_t i = 0; i < fields.size(); ++i)
      members.push_back(di_.createMemberType(type, fields[i].first, file_, 0, 64, 64, 64 * i, llvm::DINode::FlagZero,
                                             fields[i].second));
    di_.replaceArrays(type, di_.getOrCreateArray(members));
    return type;
  }

  // __uint(name, value): a pointer to an array of `value` ints.
  std::pair<const char*, llvm::DIType*> uint_field(const char* name, std::uint64_t value) {
    return {name, pointer_to(array_of(int_, value))};
  }

  void describe(llvm::GlobalVariable* global, llvm::DIType* type) {
    global->addDebugInfo(di_.createGlobalVariableExpression(unit_, global->getName(), "", file_, 0, type, false));
  }

  llvm::DIType* u32() const { return u32_; }
  llvm::DIType* u64() const { return u64_; }
  llvm::DIType* i64() const { return i64_; }
  llvm::DIType* const_char() { return di_.createQualifiedType(llvm::dwarf::DW_TAG_const_type, char_); }

 private:
  llvm::DIBuilder di_;
  llvm::DIFile* file_ = nullptr;
  llvm::DICompileUnit* unit_ = nullptr;
  llvm::DIType* int_ = nullptr;
  llvm::DIType* u32_ = nullptr;
  llvm::DIType* u64_ = nullptr;
  llvm::DIType* i64_ = nullptr;
  llvm::DIType* char_ = nullptr;
};

llvm::GlobalVariable* add_global(llvm::Module& module, llvm::Type* type, llvm::Constant* init, const char* name,
                                 const char* section, bool constant, unsigned align) {
  auto* global = new llvm::GlobalVariable(module, type, constant, llvm::GlobalValue::ExternalLinkage, init, name);
  global->setDSOLocal(true);
  global->setSection(section);
  global->setAlignment(llvm::Align(align));
  return global;
}

// A ".maps" definition: `fields` pointer members, described by the caller's debug info.
llvm::GlobalVariable* add_map_global(llvm::Module& module, unsigned fields, const char* name) {
  llvm::LLVMContext& context = module.getContext();
  llvm::Type* ptr = llvm::PointerType::get(context, 0);
  auto* definition_type = llvm::StructType::get(context, std::vector<llvm::Type*>(fields, ptr));
  return add_global(module, definition_type, llvm::ConstantAggregateZero::get(definition_type), name, ".maps", false,
                    8);
}

void add_counter_map(llvm::Module& module, DebugTypes& types) {
  llvm::GlobalVariable* map = add_map_global(module, 4, layout::kCountersMap);
  // Named key and value types, so that `bpftool map dump` shows the fields.
  llvm::DIType* value = types.struct_of("bpffw_counters", {{"passed_packets", types.u64()},
                                                           {"passed_bytes", types.u64()},
                                                           {"dropped_packets", types.u64()},
                                                           {"dropped_bytes", types.u64()},
                                                           {"would_drop_packets", types.u64()},
                                                           {"would_drop_bytes", types.u64()}});
  llvm::DIType* definition = types.struct_of(nullptr, {types.uint_field("type", kMapTypePercpuArray),
                                                       types.uint_field("max_entries", 1),
                                                       {"key", types.pointer_to(types.u32())},
                                                       {"value", types.pointer_to(value)}});
  types.describe(map, definition);
  llvm::appendToCompilerUsed(module, {map});
}

// The drop log's ring buffer and its state (map_layout.hpp).
void add_log_maps(llvm::Module& module, DebugTypes& types) {
  llvm::GlobalVariable* ring = add_map_global(module, 2, layout::kLogRingMap);
  types.describe(ring, types.struct_of(nullptr, {types.uint_field("type", kMapTypeRingbuf),
                                                 types.uint_field("max_entries", layout::kLogRingBytes)}));
  llvm::GlobalVariable* state = add_map_global(module, 4, layout::kLogStateMap);
  llvm::DIType* value = types.struct_of(
      "bpffw_log_state",
      {{"next_ns", types.u64()}, {"logged", types.u64()}, {"suppressed", types.u64()}, {"lost", types.u64()}});
  types.describe(state, types.struct_of(nullptr, {types.uint_field("type", kMapTypeArray),
                                                  types.uint_field("max_entries", 1),
                                                  {"key", types.pointer_to(types.u32())},
                                                  {"value", types.pointer_to(value)}}));
  llvm::appendToCompilerUsed(module, {ring, state});
}

// A map defined by sizes only (__uint(key_size, ...), __uint(value_size, ...)): the kernel wants
// no BTF key type for an LPM trie unless it is a struct, and the values are never shown.
void add_sized_map(llvm::Module& module, DebugTypes& types, const char* name, unsigned map_type,
                   std::uint32_t max_entries, std::uint32_t key_size, std::uint32_t value_size, std::uint32_t flags) {
  llvm::LLVMContext& context = module.getContext();
  llvm::Type* ptr = llvm::PointerType::get(context, 0);
  std::vector<std::pair<const char*, llvm::DIType*>> fields = {
      types.uint_field("type", map_type), types.uint_field("max_entries", max_entries),
      types.uint_field("key_size", key_size), types.uint_field("value_size", value_size)};
  if (flags != 0) fields.push_back(types.uint_field("map_flags", flags));
  std::vector<llvm::Type*> members(fields.size(), ptr);
  auto* definition_type = llvm::StructType::get(context, members);
  llvm::GlobalVariable* map =
      add_global(module, definition_type, llvm::ConstantAggregateZero::get(definition_type), name, ".maps", false, 8);
  types.describe(map, types.struct_of(nullptr, fields));
  llvm::appendToCompilerUsed(module, {map});
}

// docs/filter-language.md §9; the layout is in map_layout.hpp.
void add_set_maps(llvm::Module& module, DebugTypes& types, const RuntimeSpec& spec) {
  bool integers = false;
  bool addresses = false;
  for (const ProgramMetadata::SetName& set : spec.sets) {
    integers |= set.element == SetElement::Integer;
    addresses |= set.element == SetElement::Address;
  }
  add_sized_map(module, types, layout::kSetGenerationMap, kMapTypeArray, static_cast<std::uint32_t>(spec.sets.size()),
                4, 4, 0);
  const SetMapSizes& capacity = spec.set_capacity;
  auto add = [&](const char* name, std::uint32_t type, std::uint64_t entries, std::size_t key_size,
                 std::size_t value_size = 1) {
    add_sized_map(module, types, name, type, static_cast<std::uint32_t>(entries), key_size, value_size,
                  layout::kMapNoPrealloc);
  };
  if (integers) add(layout::kIntegerSetMap, kMapTypeHash, capacity.integers, sizeof(layout::IntegerSetKey));
  if (addresses) {
    add(layout::kIpv4ExactSetMap, kMapTypeHash, capacity.ipv4_exact, sizeof(layout::Ipv4ExactKey));
    add(layout::kIpv6ExactSetMap, kMapTypeHash, capacity.ipv6_exact, sizeof(layout::Ipv6ExactKey));
    add(layout::kIpv4SetMap, kMapTypeLpmTrie, capacity.ipv4_prefixes, sizeof(layout::Ipv4SetKey));
    add(layout::kIpv6SetMap, kMapTypeLpmTrie, capacity.ipv6_prefixes, sizeof(layout::Ipv6SetKey));
    add(layout::kIpv4CoverMap, kMapTypeHash, capacity.ipv4_cover, sizeof(layout::Ipv4ExactKey),
        sizeof(layout::PrefixCover));
    add(layout::kIpv6CoverMap, kMapTypeHash, capacity.ipv6_cover, sizeof(layout::Ipv6ExactKey),
        sizeof(layout::PrefixCover));
  }
}

void add_parameters(llvm::Module& module, DebugTypes& types, const std::vector<Parameter>& parameters) {
  llvm::LLVMContext& context = module.getContext();
  auto* type = llvm::ArrayType::get(llvm::Type::getInt64Ty(context), parameters.size());
  std::vector<llvm::Constant*> values;
  for (const Parameter& parameter : parameters)
    values.push_back(
        llvm::ConstantInt::get(llvm::Type::getInt64Ty(context), static_cast<std::uint64_t>(parameter.value)));
  // Not constant: the values change at run time through the map, so LLVM must load them.
  llvm::GlobalVariable* global =
      add_global(module, type, llvm::ConstantArray::get(type, values), layout::kParametersGlobal, ".data", false, 8);
  types.describe(global, types.array_of(types.i64(), parameters.size()));
  llvm::appendToCompilerUsed(module, {global});
}

void add_metadata(llvm::Module& module, DebugTypes& types, const RuntimeSpec& spec) {
  std::string text = layout::encode_metadata(metadata_of(spec));
  llvm::Constant* init = llvm::ConstantDataArray::getString(module.getContext(), text, true);
  llvm::GlobalVariable* global = add_global(module, init->getType(), init, layout::kMetadataGlobal, ".rodata", true, 1);
  types.describe(global, types.array_of(types.const_char(), text.size() + 1, 8));
  llvm::appendToCompilerUsed(module, {global});
}

}  // namespace

ProgramMetadata metadata_of(const RuntimeSpec& spec) {
  ProgramMetadata metadata;
  metadata.bpffw_version = kVersion;
  metadata.counters = spec.counters;
  metadata.audit = spec.audit;
  for (const Parameter& parameter : spec.parameters) metadata.parameter_names.push_back(parameter.name);
  metadata.sets = spec.sets;
  metadata.direction = spec.direction;
  metadata.log = spec.log;
  metadata.expression = spec.source;
  return metadata;
}

RuntimeSpec runtime_spec_for(const Filter& filter, const CompileOptions& options) {
  RuntimeSpec spec;
  spec.counters = options.counters;
  spec.audit = options.audit;
  spec.metadata = true;
  spec.parameters = filter.parameters();
  for (const NamedSet& set : filter.sets()) spec.sets.push_back({set.name, set.items.element, set.file});
  spec.set_capacity = parser::set_map_capacities(filter.sets(), options.set_capacity);
  spec.source = filter.source();
  spec.direction = filter.direction();
  spec.rules = plan_rule_lists(detail::FilterAccess::root(filter));
  spec.log = options.log;
  return spec;
}

void add_runtime_globals(llvm::Module& module, const RuntimeSpec& spec) {
  if (!spec.counters && !spec.metadata && spec.parameters.empty() && spec.sets.empty() && spec.rules.plans.empty() &&
      !spec.refusal_counters && !spec.log)
    return;
  // Debug info is here only for the BTF that libbpf needs to create maps; BPF's AsmPrinter
  // derives BTF from it on its own. Without a "Dwarf Version" and with the "CodeView" flag,
  // LLVM's generic AsmPrinter creates no DwarfDebug: no .debug_* sections nobody reads, and
  // less work per compile.
  module.addModuleFlag(llvm::Module::Warning, "CodeView", 1);
  module.addModuleFlag(llvm::Module::Warning, "Debug Info Version", llvm::DEBUG_METADATA_VERSION);
  DebugTypes types(module);
  if (spec.counters) add_counter_map(module, types);
  if (spec.refusal_counters)
    add_sized_map(module, types, layout::kRefusalsMap, kMapTypePercpuArray, layout::kRefusalSlots, 4, 8, 0);
  if (spec.log) add_log_maps(module, types);
  if (!spec.parameters.empty()) add_parameters(module, types, spec.parameters);
  if (!spec.sets.empty()) add_set_maps(module, types, spec);
  if (const RuleKeys& exact = spec.rules.exact; exact.key_size != 0)
    add_sized_map(module, types, layout::kRuleMap, kMapTypeHash, static_cast<std::uint32_t>(exact.count()),
                  exact.key_size, sizeof(layout::RuleValue), layout::kMapNoPrealloc);
  if (const RuleKeys& trie = spec.rules.trie; trie.key_size != 0)
    add_sized_map(module, types, layout::kRulePrefixMap, kMapTypeLpmTrie, static_cast<std::uint32_t>(trie.count()),
                  trie.key_size, sizeof(layout::RuleValue), layout::kMapNoPrealloc);
  if (spec.metadata) add_metadata(module, types, spec);
}

bool has_counters(const llvm::Module& module) { return module.getNamedGlobal(layout::kCountersMap) != nullptr; }

void emit_count_refusal(llvm::IRBuilder<>& b, unsigned hook, bool audit) {
  llvm::GlobalVariable* map = b.GetInsertBlock()->getModule()->getNamedGlobal(layout::kRefusalsMap);
  if (map == nullptr) return;
  llvm::Function* function = b.GetInsertBlock()->getParent();
  llvm::IRBuilder<> entry(&function->getEntryBlock(), function->getEntryBlock().getFirstInsertionPt());
  llvm::AllocaInst* key = entry.CreateAlloca(b.getInt32Ty(), nullptr, "refusal_key");
  b.CreateStore(b.getInt32(layout::refusal_slot(hook, audit)), key);
  llvm::Value* slot = map_lookup(b, map, key, "refusals");
  llvm::BasicBlock* add = llvm::BasicBlock::Create(b.getContext(), "count_refusal", function);
  llvm::BasicBlock* done = llvm::BasicBlock::Create(b.getContext(), "refusal_counted", function);
  b.CreateCondBr(b.CreateIsNull(slot), done, add);
  b.SetInsertPoint(add);
  b.CreateStore(b.CreateAdd(b.CreateLoad(b.getInt64Ty(), slot), b.getInt64(1)), slot);  // this CPU's slot
  b.CreateBr(done);
  b.SetInsertPoint(done);
}

void emit_count(llvm::IRBuilder<>& b, llvm::Value* skb, llvm::Value* passed, bool audit) {
  llvm::Module* module = b.GetInsertBlock()->getModule();
  llvm::GlobalVariable* map = module->getNamedGlobal(layout::kCountersMap);
  if (map == nullptr) return;
  llvm::Function* function = b.GetInsertBlock()->getParent();
  llvm::LLVMContext& context = b.getContext();

  // The key lives in the entry block, like every stack slot.
  llvm::IRBuilder<> entry(&function->getEntryBlock(), function->getEntryBlock().getFirstInsertionPt());
  llvm::AllocaInst* key = entry.CreateAlloca(b.getInt32Ty(), nullptr, "counter_key");
  b.CreateStore(b.getInt32(0), key);
  llvm::Value* slot = map_lookup(b, map, key, "counters");

  // The lookup of entry 0 never fails, but the verifier wants the NULL check.
  llvm::BasicBlock* add = llvm::BasicBlock::Create(context, "count", function);
  llvm::BasicBlock* done = llvm::BasicBlock::Create(context, "counted", function);
  b.CreateCondBr(b.CreateIsNull(slot), done, add);
  b.SetInsertPoint(add);
  llvm::Value* length =
      b.CreateZExt(b.CreateLoad(b.getInt32Ty(), skb, "skb_len"), b.getInt64Ty());  // skb->len, offset 0
  // The passed fields or the dropped ones, chosen by arithmetic: one copy of the code for both.
  static_assert(layout::kPassedBytesField == layout::kPassedPacketsField + 1 &&
                layout::kDroppedBytesField == layout::kDroppedPacketsField + 1);
  static_assert(layout::kWouldDropBytesField == layout::kWouldDropPacketsField + 1);
  llvm::Value* packets_field =
      b.CreateSelect(passed, b.getInt64(layout::kPassedPacketsField),
                     b.getInt64(audit ? layout::kWouldDropPacketsField : layout::kDroppedPacketsField));
  llvm::Value* packets = b.CreateInBoundsGEP(b.getInt64Ty(), slot, packets_field);
  llvm::Value* bytes = b.CreateConstInBoundsGEP1_64(b.getInt64Ty(), packets, 1);
  // Plain adds on this CPU's slot: a per-CPU map needs no atomics.
  for (auto [address, amount] :
       {std::pair{packets, static_cast<llvm::Value*>(b.getInt64(1))}, std::pair{bytes, length}}) {
    b.CreateStore(b.CreateAdd(b.CreateLoad(b.getInt64Ty(), address), amount), address);
  }
  b.CreateBr(done);
  b.SetInsertPoint(done);
}

llvm::Value* load_parameter(llvm::IRBuilder<>& b, std::uint32_t index) {
  llvm::GlobalVariable* parameters = b.GetInsertBlock()->getModule()->getNamedGlobal(layout::kParametersGlobal);
  llvm::Value* address = b.CreateConstInBoundsGEP2_64(parameters->getValueType(), parameters, 0, index);
  return b.CreateLoad(b.getInt64Ty(), address, "parameter");
}

}  // namespace bpffw::codegen
