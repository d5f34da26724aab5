#include "difftest.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "judge.hpp"
#include "random/random_packet.hpp"
#include "random/random_rules.hpp"
#include "random_sets.hpp"
#include "shrink.hpp"

namespace bpffw::difftest {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The first line of a (possibly long) verifier log, for a report.
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// A filter as a report shows it: a rule list of thousands of terms only by its start.
std::string shown(const std::string& text) {
  constexpr std::size_t kMostShown = 2000;
  if (text.size() <= kMostShown) return text;
  return text.substr(0, kMostShown) + "... (" + std::to_string(text.size()) +
         " characters: the same options and seed run it again)";
}

// The number of terms of a random rule list: from 10 (below §7.4's threshold) to `most`, spread
// evenly over the orders of magnitude, and `most` itself one time in eight.
unsigned rule_list_size(random::Rng& rng, unsigned most) {
  if (most <= 10 || rng.chance(1, 8)) return most;
  const double spread = static_cast<double>(rng.below(1u << 20)) / (1u << 20);
  return static_cast<unsigned>(10.0 * std::pow(most / 10.0, spread));
}

// Shrinks a disagreement and reports it: first the packet with the original program (cheap: no
// recompiling), then the filter (each candidate compiled and loaded), then the packet again.
Result<void> report_mismatch(const std::string& text, const LoadedFilter& loaded, const packet::Packet& packet,
                             const Verdicts& verdicts, bool shrink, const LoadSettings& settings, const LineSink& out) {
  out("  kernel " + std::string(verdict_word(verdicts.kernel)) + ", interpreter " + verdict_word(verdicts.interpreter));
  out("  filter: " + shown(text));
  out("  packet: " + describe_packet_hex(packet));
  const std::optional<Direction> direction = settings.parse.direction;
  if (!shrink && shown(text) != text) return {};
  if (!shrink) {
    out("  reproduce: " + reproduction_command(text, packet, direction));
    return {};
  }
  auto packet_fails_with = [](const LoadedFilter& filter) {
    return [&filter](const packet::Packet& candidate) -> Result<bool> {
      Result<Verdicts> judged = judge(filter, candidate);
      if (!judged) return tl::unexpected(judged.error());
      return !judged->agree();
    };
  };
  Result<packet::Packet> small_packet = shrink_packet(packet, packet_fails_with(loaded));
  if (!small_packet) return tl::unexpected(small_packet.error());
  Result<std::string> small_filter = shrink_filter(
      text,
      [&](const std::string& candidate) -> Result<bool> {
        Result<LoadedFilter> candidate_filter = load_filter(candidate, settings);
        if (!candidate_filter) return false;  // a smaller filter that does not load shows another bug
        Result<Verdicts> judged = judge(*candidate_filter, *small_packet);
        if (!judged) return tl::unexpected(judged.error());
        return !judged->agree();
      },
      settings.parse);
  if (!small_filter) return tl::unexpected(small_filter.error());
  Result<LoadedFilter> small_loaded = load_filter(*small_filter, settings);
  if (!small_loaded) return tl::unexpected(small_loaded.error());
  Result<packet::Packet> smallest_packet = shrink_packet(*small_packet, packet_fails_with(*small_loaded));
  if (!smallest_packet) return tl::unexpected(smallest_packet.error());
  Result<Verdicts> shrunk = judge(*small_loaded, *smallest_packet);
  if (!shrunk) return tl::unexpected(shrunk.error());
  out("  shrunk: kernel " + std::string(verdict_word(shrunk->kernel)) + ", interpreter " +
      verdict_word(shrunk->interpreter));
  out("  filter: " + *small_filter);
  out("  packet: " + describe_packet_hex(*smallest_packet));
  out("  reproduce: " + reproduction_command(*small_filter, *smallest_packet, direction));
  return {};
}

// The direction a filter is compiled for: ingress or egress, or, for a filter that reads neither
// local_* nor remote_* (which need one, docs/filter-language.md §4.6), sometimes none.
std::optional<Direction> random_direction(random::Rng& rng, const std::string& text) {
  bool needs_one = text.find("local_") != std::string::npos || text.find("remote_") != std::string::npos;
  std::uint64_t choice = rng.below(needs_one ? 2 : 3);
  if (choice == 2) return std::nullopt;
  return choice == 0 ? Direction::Ingress : Direction::Egress;
}

// A random change to the loaded program's set and to the model, then the filter the interpreter
// judges with, parsed again with the model's contents. False when the program's contents then
// differ from the model's.
Result<bool> change_random_set(random::Rng& rng, LoadedFilter& loaded, SetModel& model, LoadSettings& settings) {
  const SetElement element = model.element();
  SetItems items = random_set_items(rng, element, 8);
  Result<void> done;
  switch (rng.below(3)) {
    case 0:
      done = add_to_set(loaded.program, kRandomSetName, items);
      if (done) model.add(items);
      break;
    case 1:
      done = remove_from_set(loaded.program, kRandomSetName, items);
      if (done) model.remove(items);
      break;
    default:
      items = random_set_items(rng, element, 24);
      done = replace_set(loaded.program, kRandomSetName, items);
      if (done) model.replace(items);
      break;
  }
  if (!done) return tl::unexpected(done.error());
  settings.parse.sets = {{kRandomSetName, model.items()}};
  Result<Filter> filter = Filter::parse(loaded.filter.source(), settings.parse);
  if (!filter) return tl::unexpected(filter.error());
  loaded.filter = std::move(*filter);
  Result<std::vector<NamedSet>> read = read_sets(loaded.program);
  if (!read) return tl::unexpected(read.error());
  return read->size() == 1 && same_contents((*read)[0].items, model);
}

}  // namespace

Result<DifftestStats> run_difftest(const DifftestOptions& options, const LineSink& out) {
  auto start = std::chrono::steady_clock::now();
  random::Rng rng(options.seed);
  random::RandomPacketOptions packet_options;  // kernel_only: every packet fits BPF_PROG_TEST_RUN
  random::RandomFilterOptions filter_options = options.filter_options;
  filter_options.directional = true;  // every filter gets a direction below
  DifftestStats stats;
  unsigned reports = 0;  // failures reported in full so far
  const std::uint64_t per_filter = std::max(1u, options.packets_per_filter);
  while (stats.pairs < options.pairs) {
    const std::uint64_t filter_index = stats.filters++;
    const std::uint64_t batch = std::min(per_filter, options.pairs - stats.pairs);
    std::optional<random::RandomRuleList> rules;
    if (options.rules != 0) rules = random::random_rule_list(rng, rule_list_size(rng, options.rules));
    std::string text = rules ? rules->text : random::random_filter(rng, filter_options);
    std::optional<SetModel> model;
    if (options.sets) {
      model.emplace(rng.chance(1, 2) ? SetElement::Address : SetElement::Integer);
      text = with_set_test(rng, random_set_test(rng, model->element(), true), text);
      model->replace(random_set_items(rng, model->element(), 24));
    }
    LoadSettings settings{ParseOptions{.direction = random_direction(rng, text)}, options.packet_parsers};
    if (model) settings.parse.sets = {{kRandomSetName, model->items()}};
    const std::string direction = direction_word(settings.parse.direction);
    Result<LoadedFilter> loaded = load_filter(text, settings);
    if (!loaded) {
      if (loaded.error().kind == ErrorKind::Permission) return tl::unexpected(loaded.error());
      // docs/filter-language.md §8: every filter that parses must compile and load. Its pairs count as mismatches.
      stats.pairs += batch;
      stats.mismatches += batch;
      if (reports++ < options.max_reports) {
        const char* stage = loaded.error().kind == ErrorKind::InvalidExpression ? "parse or compile" : "load";
        out("filter #" + std::to_string(filter_index) + " (direction " + direction + ") does not " + stage + ": " +
            loaded.error().message);
        if (!loaded.error().verifier_log.empty()) out("  verifier: " + first_line(loaded.error().verifier_log));
        out("  filter: " + shown(text));
      }
      if (options.stop_after != 0 && stats.mismatches >= options.stop_after) break;
      continue;
    }
    for (std::uint64_t p = 0; p < batch; ++p) {
      if (model && p > 0 && p % std::max(1u, options.change_every) == 0) {
        Result<bool> same = change_random_set(rng, *loaded, *model, settings);
        if (!same) return tl::unexpected(same.error());
        ++stats.set_changes;
        if (!*same) {
          ++stats.set_mismatches;
          ++stats.mismatches;
          if (reports++ < options.max_reports) {
            out("set mismatch (seed " + std::to_string(options.seed) + ", filter #" + std::to_string(filter_index) +
                "): after a change the program's set differs from what it should hold");
            out("  should hold: " + format_set_items(model->items()));
            out("  filter: " + text);
          }
        }
      }
      // A rule list's packets are mostly aimed at one of its terms: random ones seldom meet any.
      packet::Packet packet =
          rules && rng.chance(3, 4)
              ? random::packet_for_term(rng, rules->terms[rng.below(rules->terms.size())], rng.chance(1, 2))
              : random::random_packet(rng, packet_options);
      Result<Verdicts> verdicts = judge(*loaded, packet);
      if (!verdicts) {
        Error error = verdicts.error();
        error.message += " (filter #" + std::to_string(filter_index) + ", packet #" + std::to_string(p) + ": " +
                         describe_packet_hex(packet) + ")";
        return tl::unexpected(std::move(error));
      }
      ++stats.pairs;
      stats.passes += verdicts->kernel;
      if (verdicts->agree()) continue;
      ++stats.mismatches;
      if (reports++ < options.max_reports) {
        char found_after[64];
        std::snprintf(found_after, sizeof found_after, "after %llu pairs, %.1f s",
                      static_cast<unsigned long long>(stats.pairs), seconds_since(start));
        out("mismatch #" + std::to_string(stats.mismatches) + " (seed " + std::to_string(options.seed) + ", filter #" +
            std::to_string(filter_index) + ", packet #" + std::to_string(p) + ", direction " + direction + ", " +
            found_after + ")");
        if (model)
          out("  set s: {" + format_set_items(model->items()) + "}, after " +
              std::to_string(p / std::max(1u, options.change_every)) + " changes");
        // Not shrunk with sets: the shrinker loads fresh programs, which would not carry the state
        // the changes left.
        Result<void> reported =
            report_mismatch(text, *loaded, packet, *verdicts, options.shrink && !model && !rules, settings, out);
        if (!reported) return tl::unexpected(reported.error());
      }
      if (options.stop_after != 0 && stats.mismatches >= options.stop_after) break;
    }
    if (options.stop_after != 0 && stats.mismatches >= options.stop_after) break;
  }
  stats.seconds = seconds_since(start);
  return stats;
}

}  // namespace bpffw::difftest
