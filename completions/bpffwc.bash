# bash completion for bpffwc(1). Installed as share/bash-completion/completions/bpffwc.
# Completes subcommands, options, -t and --emit values, --packet words, pin paths under /sys/fs/bpf
# (for every option and subcommand taking a PIN; with -t, stats/set/watch/log take a cgroup instead), cgroup directories (relative to the cgroup2
# mount, read from /proc/self/mountinfo, or absolute), and for `set PIN` the parameter names the
# pinned program declares, and for `show PIN --set` its set names (both read with `bpffwc show PIN`,
# which needs root; otherwise none).
# Works with or without the bash-completion package (_init_completion is used when present).

_bpffwc_subcommands="load cache attach detach show test diff stats set watch log status"

# Options that take a value, per command: the word after one of them is that value, not a positional.
_bpffwc_takes_value() {
  case $1 in
    -o | --pin | --emit | -O | --output | --attach | -t | --type | --replace | --param | -p | --packet | \
      --set | --set-file | --set-capacity | --allow-empty | --interval | --count | --match | --config-dir | --pin-dir) return 0 ;;
  esac
  return 1
}

_bpffwc_cgroup2_mount() {
  local line fields
  while read -r line; do
    [[ $line == *" - cgroup2 "* ]] || continue
    read -ra fields <<<"$line"
    printf '%s\n' "${fields[4]}"
    return
  done </proc/self/mountinfo
}

# CGROUP: self, a directory relative to the cgroup2 mount, or an absolute directory.
_bpffwc_cgroups() {
  local cur=$1 mount dir i
  if [[ $cur == /* ]]; then
    compopt -o filenames 2>/dev/null
    COMPREPLY+=($(compgen -d -- "$cur"))
    return
  fi
  COMPREPLY+=($(compgen -W "self" -- "$cur"))
  mount=$(_bpffwc_cgroup2_mount)
  [[ -n $mount ]] || return
  while IFS= read -r dir; do
    COMPREPLY+=("${dir#"$mount"/}/")
  done < <(compgen -d -- "$mount/$cur")
  for i in "${!COMPREPLY[@]}"; do
    [[ ${COMPREPLY[i]} == */ ]] && compopt -o nospace 2>/dev/null
  done
}

# PIN: a file on bpffs, /sys/fs/bpf/ when nothing is typed yet.
_bpffwc_pins() {
  local cur=$1
  [[ -z $cur ]] && cur=/sys/fs/bpf/
  compopt -o filenames 2>/dev/null
  COMPREPLY+=($(compgen -f -- "$cur"))
}

# PROGRAM of stats, set and watch: a pin, id:N (nothing to offer for N), or with -t a cgroup.
_bpffwc_program() {
  local cur=$1 word
  for word in "${words[@]}"; do
    if [[ $word == -t || $word == --type ]]; then
      _bpffwc_cgroups "$cur"
      return
    fi
  done
  [[ $cur == id:* ]] && return
  _bpffwc_pins "$cur"
}

# NAME= for `set PIN`: the parameters line of `bpffwc show PIN` ("parameters  mtu=1500 limit=-1").
_bpffwc_parameters() {
  local pin=$1 cur=$2 line item names=()
  [[ -n $pin ]] || return
  while IFS= read -r line; do
    [[ $line == "parameters "* ]] || continue
    for item in ${line#parameters }; do
      [[ $item == *=* ]] && names+=("${item%%=*}=")
    done
  done < <(command bpffwc show "$pin" 2>/dev/null)
  ((${#names[@]})) || return
  COMPREPLY+=($(compgen -W "${names[*]}" -- "$cur"))
  compopt -o nospace 2>/dev/null
}

# NAME for `show PIN --set`: the sets line of `bpffwc show PIN` ("sets        ports (3 integers), blocklist (2 prefixes)").
_bpffwc_set_names() {
  local pin=$1 cur=$2 line item names=()
  [[ -n $pin ]] || return
  while IFS= read -r line; do
    [[ $line == "sets "* ]] || continue
    for item in ${line#sets }; do
      [[ $item != "("* && $item != *")"* ]] && names+=("$item")
    done
  done < <(command bpffwc show "$pin" 2>/dev/null)
  ((${#names[@]})) || return
  COMPREPLY+=($(compgen -W "${names[*]}" -- "$cur"))
}

_bpffwc() {
  local cur prev words cword
  if declare -F _init_completion >/dev/null; then
    _init_completion -n = || return
  else
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
  fi
  COMPREPLY=()

  # The subcommand, if any (the first word), and the positionals typed after it (option values skipped).
  local subcommand= positionals=() i word double_dash=
  for ((i = 1; i < cword; i++)); do
    word=${words[i]}
    if [[ -n $double_dash ]]; then
      positionals+=("$word")
    elif [[ $word == -- ]]; then
      double_dash=1
    elif _bpffwc_takes_value "$word"; then
      ((i++))
    elif [[ $word == -* ]]; then
      :
    elif ((i == 1)) && [[ " $_bpffwc_subcommands " == *" $word "* ]]; then
      # a subcommand is only ever the first word (elsewhere such a word is an expression)
      subcommand=$word
    else
      positionals+=("$word")
    fi
  done

  case $prev in
    -p | --packet)
      if [[ $cur == sock=* ]]; then
        COMPREPLY=($(compgen -P sock= -W "none tcp-listen tcp-syn-sent tcp-established tcp-closed udp
          udp-connected other" -- "${cur#sock=}"))
        return
      fi
      COMPREPLY=($(compgen -W "ipv4 ipv6 arp ethertype= ihl= options= frag= mf version= hbh routing frag
        dstopts ah ttl= dscp= ecn= flow= tcp udp icmp icmpv6 esp nonext proto= src= dst= sport= dport= flags= type= code= sock=
        payload= len= cut= uid= hex:" -- "$cur"))
      [[ ${COMPREPLY[*]} == *[=:]* ]] && compopt -o nospace 2>/dev/null
      return ;;
    -t | --type) COMPREPLY=($(compgen -W "ingress egress" -- "$cur")); return ;;
    --emit) COMPREPLY=($(compgen -W "ast llvm asm obj bundle" -- "$cur")); return ;;
    -o | --pin | --replace | --replace-everywhere) _bpffwc_pins "$cur"; return ;;
    --config-dir | --pin-dir) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")); return ;;
    -O | --output | -f | --file) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --attach) _bpffwc_cgroups "$cur"; return ;;
    --set)
      # show PIN --set NAME: the program's sets; elsewhere NAME=ITEMS is free text
      [[ ${words[1]} == show ]] && _bpffwc_set_names "${positionals[0]}" "$cur"
      return ;;
    --param | --set-file | --set-capacity | --allow-empty | --interval | --count | --match) return ;;  # a name or a number: nothing to offer
  esac

  local options
  case $subcommand in
    attach | detach)
      [[ $subcommand == attach ]] && options="-t --type --replace-all --allow-host-wide -h --help" || options="-t --type --all -h --help"
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
      elif ((${#positionals[@]} == 0)); then
        _bpffwc_cgroups "$cur"
      elif ((${#positionals[@]} == 1)); then
        _bpffwc_pins "$cur"
      fi
      ;;
    load)
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "-o --pin --force --replace-everywhere --attach -t --type --replace --replace-all
          --allow-host-wide --no-socket-programs -h --help" -- "$cur"))
      elif ((${#positionals[@]} == 0)); then
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
      fi
      ;;
    cache)
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "-h --help" -- "$cur"))
      elif ((${#positionals[@]} == 0)); then
        COMPREPLY=($(compgen -W "show clear" -- "$cur"))
      fi
      ;;
    status)
      [[ $cur == -* ]] && COMPREPLY=($(compgen -W "--json --config-dir --pin-dir -h --help" -- "$cur"))
      ;;
    show)
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--json --set --match -h --help" -- "$cur"))
      elif ((${#positionals[@]} == 0)); then
        # a cgroup, self, or a pin on bpffs
        if [[ $cur == /sys/fs/bpf* ]]; then
          _bpffwc_pins "$cur"
        else
          _bpffwc_cgroups "$cur"
          [[ -z $cur || /sys/fs/bpf/ == "$cur"* ]] && COMPREPLY+=(/sys/fs/bpf/) && compopt -o nospace 2>/dev/null
        fi
      fi
      ;;
    test)
      [[ $cur == -* ]] && COMPREPLY=($(compgen -W "-p --packet --pcap --local -f --file -t --type --param --set --set-file --allow-empty --interpret --why --json -h --help --" -- "$cur"))
      ;;
    diff)
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--pcap --local -t --type --json -h --help" -- "$cur"))
      else
        COMPREPLY=($(compgen -f -- "$cur"))
      fi
      ;;
    stats | watch | log)
      case $subcommand in
        stats) options="--all --json --prometheus --output -t --type -h --help" ;;
        log) options="--json --journal --new-only --all -t --type -h --help" ;;
        *) options="--interval --count --json -t --type -h --help" ;;
      esac
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$options" -- "$cur"))
      elif ((${#positionals[@]} == 0)); then
        _bpffwc_program "$cur"
      fi
      ;;
    set)
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "-t --type --allow-empty --save -h --help" -- "$cur"))
      elif ((${#positionals[@]} == 0)); then
        _bpffwc_program "$cur"
      elif [[ $cur != *=* && $prev != = ]]; then
        _bpffwc_parameters "${positionals[0]}" "$cur"
      fi
      ;;
    *)
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "-o --pin --force --replace-everywhere -f --file --emit -O --output --check --no-cache --attach -t --type --replace
          --replace-all --allow-host-wide --no-socket-programs --refuse-bind --param --set --set-file --allow-empty --set-capacity --no-counters --log --log-limit --audit -h --help --version --" -- "$cur"))
      elif ((cword == 1)); then
        # the first word may be a subcommand; an expression is free text, nothing to offer
        COMPREPLY=($(compgen -W "$_bpffwc_subcommands" -- "$cur"))
      fi
      ;;
  esac
}

complete -F _bpffwc bpffwc
