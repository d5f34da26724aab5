#include "attach_options.hpp"

#include <cstdio>

#include <unistd.h>

#include "diagnostics.hpp"
#include "runtime_text.hpp"
#include "socket_group.hpp"

namespace bpffwc {

void AttachOptions::define(CLI::App& app, const char* verb) {
  app.add_option("--attach", cgroup_,
                 std::string(verb) +
                     " and attach to CGROUP (a cgroup v2 directory, a path relative to the cgroup2 mount, or self) "
                     "with BPF_F_ALLOW_MULTI; needs -t")
      ->type_name("CGROUP");
  app.add_option("-t,--type", direction_,
                 "ingress or egress: the direction the program is for (local_* and remote_* need it; "
                 "recorded in the program) and, with --attach, where it attaches")
      ->type_name("DIR");
  app.add_option("--replace", replace_pin_,
                 "with --attach: swap the program pinned at PIN, attached to CGROUP, for the new one in "
                 "one step, and re-pin PIN atomically")
      ->type_name("PIN");
  app.add_flag("--replace-all", replace_all_,
               "with --attach: put the new program in place of every bpffw program attached to CGROUP in "
               "that direction (the first swapped in one step, the others then detached; other tools' "
               "programs stay). With none there it attaches; so a unit's ExecStartPre= can run it again");
  app.add_flag(kAllowHostWide, allow_host_wide_,
               "with --attach: attach even to the root cgroup (every process of the host) or, for self, to a login "
               "session (session-N.scope, user@UID.service), which are refused without it");
}

int refuse_wide_cgroup(std::string_view argument, const bpffw::Cgroup& cgroup, bool allowed) {
  if (allowed) return kExitSuccess;
  auto found = bpffw::classify(cgroup);
  if (!found) return report(found.error());
  const bool self = argument == "self";
  const std::string named = self ? "self: it resolved to " + cgroup.path() + "," : cgroup.path() + ": it is";
  const std::string confirm = std::string(", or confirm with ") + kAllowHostWide;
  switch (found->reach) {
    case bpffw::CgroupReach::Contained: return kExitSuccess;
    case bpffw::CgroupReach::Root:
      return report_usage("refusing to attach to " + named +
                              " the root cgroup, so the filter would judge the traffic of every process on this host "
                              "(every service and every login, SSH included), and a wrong one locks everybody out",
                          std::string(self ? "self is the cgroup bpffwc runs in, meant for a service's "
                                             "ExecStartPre=; from a shell, name"
                                           : "name") +
                              " the service's cgroup instead (e.g. system.slice/nginx.service)" + confirm +
                              " to filter the whole host");
    case bpffw::CgroupReach::LoginSession:
      if (!self) return kExitSuccess;  // a session named by its path was chosen on purpose
      return report_usage("refusing to attach to " + named + " part of a login session (" + found->component +
                              "), so the filter would judge the traffic of this shell and of everything started from "
                              "it, an SSH login's own connection included, and a wrong one locks you out",
                          "self is the cgroup bpffwc runs in, meant for a service's ExecStartPre=; from a shell, name "
                          "the service's cgroup instead (e.g. system.slice/nginx.service)" +
                              confirm + " to filter this session");
  }
  return kExitSuccess;
}

int AttachOptions::parse_direction_option() {
  if (!direction_) return kExitSuccess;
  auto direction = bpffw::parse_direction(*direction_);
  if (!direction) return report_usage(direction.error().message, direction.error().hint);
  parsed_direction_ = *direction;
  return kExitSuccess;
}

int AttachOptions::check_combination(const std::optional<std::string>& pin_path, bool force, bool emit_or_check) {
  if (!cgroup_ && allow_host_wide_)
    return report_usage(std::string(kAllowHostWide) + " only applies to --attach",
                        std::string("bpffwc --attach CGROUP -t ingress|egress ") + kAllowHostWide + " EXPRESSION");
  if (!cgroup_ && replace_all_)
    return report_usage("--replace-all only applies to --attach",
                        "bpffwc --attach CGROUP -t ingress|egress --replace-all EXPRESSION");
  if (!cgroup_)
    return report_usage("--replace only applies to --attach",
                        "bpffwc --attach CGROUP -t ingress|egress --replace PIN EXPRESSION");
  if (replace_all_ && replace_pin_) return report_usage("give either --replace PIN or --replace-all, not both");
  if (replace_all_ && force)
    return report_usage("--replace-all pins a new program with -o PIN and cannot replace a pin (--force)",
                        "swap a pinned, attached program with --replace PIN");
  if (!direction_) return report_usage("--attach needs a direction: -t ingress or -t egress");
  if (emit_or_check) return report_usage("--attach cannot be combined with --emit or --check");
  if (replace_pin_ && pin_path)
    return report_usage("--replace PIN already names the pin; drop -o",
                        "bpffwc --attach CGROUP -t DIR --replace PIN EXPRESSION");
  if (replace_pin_ && force) return report_usage("--force only applies to -o PIN; --replace always replaces the pin");
  return kExitSuccess;
}

int AttachOptions::prepare(const std::optional<std::string>& pin_path, bool force) {
  // Resolved before compiling, so that a wrong cgroup costs nothing and changes nothing.
  auto cgroup = bpffw::Cgroup::open(*cgroup_);
  if (!cgroup) return report(cgroup.error());
  if (int refused = refuse_wide_cgroup(*cgroup_, *cgroup, allow_host_wide_); refused != kExitSuccess) return refused;
  opened_.emplace(std::move(*cgroup));
  if (replace_pin_) {
    auto old_program = bpffw::Program::open_pinned(*replace_pin_);
    if (!old_program) return report(old_program.error());
    replaced_.emplace(std::move(*old_program));
  }
  // -o PIN --force would move the pin to the new program and leave the old one running wherever
  // it is attached, on rules the pin no longer shows: refused, saying how to swap it instead.
  if (pin_path && force) {
    if (auto old_program = bpffw::Program::open_pinned(*pin_path)) {
      auto attached = bpffw::find_attachments(*old_program);
      if (attached && !attached->empty()) {
        const bpffw::Attachment& first = attached->front();
        std::string more = attached->size() > 1 ? " and " + std::to_string(attached->size() - 1) + " more" : "";
        return report_usage("the program pinned at " + *pin_path + " is attached to " + first.cgroup + " (" +
                                bpffw::to_string(first.direction) + ")" + more +
                                ": --attach with -o --force would leave it running there while the pin leads elsewhere",
                            "swap it where it runs with --replace-everywhere " + *pin_path +
                                ", or here with --attach " + *cgroup_ + " -t " + bpffw::to_string(*parsed_direction_) +
                                " --replace " + *pin_path);
      }
    }
  }
  return kExitSuccess;
}

int AttachOptions::run(bpffw::Program program, std::vector<bpffw::SocketProgram> sockets,
                       const std::optional<std::string>& pin_path, bool force, std::string_view expression) {
  sockets_ = std::move(sockets);
  if (!replace_pin_ && !replace_all_) return attach_and_pin(std::move(program), pin_path, force, expression);
  auto swap = [&] {
    return replace_pin_ ? replace_and_repin(std::move(program), expression)
                        : replace_all(std::move(program), pin_path, expression);
  };
  // The socket programs go with the packet program: the old ones off first, the new ones on after
  // (or, left out, none: the old ones would refuse by the old filter).
  if (int swapped = swap_with_socket_group(*opened_, *parsed_direction_, sockets_, swap, expression);
      swapped != kExitSuccess)
    return swapped;
  const std::string* pin = replace_pin_ ? &*replace_pin_ : pin_path ? &*pin_path : nullptr;
  if (pin == nullptr || sockets_.empty()) return kExitSuccess;
  if (auto pinned = bpffw::pin_socket_programs(sockets_, *pin, bpffw::PinMode::Replace); !pinned)
    return report(pinned.error(), expression);
  return kExitSuccess;
}

int AttachOptions::attach_and_pin(bpffw::Program program, const std::optional<std::string>& pin_path, bool force,
                                  std::string_view expression) {
  // Attach first, then pin: undoing an attach (detach) is exact, while undoing a pin that
  // replaced an old one (--force) is not.
  if (auto attached = bpffw::attach(program, *opened_, *parsed_direction_); !attached)
    return report(attached.error(), expression);
  if (!sockets_.empty()) {
    if (auto attached = bpffw::attach(sockets_, *opened_); !attached) {
      (void)bpffw::detach(*opened_, *parsed_direction_, program);  // all or none
      return report(attached.error(), expression);
    }
  }
  if (!pin_path) {  // attached, unpinned: lives as long as the cgroup has it
    warn_if_stacking(*opened_, *parsed_direction_, program);
    return kExitSuccess;
  }
  const bpffw::PinMode mode = force ? bpffw::PinMode::Replace : bpffw::PinMode::CreateNew;
  auto pinned = program.pin(*pin_path, mode);
  if (pinned && !sockets_.empty()) {
    pinned = bpffw::pin_socket_programs(sockets_, *pin_path, mode);
    if (!pinned && mode == bpffw::PinMode::CreateNew) ::unlink(pin_path->c_str());
  }
  if (!pinned) {
    int code = report(pinned.error(), expression);
    (void)bpffw::detach(*opened_, sockets_);
    if (auto undone = bpffw::detach(*opened_, *parsed_direction_, program); !undone) {
      report(undone.error());
      report(bpffw::Error{bpffw::ErrorKind::System,
                          "the program stays attached to " + opened_->path() + " " +
                              bpffw::to_string(*parsed_direction_) + " without a pin",
                          std::nullopt,
                          0,
                          std::string("remove it with: bpffwc detach ") + opened_->path() + " -t " +
                              bpffw::to_string(*parsed_direction_) + " --all",
                          {}});
    }
    return code;
  }
  warn_if_stacking(*opened_, *parsed_direction_, program);
  return kExitSuccess;
}

int AttachOptions::replace_and_repin(bpffw::Program program, std::string_view expression) {
  const bpffw::Program* old_program = &*replaced_;
  if (auto swapped = bpffw::replace(*opened_, *parsed_direction_, *old_program, program); !swapped)
    return report(swapped.error(), expression);
  // The pin follows the attached program; if it cannot, swap back so that pin and cgroup agree.
  auto pinned = program.pin(*replace_pin_, bpffw::PinMode::Replace);
  if (!pinned) {
    int code = report(pinned.error(), expression);
    if (auto back = bpffw::replace(*opened_, *parsed_direction_, program, *old_program); !back) {
      report(back.error());
      report(bpffw::Error{bpffw::ErrorKind::System,
                          "the new program stays attached, while " + *replace_pin_ + " still holds the old one",
                          std::nullopt,
                          0,
                          "",
                          {}});
    }
    return code;
  }
  return kExitSuccess;
}

void warn_if_stacking(const bpffw::Cgroup& cgroup, bpffw::Direction direction, const bpffw::Program& added) {
  auto programs = bpffw::attached_programs(cgroup, direction);
  auto info = added.info();
  if (!programs || !info) return;  // a warning only: the attach itself succeeded
  std::string ours;
  for (const bpffw::AttachedProgram& program : *programs)
    if (program.is_bpffw && program.id != info->id)
      ours += std::string(kProgram) + ": warning:   " + program_line(program.id) + "\n";
  if (ours.empty()) return;
  const std::string where = cgroup.path() + " -t " + bpffw::to_string(direction);
  std::string text = std::string(kProgram) + ": warning: bpffw programs are already attached to " + cgroup.path() +
                     " " + bpffw::to_string(direction) +
                     "; the new one is added beside them, and every attached program must pass a packet:\n" + ours +
                     kProgram + ": hint: to put the new program in their place: bpffwc --attach " + where +
                     " --replace-all EXPRESSION\n";
  std::fwrite(text.data(), 1, text.size(), stderr);
}

void note_replaced(const bpffw::ReplaceAllOutcome& outcome, const bpffw::Cgroup& cgroup, bpffw::Direction direction) {
  if (outcome.replaced == 0) return;
  std::string note = "replaced program " + std::to_string(outcome.replaced);
  if (!outcome.detached.empty()) {
    note += " in place and detached";
    for (std::uint32_t id : outcome.detached) note += " " + std::to_string(id);
  }
  report_note(note + " (" + cgroup.path() + " " + bpffw::to_string(direction) + ")");
}

int AttachOptions::replace_all(bpffw::Program program, const std::optional<std::string>& pin_path,
                               std::string_view expression) {
  // Pin first (a new pin only): if the swap then fails, removing the pin undoes everything.
  if (pin_path) {
    if (auto pinned = program.pin(*pin_path, bpffw::PinMode::CreateNew); !pinned)
      return report(pinned.error(), expression);
  }
  auto outcome = bpffw::replace_all_bpffw(program, *opened_, *parsed_direction_);
  if (!outcome) {
    // A failed swap changed nothing: the pin goes too. After the swap (a detach failed, the error
    // says what is attached) the pin stays, naming the attached program.
    if (pin_path && !bpffw::is_attached(program, *opened_, *parsed_direction_)) ::unlink(pin_path->c_str());
    return report(outcome.error(), expression);
  }
  note_replaced(*outcome, *opened_, *parsed_direction_);
  return kExitSuccess;
}

}  // namespace bpffwc
