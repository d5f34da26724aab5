// bpffwc status [NAME...] [--json]: whether each named filter (/etc/bpffw/NAME.filter, NAME.conf
// and its set files; docs/systemd.md) runs as declared: the program pinned at
// /sys/fs/bpf/bpffw/NAME is the one its files compile to, where it is attached, and every place
// where the running state and the files part (examine_filter.cpp says which). Exit 0 only when
// all agree, 1 when anything diverges.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <bpffw/cgroup.hpp>

#include "command.hpp"
#include "diagnostics.hpp"
#include "filter_status.hpp"
#include "runtime_text.hpp"

namespace bpffwc {
namespace {

namespace fs = std::filesystem;

// The names of the named filters: NAME.filter files and pins, or the names asked for.
std::vector<std::string> filter_names(const std::string& config_dir, const std::string& pin_dir) {
  std::set<std::string> names;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(config_dir, error))
    if (entry.path().extension() == ".filter") names.insert(entry.path().stem().string());
  for (const fs::directory_entry& entry : fs::directory_iterator(pin_dir, error))
    if (!entry.is_directory(error) && entry.path().filename().string().find('.') == std::string::npos)
      names.insert(entry.path().filename().string());
  return {names.begin(), names.end()};
}

std::string status_text(const FilterStatus& status) {
  std::string head = status.name + ": ";
  if (status.program_id)
    head += "program " + std::to_string(*status.program_id) + (status.audit ? " (audit mode: drops nothing)" : "") +
            " at " + status.pin + ", ";
  head += status.program_id ? attachments_text(status.attached) : "not loaded";
  std::string text = head + (status.divergences.empty() ? "; agrees with " + status.filter_file : "") + "\n";
  for (const Divergence& divergence : status.divergences) text += "  diverges: " + divergence.message + "\n";
  return text;
}

std::string status_json(const FilterStatus& status) {
  std::string json = "{\"name\":" + json_string(status.name) + ",\"filter_file\":" + json_string(status.filter_file) +
                     ",\"pin\":" + json_string(status.pin) +
                     ",\"program_id\":" + (status.program_id ? std::to_string(*status.program_id) : "null") +
                     ",\"audit\":" + (status.audit ? "true" : "false") + ",\"attached\":[";
  for (std::size_t i = 0; i < status.attached.size(); ++i)
    json += std::string(i == 0 ? "" : ",") + "{\"cgroup\":" + json_string(status.attached[i].cgroup) +
            ",\"direction\":\"" + bpffw::to_string(status.attached[i].direction) + "\"}";
  json += "],\"agrees\":" + std::string(status.divergences.empty() ? "true" : "false") + ",\"divergences\":[";
  for (std::size_t i = 0; i < status.divergences.size(); ++i)
    json += std::string(i == 0 ? "" : ",") + "{\"kind\":\"" + status.divergences[i].kind +
            "\",\"message\":" + json_string(status.divergences[i].message) + "}";
  return json + "]}";
}

class StatusCommand final : public Command {
 public:
  void define(CLI::App& app) override {
    app.add_option("NAME", names_, "the named filters to check (default: every NAME.filter and every pin)")
        ->type_name("");
    app.add_flag("--json", json_,
                 "print one JSON object: per named filter its files, pin, program, attachments and divergences");
    app.add_option("--config-dir", config_dir_, "where the named filters' files are")
        ->type_name("DIR")
        ->capture_default_str();
    app.add_option("--pin-dir", pin_dir_, "where bpffw@NAME pins them")->type_name("DIR")->capture_default_str();
  }

  int run() override {
    std::vector<std::string> names = names_.empty() ? filter_names(config_dir_, pin_dir_) : names_;
    auto attachments = bpffw::find_bpffw_attachments();
    if (!attachments) return report(attachments.error());
    FilterExaminer examiner(config_dir_, pin_dir_, *attachments);
    std::vector<FilterStatus> statuses;
    for (const std::string& name : names) {
      statuses.push_back(examiner.examine(name));
      if (statuses.back().failure) return report(*statuses.back().failure);
    }
    bool all_agree = std::all_of(statuses.begin(), statuses.end(),
                                 [](const FilterStatus& status) { return status.divergences.empty(); });
    std::string out;
    if (json_) {
      out = "{\"agree\":" + std::string(all_agree ? "true" : "false") + ",\"filters\":[";
      for (std::size_t i = 0; i < statuses.size(); ++i) out += (i == 0 ? "" : ",") + status_json(statuses[i]);
      out += "]}\n";
    } else if (statuses.empty()) {
      out = "no named filters: no " + config_dir_ + "/NAME.filter and nothing pinned in " + pin_dir_ + "\n";
    } else {
      for (const FilterStatus& status : statuses) out += status_text(status);
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return all_agree ? kExitSuccess : kExitDiverged;
  }

 private:
  std::vector<std::string> names_;
  bool json_ = false;
  std::string config_dir_ = "/etc/bpffw";
  std::string pin_dir_ = "/sys/fs/bpf/bpffw";
};

}  // namespace

std::unique_ptr<Command> make_status_command() { return std::make_unique<StatusCommand>(); }

}  // namespace bpffwc
