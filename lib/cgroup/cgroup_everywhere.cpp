// Finding every cgroup a program is attached to, and swapping a new program in at all of them:
// the kernel does not say where a program is attached, so the cgroup2 tree is walked and each
// directory asked (BPF_PROG_QUERY) in both directions. This is what a reload of a pinned filter
// needs: systemd attached the old program wherever a unit named its pin.
#include <bpffw/cgroup.hpp>

#include <dirent.h>
#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace bpffw {
namespace {

std::uint32_t id_of(const Program& program) {
  auto info = program.info();
  return info ? info->id : 0;
}

// Calls visit(path) for `path` and every directory below it (cgroups are directories; the files in
// them are the controllers' knobs). A directory removed while walking is passed over.
template <class Visit>
void walk_directories(const std::string& path, const Visit& visit) {
  visit(path);
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_type != DT_DIR || std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0)
      continue;
    walk_directories(path + "/" + entry->d_name, visit);
  }
  ::closedir(dir);
}

std::string describe(const std::vector<Attachment>& attachments) {
  std::string text;
  for (const Attachment& a : attachments) text += (text.empty() ? "" : ", ") + a.cgroup + " " + to_string(a.direction);
  return text;
}

// Calls visit(path, direction, attached) for every program attached under the cgroup2 mount.
template <class Visit>
Result<void> visit_attached(const CgroupResolveOptions& options, const Visit& visit) {
  auto mount = find_cgroup2_mount(options);
  if (!mount) return tl::unexpected(mount.error());
  std::optional<Error> failure;
  walk_directories(*mount, [&](const std::string& path) {
    if (failure) return;
    auto cgroup = Cgroup::open(path, options);
    if (!cgroup) {
      if (cgroup.error().sys_errno != ENOENT) failure = cgroup.error();
      return;
    }
    for (Direction direction : {Direction::Ingress, Direction::Egress}) {
      auto programs = attached_programs(*cgroup, direction);
      if (!programs) {
        if (programs.error().sys_errno != ENOENT) failure = programs.error();
        return;
      }
      for (const AttachedProgram& attached : *programs) visit(path, direction, attached);
    }
  });
  if (failure) return tl::unexpected(*failure);
  return {};
}

bool in_order(const Attachment& a, const Attachment& b) {
  return a.cgroup != b.cgroup ? a.cgroup < b.cgroup : a.direction == Direction::Ingress && b.direction != a.direction;
}

}  // namespace

Result<std::vector<BpffwAttachment>> find_bpffw_attachments(const CgroupResolveOptions& options) {
  std::vector<BpffwAttachment> found;
  auto walked = visit_attached(options, [&](const std::string& path, Direction direction, const AttachedProgram& p) {
    if (p.is_bpffw) found.push_back({{path, direction}, p.id});
  });
  if (!walked) return tl::unexpected(walked.error());
  std::stable_sort(found.begin(), found.end(),
                   [](const BpffwAttachment& a, const BpffwAttachment& b) { return in_order(a.where, b.where); });
  return found;
}

Result<std::vector<Attachment>> find_attachments(const Program& program, const CgroupResolveOptions& options) {
  const std::uint32_t id = id_of(program);
  if (id == 0) return make_error(ErrorKind::System, "cannot read the program's id");
  std::vector<Attachment> found;
  auto walked = visit_attached(options, [&](const std::string& path, Direction direction, const AttachedProgram& p) {
    if (p.id == id) found.push_back({path, direction});
  });
  if (!walked) return tl::unexpected(walked.error());
  std::sort(found.begin(), found.end(), in_order);
  return found;
}

Result<std::vector<Attachment>> replace_everywhere(const Program& old_program, const Program& new_program,
                                                   const CgroupResolveOptions& options) {
  auto attachments = find_attachments(old_program, options);
  if (!attachments) return tl::unexpected(attachments.error());
  std::vector<Attachment> swapped;
  for (const Attachment& attachment : *attachments) {
    auto cgroup = Cgroup::open(attachment.cgroup, options);
    if (!cgroup && cgroup.error().sys_errno == ENOENT) continue;  // removed since: nothing to filter there
    Result<void> done = cgroup ? replace(*cgroup, attachment.direction, old_program, new_program)
                               : Result<void>(tl::unexpected(cgroup.error()));
    if (done) {
      swapped.push_back(attachment);
      continue;
    }
    if (done.error().sys_errno == ENOENT) continue;  // detached since: nothing to swap
    // Put the old program back where the new one went in, so that every cgroup is filtered as
    // before: all old or all new, never a mixture left behind.
    std::vector<Attachment> not_restored;
    for (const Attachment& back : swapped) {
      auto again = Cgroup::open(back.cgroup, options);
      if (!again || !replace(*again, back.direction, new_program, old_program)) not_restored.push_back(back);
    }
    Error error = done.error();
    error.message = "cannot swap the new program in at " + attachment.cgroup + " " + to_string(attachment.direction) +
                    ": " + error.message;
    if (!not_restored.empty())
      error.message += "; the new program stays at " + describe(not_restored) + " (the old one could not be put back)";
    else if (!swapped.empty())
      error.message +=
          "; the old program was put back at the " + std::to_string(swapped.size()) + " places already swapped";
    return tl::unexpected(error);
  }
  return swapped;
}

}  // namespace bpffw
