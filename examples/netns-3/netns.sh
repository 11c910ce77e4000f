#!/usr/bin/env bash
# netns.sh: a small private network of Linux network namespaces for edgepipe,
# shaped by the kernel's token bucket filter (tc tbf). Source it for the
# functions, or call it as a command:
#
#   netns.sh check              # exit 0 when root with ip and tc, else say why
#   netns.sh cleanup ID         # remove what a run with this id left (kills its processes)
#
# Layout for a run id ID and N nodes (all inside namespaces this script
# creates; nothing is added to the namespace it is called from):
#
#   ep-ID-hub:  bridge br0 10.77.0.1/24  (the run process lives here)
#               ports p0 .. p{N-1}, one veth end per node
#   ep-ID-nI:   eth0 10.77.0.(10+I)/24   (the other end of pI; node I lives here)
#
# Every packet between two namespaces crosses the bridge, so the egress of
# port pI (in the hub, towards node I) carries everything that reaches node
# I: with stage I on node I that is the frames of the link entering stage I,
# i.e. the link leaving stage I-1, plus a few small control messages from
# the run process. ep_netns_shape_link K shapes the link leaving stage K by
# putting a tbf qdisc on port p(K+1). Acknowledgements flow the other way
# and are not slowed.
#
# Cleanup: ep_netns_cleanup stops every process started with ep_netns_start
# (SIGTERM, then SIGKILL after 5 s), then any process still inside the run's
# namespaces (only this script puts processes there), then deletes the
# namespaces, which removes their veths, bridge and qdiscs with them.

EP_NETNS_SUBNET=10.77.0
EP_NETNS_ID=""
EP_NETNS_NODES=0
EP_NETNS_PIDS=()

ep_log() { echo "[netns] $*" >&2; }

# Root, ip and tc present, bridge and tbf usable: else a clear message, rc 1.
ep_netns_check() {
  if [[ $(id -u) -ne 0 ]]; then
    ep_log "needs root (network namespaces, veth pairs and tc qdiscs); run it with sudo"
    return 1
  fi
  local tool
  for tool in ip tc; do
    if ! command -v "$tool" > /dev/null; then
      ep_log "needs '$tool' (Debian package iproute2)"
      return 1
    fi
  done
  return 0
}

ep_netns_hub() { echo "ep-$EP_NETNS_ID-hub"; }
ep_netns_node() { echo "ep-$EP_NETNS_ID-n$1"; }
ep_netns_hub_addr() { echo "$EP_NETNS_SUBNET.1"; }
ep_netns_node_addr() { echo "$EP_NETNS_SUBNET.$((10 + $1))"; }

# ep_netns_create ID N: the hub and N node namespaces, wired and up.
ep_netns_create() {
  EP_NETNS_ID=$1
  EP_NETNS_NODES=$2
  if [[ ! $EP_NETNS_ID =~ ^[A-Za-z0-9_]+$ ]]; then
    ep_log "run id '$EP_NETNS_ID': expected letters, digits or _"
    return 1
  fi
  if ip netns list | grep -q "^ep-$EP_NETNS_ID-"; then
    ep_log "namespaces ep-$EP_NETNS_ID-* exist already (another run with this id?)"
    return 1
  fi
  local hub i ns
  hub=$(ep_netns_hub)
  ip netns add "$hub" || return 1
  ip -n "$hub" link set lo up || return 1
  ip -n "$hub" link add br0 type bridge || return 1
  ip -n "$hub" addr add "$(ep_netns_hub_addr)/24" dev br0 || return 1
  ip -n "$hub" link set br0 up || return 1
  for ((i = 0; i < EP_NETNS_NODES; i++)); do
    ns=$(ep_netns_node "$i")
    ip netns add "$ns" || return 1
    ip -n "$ns" link set lo up || return 1
    # Created in the hub with its peer moved straight into the node: the
    # short names never meet another run's.
    ip -n "$hub" link add "p$i" type veth peer name eth0 netns "$ns" || return 1
    ip -n "$hub" link set "p$i" master br0 || return 1
    ip -n "$hub" link set "p$i" up || return 1
    ip -n "$ns" addr add "$(ep_netns_node_addr "$i")/24" dev eth0 || return 1
    ip -n "$ns" link set eth0 up || return 1
  done
  ep_log "namespaces $hub and ep-$EP_NETNS_ID-n0..n$((EP_NETNS_NODES - 1)) on $EP_NETNS_SUBNET.0/24"
}

# ep_netns_shape_node I MBIT [BURST_KB] [LATENCY_MS]: tbf on the port into
# node I. The bucket is at least 64 KiB so that a 64 KiB segmentation-offload
# packet fits; latency bounds the queue (limit = rate x latency + burst).
ep_netns_shape_node() {
  local i=$1 mbit=$2 burst_kb=${3:-64} latency_ms=${4:-200}
  tc -n "$(ep_netns_hub)" qdisc replace dev "p$i" root tbf rate "${mbit}mbit" \
    burst "${burst_kb}kb" latency "${latency_ms}ms"
}

# ep_netns_shape_link K MBIT [BURST_KB] [LATENCY_MS]: the link leaving stage K
# (stage K on node K).
ep_netns_shape_link() {
  local k=$1
  shift
  ep_netns_shape_node "$((k + 1))" "$@"
}

# ep_netns_set_link_rate K MBIT: a new rate on a shaped link, same bucket.
ep_netns_set_link_rate() {
  local k=$1 mbit=$2 burst_kb=${3:-64} latency_ms=${4:-200}
  tc -n "$(ep_netns_hub)" qdisc change dev "p$((k + 1))" root tbf rate "${mbit}mbit" \
    burst "${burst_kb}kb" latency "${latency_ms}ms"
}

# ep_netns_link_stats K: "sent BYTES bytes PKTS pkts dropped D overlimits O"
# of the tbf on the link leaving stage K.
ep_netns_link_stats() {
  tc -n "$(ep_netns_hub)" -s qdisc show dev "p$(($1 + 1))" |
    sed -n 's/^ *Sent \([0-9]*\) bytes \([0-9]*\) pkt (dropped \([0-9]*\), overlimits \([0-9]*\).*/sent \1 bytes \2 pkts dropped \3 overlimits \4/p'
}

# ep_netns_link_sample K: "RATE_BYTES_PER_S SENT_BYTES BACKLOG_BYTES DROPS"
# of the tbf on the link leaving stage K, from tc's JSON output.
ep_netns_link_sample() {
  tc -n "$(ep_netns_hub)" -s -j qdisc show dev "p$(($1 + 1))" |
    sed -n 's/.*"rate":\([0-9]*\).*"bytes":\([0-9]*\).*"drops":\([0-9]*\).*"backlog":\([0-9]*\).*/\1 \2 \4 \3/p'
}

# ep_netns_start NS LOG CMD...: CMD in namespace NS in the background, output
# to LOG (- : this shell's stdout and stderr); its pid is remembered for
# cleanup and left in EP_NETNS_LAST_PID. `ip netns exec` execs CMD in place,
# so the pid is CMD's own.
ep_netns_start() {
  local ns=$1 log=$2
  shift 2
  if [[ $log == - ]]; then
    ip netns exec "$ns" "$@" &
  else
    ip netns exec "$ns" "$@" > "$log" 2>&1 &
  fi
  EP_NETNS_LAST_PID=$!
  EP_NETNS_PIDS+=("$EP_NETNS_LAST_PID")
}

# ep_netns_forget PID: a process that ended and was waited for (its pid may
# be reused: never signal it again).
ep_netns_forget() {
  local remaining=() pid
  for pid in "${EP_NETNS_PIDS[@]}"; do [[ $pid != "$1" ]] && remaining+=("$pid"); done
  EP_NETNS_PIDS=("${remaining[@]}")
}

# Stops the given pids: SIGTERM, up to 5 s, then SIGKILL.
ep_netns_stop_pids() {
  local pid alive tries
  [[ $# -eq 0 ]] && return 0
  for pid in "$@"; do kill -TERM "$pid" 2> /dev/null; done
  for ((tries = 0; tries < 50; tries++)); do
    alive=0
    for pid in "$@"; do kill -0 "$pid" 2> /dev/null && alive=1; done
    [[ $alive -eq 0 ]] && break
    sleep 0.1
  done
  for pid in "$@"; do kill -KILL "$pid" 2> /dev/null; done
  for pid in "$@"; do wait "$pid" 2> /dev/null; done
  return 0
}

# ep_netns_cleanup_id ID: everything of run ID, whoever started it.
ep_netns_cleanup_id() {
  local id=$1 ns pids
  for ns in $(ip netns list | awk '{print $1}' | grep "^ep-$id-"); do
    pids=$(ip netns pids "$ns" 2> /dev/null)
    # shellcheck disable=SC2086 # one pid per word
    [[ -n $pids ]] && ep_netns_stop_pids $pids
    ip netns del "$ns" 2> /dev/null || ep_log "could not delete namespace $ns"
  done
}

# Everything this shell created: its processes first, then the namespaces.
ep_netns_cleanup() {
  ep_netns_stop_pids "${EP_NETNS_PIDS[@]}"
  EP_NETNS_PIDS=()
  [[ -n $EP_NETNS_ID ]] && ep_netns_cleanup_id "$EP_NETNS_ID"
  return 0
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  case ${1:-} in
    check) ep_netns_check ;;
    cleanup)
      [[ -n ${2:-} ]] || { echo "usage: $0 cleanup ID" >&2; exit 2; }
      ep_netns_check || exit 1
      ep_netns_cleanup_id "$2"
      ;;
    *)
      echo "usage: $0 check | cleanup ID   (or source it for the ep_netns_* functions)" >&2
      exit 2
      ;;
  esac
fi
