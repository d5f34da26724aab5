// Another tool's program for the end-to-end tests: what systemd's sd_fw_egress is to bpffw, a
// cgroup_skb program attached beside ours that bpffwc must leave alone.
#pragma once

#include <bpf/bpf.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include <doctest/doctest.h>

namespace bpffw::e2e {

// A cgroup_skb program that is not bpffw's ("r0 = 1; exit", named like another tool's), attached to
// a cgroup with BPF_F_ALLOW_MULTI; detached and closed at the end of the test even when it fails.
class OtherToolsProgram {
 public:
  OtherToolsProgram(const std::string& cgroup, bpf_attach_type type) : type_(type) {
    const bpf_insn instructions[] = {
        {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1},
        {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
    };
    fd_ = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SKB, "other_tool", "GPL", instructions, 2, nullptr);
    REQUIRE_MESSAGE(fd_ >= 0, "cannot load a test program: " << std::strerror(errno));
    cgroup_fd_ = ::open(cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(cgroup_fd_ >= 0);
    REQUIRE(bpf_prog_attach(fd_, cgroup_fd_, type_, BPF_F_ALLOW_MULTI) == 0);
    attached_ = true;
  }
  OtherToolsProgram(const OtherToolsProgram&) = delete;
  OtherToolsProgram& operator=(const OtherToolsProgram&) = delete;
  ~OtherToolsProgram() {
    detach();
    if (cgroup_fd_ >= 0) ::close(cgroup_fd_);
    if (fd_ >= 0) ::close(fd_);
  }

  int fd() const { return fd_; }
  // True when the program was attached and is now detached.
  bool detach() {
    if (!attached_) return false;
    attached_ = false;
    return bpf_prog_detach2(fd_, cgroup_fd_, type_) == 0;
  }

 private:
  bpf_attach_type type_;
  int fd_ = -1;
  int cgroup_fd_ = -1;
  bool attached_ = false;
};

}  // namespace bpffw::e2e
