// SPDX-License-Identifier: Apache-2.0
//
// The floors bench/named_sets.sh holds bpffw's named sets against, in C with libbpf linked
// statically (what someone who wrote this one job by hand would run):
//
//   set_floor fill N [CAPACITY]      the kernel's own cost of N whole addresses (half IPv4, half
//                                    IPv6, the bench's keys) in two hash maps laid out as bpffw's
//                                    bpffw_set_v4x / bpffw_set_v6x (map_layout.hpp), sized as bpffw
//                                    sizes them (or CAPACITY entries each): creating the maps, then BPF_MAP_UPDATE_BATCH of the
//                                    keys in chunks of 8192. Prints "create MS fill MS".
//   set_floor parse FILE             the floor of reading a set file: read() in 1 MiB pieces and
//                                    inet_pton on each line (one address a line, no checks).
//                                    Prints "parse MS".
//   set_floor add PIN A.B.C.D        `bpffwc set PIN s+=A.B.C.D` for a program whose only set is s:
//                                    the pin opened, the program's maps opened by id until the
//                                    generation map and the IPv4 map are found, the generation read,
//                                    one key written. Nothing is printed; exit 0 when written.
//
// Built by bench/CMakeLists.txt (bpffw-set-floor); the capacity it gives a map is
// bpffw's rule, repeated here on purpose (runtime_maps.cpp keeps the real one).
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#define BATCH 8192
#define DEFAULT_EXACT_CAPACITY (1u << 14)

struct v4_key {
  uint8_t address[4];
  uint32_t tag;
};
struct v6_key {
  uint8_t address[16];
  uint32_t tag;
};

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

// bpffw's rule (docs/filter-language.md §9): room for twice what the set holds, at a power of two.
static uint32_t capacity_for(uint64_t entries) {
  uint64_t capacity = DEFAULT_EXACT_CAPACITY;
  while (capacity < 2 * entries) capacity *= 2;
  return (uint32_t)capacity;
}

static int fill(int fd, const void* keys, size_t key_size, uint32_t count) {
  static const uint8_t values[BATCH] = {[0 ... BATCH - 1] = 1};
  LIBBPF_OPTS(bpf_map_batch_opts, options, .elem_flags = BPF_ANY);
  for (uint32_t at = 0; at < count;) {
    uint32_t chunk = count - at < BATCH ? count - at : BATCH;
    if (bpf_map_update_batch(fd, (const uint8_t*)keys + (size_t)at * key_size, values, &chunk, &options) != 0)
      return -errno;
    at += chunk;
  }
  return 0;
}

static int fill_floor(uint32_t n, uint32_t capacity) {
  uint32_t v4_count = n / 2, v6_count = n - n / 2;
  struct v4_key* v4 = calloc(v4_count ? v4_count : 1, sizeof *v4);
  struct v6_key* v6 = calloc(v6_count ? v6_count : 1, sizeof *v6);
  if (!v4 || !v6) return 1;
  for (uint32_t i = 0; i < v4_count; ++i) {
    uint8_t a[4] = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
    memcpy(v4[i].address, a, 4);
  }
  for (uint32_t i = 0; i < v6_count; ++i) {
    uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8};
    a[12] = (uint8_t)(i >> 24), a[13] = (uint8_t)(i >> 16), a[14] = (uint8_t)(i >> 8), a[15] = (uint8_t)i;
    memcpy(v6[i].address, a, 16);
  }
  LIBBPF_OPTS(bpf_map_create_opts, options, .map_flags = BPF_F_NO_PREALLOC);
  double start = now_ms();
  int v4_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "bpffw_set_v4x", sizeof *v4, 1, capacity ? capacity : capacity_for(v4_count), &options);
  int v6_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "bpffw_set_v6x", sizeof *v6, 1, capacity ? capacity : capacity_for(v6_count), &options);
  if (v4_fd < 0 || v6_fd < 0) return perror("bpf_map_create"), 1;
  double created = now_ms();
  int err = fill(v4_fd, v4, sizeof *v4, v4_count);
  if (err == 0) err = fill(v6_fd, v6, sizeof *v6, v6_count);
  if (err != 0) return fprintf(stderr, "bpf_map_update_batch: %s\n", strerror(-err)), 1;
  double filled = now_ms();
  close(v4_fd);
  close(v6_fd);
  printf("create %.1f fill %.1f\n", created - start, filled - created);
  return 0;
}

static int parse_floor(const char* path) {
  static char buffer[(1 << 20) + 1];
  double start = now_ms();
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return perror(path), 1;
  size_t held = 0;
  unsigned long sum = 0, lines = 0;
  for (;;) {
    ssize_t got = read(fd, buffer + held, sizeof buffer - 1 - held);
    if (got < 0) return perror("read"), 1;
    held += (size_t)got;
    char* line = buffer;
    char* end;
    while ((end = memchr(line, '\n', held - (size_t)(line - buffer))) != NULL) {
      *end = 0;
      uint8_t address[16];
      if (inet_pton(strchr(line, ':') ? AF_INET6 : AF_INET, line, address) == 1) sum += address[3], ++lines;
      line = end + 1;
    }
    held -= (size_t)(line - buffer);
    memmove(buffer, line, held);
    if (got == 0) break;
  }
  close(fd);
  printf("parse %.1f\n", now_ms() - start);
  return sum == 0 && lines == 0;  // read, so that the loop is not optimized away
}

static int add_floor(const char* pin, const char* address) {
  struct v4_key key = {0};
  if (inet_pton(AF_INET, address, key.address) != 1) return fprintf(stderr, "not an IPv4 address\n"), 2;
  int prog = bpf_obj_get(pin);
  if (prog < 0) return perror("bpf_obj_get"), 1;
  uint32_t ids[64];
  struct bpf_prog_info info = {.nr_map_ids = 64, .map_ids = (uintptr_t)ids};
  uint32_t length = sizeof info;
  if (bpf_obj_get_info_by_fd(prog, &info, &length) != 0) return perror("prog info"), 1;
  int generation_fd = -1, v4_fd = -1;
  for (uint32_t i = 0; i < info.nr_map_ids && i < 64 && (generation_fd < 0 || v4_fd < 0); ++i) {
    int fd = bpf_map_get_fd_by_id(ids[i]);
    struct bpf_map_info map = {0};
    uint32_t map_length = sizeof map;
    if (fd < 0 || bpf_obj_get_info_by_fd(fd, &map, &map_length) != 0) return perror("map info"), 1;
    if (strcmp(map.name, "bpffw_set_gen") == 0) generation_fd = fd;
    else if (strcmp(map.name, "bpffw_set_v4x") == 0) v4_fd = fd;
    else close(fd);
  }
  if (generation_fd < 0 || v4_fd < 0) return fprintf(stderr, "no IPv4 set map\n"), 1;
  uint32_t index = 0, state = 0;
  if (bpf_map_lookup_elem(generation_fd, &index, &state) != 0) return perror("generation"), 1;
  key.tag = index * 2 + (state & 1);
  uint8_t present = 1;
  if (bpf_map_update_elem(v4_fd, &key, &present, BPF_NOEXIST) != 0 && errno != EEXIST) return perror("update"), 1;
  return 0;
}

int main(int argc, char** argv) {
  if ((argc == 3 || argc == 4) && strcmp(argv[1], "fill") == 0)
    return fill_floor((uint32_t)strtoul(argv[2], NULL, 10), argc == 4 ? (uint32_t)strtoul(argv[3], NULL, 10) : 0);
  if (argc == 3 && strcmp(argv[1], "parse") == 0) return parse_floor(argv[2]);
  if (argc == 4 && strcmp(argv[1], "add") == 0) return add_floor(argv[2], argv[3]);
  fprintf(stderr, "usage: set_floor fill N [CAPACITY] | set_floor parse FILE | set_floor add PIN A.B.C.D\n");
  return 2;
}
