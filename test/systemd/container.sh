# Booting a Debian 12 root with its own systemd in a container, for the tests that need a real
# systemd (systemd_test.sh, test/package/deb_install_test.sh). Source it, define say() and fail(),
# then:
#   boot_container ROOT NAME [NSPAWN_OPTION...]
# boots ROOT (extra options such as --ephemeral or --bind-ro= go to systemd-nspawn), waits until its
# systemd is running, and sets
#   container_pid   the container's systemd, for in_container (nsenter)
#   pins            the host directory that is the container's /sys/fs/bpf
# Everything it creates on the host is named NAME-$$: the container's cgroups go under scratch
# cgroups, its /sys/fs/bpf is a scratch directory of the host's bpffs; an EXIT trap powers the
# container off and removes them. Then check DESCRIPTION COMMAND... counts $failures.

remove_at_exit=()  # files and directories the EXIT trap removes as well

in_container() { nsenter -t "$container_pid" -a "$@"; }

failures=0
check() {  # check DESCRIPTION COMMAND...: runs the command, counts a failure
  local what=$1
  shift
  if "$@"; then say "ok: $what"; else say "FAILED: $what"; failures=$((failures + 1)); fi
}

boot_container() {
  local root=$1 name=$2-$$
  shift 2
  cgroup2=$(awk '$0 ~ / - cgroup2 / { print $5; exit }' /proc/self/mountinfo)
  [[ -n $cgroup2 ]] || fail "no cgroup2 mount in /proc/self/mountinfo"
  local named_systemd
  named_systemd=$(awk '$0 ~ / - cgroup .*name=systemd/ { print $5; exit }' /proc/self/mountinfo)
  if ! [[ $(stat -f -c %T /sys/fs/bpf 2>/dev/null) == bpf_fs ]]; then
    mkdir -p /sys/fs/bpf
    mount -t bpf bpf /sys/fs/bpf || fail "cannot mount bpffs at /sys/fs/bpf"
  fi
  pins=/sys/fs/bpf/$name
  scratch=("$cgroup2/$name")
  [[ -n $named_systemd ]] && scratch+=("$named_systemd/$name")
  nspawn_pid=
  container_pid=
  trap container_cleanup EXIT

  mkdir "$pins"
  local dir
  for dir in "${scratch[@]}"; do mkdir "$dir"; done
  console=$(mktemp /tmp/bpffw-nspawn.XXXXXX)
  # SYSTEMD_SECCOMP=0 and --capability=all: otherwise systemd inside finds BPF firewalling unsupported.
  SCRATCH="${scratch[*]}" PINS=$pins ROOT=$root setsid bash -c '
    for dir in $SCRATCH; do echo $$ > "$dir/cgroup.procs"; done
    SYSTEMD_SECCOMP=0 exec systemd-nspawn --quiet --register=no --keep-unit --capability=all \
      --bind="$PINS":/sys/fs/bpf --console=passive -D "$ROOT" "$@" -b' nspawn "$@" >"$console" 2>&1 </dev/null &
  nspawn_pid=$!

  for _ in $(seq 240); do
    container_pid=$(pgrep -P "$nspawn_pid" -x systemd || true)
    [[ -n $container_pid ]] && break
    kill -0 "$nspawn_pid" 2>/dev/null || { cat "$console" >&2; fail "systemd-nspawn exited"; }
    sleep 0.25
  done
  [[ -n $container_pid ]] || { cat "$console" >&2; fail "the container's systemd did not start"; }
  # systemctl fails with "Failed to connect to bus" until systemd has created its private socket:
  # wait for the socket, then ask (again) until the boot has finished.
  local state=unknown deadline=$((SECONDS + 120))
  while ((SECONDS < deadline)); do
    if in_container test -S /run/systemd/private; then
      state=$(timeout 60 nsenter -t "$container_pid" -a systemctl is-system-running --wait 2>/dev/null || true)
      [[ $state == running || $state == degraded ]] && break
    fi
    kill -0 "$nspawn_pid" 2>/dev/null || { cat "$console" >&2; fail "systemd-nspawn exited"; }
    sleep 0.25
  done
  [[ $state == running || $state == degraded ]] || fail "the container's systemd is '$state', not running"
  say "booted systemd $(in_container systemctl --version | awk 'NR == 1 { print $2 }') (pid $container_pid)"
}

container_cleanup() {
  local status=$?
  if [[ -n $nspawn_pid ]] && kill -0 "$nspawn_pid" 2>/dev/null; then
    kill -TERM "$nspawn_pid"  # nspawn asks the container's systemd to power off
    for _ in $(seq 80); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$nspawn_pid" 2>/dev/null; then
      say "the container did not stop in 20 s; killing it"
      [[ -n $container_pid ]] && kill -KILL "$container_pid" 2>/dev/null
      kill -KILL "$nspawn_pid" 2>/dev/null
    fi
    wait "$nspawn_pid" 2>/dev/null || true
  fi
  local dir
  for dir in "${scratch[@]}"; do
    [[ -d $dir ]] && find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
    [[ -d $dir ]] && say "could not remove $dir"
  done
  if [[ -d $pins ]]; then
    find "$pins" -mindepth 1 -delete
    rmdir "$pins"
  fi
  rm -f "$console"
  ((${#remove_at_exit[@]} == 0)) || rm -rf "${remove_at_exit[@]}"
  exit "$status"
}
