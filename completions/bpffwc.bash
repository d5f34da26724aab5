# bash completion for bpffwc(1). Installed as share/bash-completion/completions/bpffwc.
# Completes options, subcommands, -t and --emit values, pin paths under /sys/fs/bpf, and cgroup
# directories (relative to the cgroup2 mount, read from /proc/self/mountinfo, or absolute).

_bpffwc_cgroup2_mount() {
  local line fields
  while read -r line; do
    [[ $line == *" - cgroup2 "* ]] || continue
    read -ra fields <<<"$line"
    printf '%s\n' "${fields[4]}"
    return
  done </proc/self/mountinfo
}

_bpffwc_cgroups() {
  local cur=$1 mount
  if [[ $cur == /* ]]; then
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -d -- "$cur"))
    return
  fi
  mount=$(_bpffwc_cgroup2_mount)
  COMPREPLY=($(compgen -W "self" -- "$cur"))
  [[ -n $mount ]] || return
  local dir
  while IFS= read -r dir; do
    COMPREPLY+=("${dir#"$mount"/}")
  done < <(compgen -d -- "$mount/$cur")
  compopt -o nospace 2>/dev/null
  local i
  for i in "${!COMPREPLY[@]}"; do
    [[ ${COMPREPLY[i]} != self ]] && COMPREPLY[i]+=/
  done
}

_bpffwc_pins() {
  local cur=$1
  [[ -z $cur ]] && cur=/sys/fs/bpf/
  compopt -o filenames 2>/dev/null
  COMPREPLY=($(compgen -f -- "$cur"))
}

_bpffwc() {
  local cur prev words cword
  if declare -F _init_completion >/dev/null; then
    _init_completion || return
  else
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
  fi

  local subcommand= i
  for ((i = 1; i < cword; i++)); do
    case ${words[i]} in
      detach | show | test) subcommand=${words[i]}; break ;;
    esac
  done

  case $prev in
    -p | --packet) COMPREPLY=($(compgen -W "ipv4 ipv6 arp tcp udp icmp icmpv6 hbh routing dstopts frag ah
      esp nonext mf sport= dport= payload= len= cut= hex:" -- "$cur")); return ;;
    -t | --type) COMPREPLY=($(compgen -W "ingress egress" -- "$cur")); return ;;
    --emit) COMPREPLY=($(compgen -W "ast llvm asm obj" -- "$cur")); return ;;
    -o | --pin | --replace) _bpffwc_pins "$cur"; return ;;
    -O | --output) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --attach) _bpffwc_cgroups "$cur"; return ;;
  esac

  case $subcommand in
    detach)
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "-t --type --all -h --help" -- "$cur"))
      elif [[ ${words[cword - 1]} == detach ]]; then
        _bpffwc_cgroups "$cur"
      else
        _bpffwc_pins "$cur"
      fi
      return
      ;;
    test)
      [[ $cur == -* ]] && COMPREPLY=($(compgen -W "-p --packet --interpret -h --help" -- "$cur"))
      return
      ;;
    show)
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "-h --help" -- "$cur"))
      else
        _bpffwc_cgroups "$cur"
      fi
      return
      ;;
  esac

  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "-o --pin --force --emit -O --output --check --attach -t --type --replace
      -h --help --version" -- "$cur"))
  elif ((cword == 1)); then
    COMPREPLY=($(compgen -W "detach show test" -- "$cur"))
  fi
}

complete -F _bpffwc bpffwc
