// SPDX-License-Identifier: Apache-2.0
//
// The floor of loading a compiled filter: what a hand-written C loader, libbpf linked statically,
// costs to load a BPF object file as a cgroup_skb program and pin it. bench/compile-vs-clang.sh
// holds bpffwc's cache hit against it (the object is `bpffwc --emit obj`, the same program).
//
//   object_loader OBJECT PIN      exit 0 when loaded and pinned
#include <bpf/libbpf.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: object_loader OBJECT PIN\n");
    return 2;
  }
  struct bpf_object* object = bpf_object__open_file(argv[1], NULL);
  if (object == NULL) return 1;
  struct bpf_program* program = bpf_object__next_program(object, NULL);
  if (program == NULL) return 1;
  bpf_program__set_type(program, BPF_PROG_TYPE_CGROUP_SKB);
  bpf_program__set_expected_attach_type(program, BPF_CGROUP_INET_INGRESS);
  if (bpf_object__load(object) != 0 || bpf_program__pin(program, argv[2]) != 0) return 1;
  return 0;  // the kernel frees the rest at exit
}
