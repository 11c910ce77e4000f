#!/usr/bin/env bash
# run.sh: the shipped Fashion-MNIST ViT as a 3-stage pipeline over a real,
# kernel-shaped network. Three network namespaces hold one `edgepipe node`
# each; a hub namespace holds the bridge and the run process (source, sink,
# planner). The link leaving stage 0 (node n0 -> node n1) is shaped by a tc
# tbf qdisc whose rate follows a schedule; edgepipe's own shaper is off
# (links: unlimited), so only the kernel slows the traffic. Root only.
#
#   sudo examples/netns-3/run.sh [options] [edgepipe run options, e.g. --json]
#
# Options (all optional):
#   --schedule S     rates of the shaped link as TIME:MBIT,... [0:100,4:2,8:20,12:100]
#                    (times in seconds from when the pipeline starts: when its
#                    first frames cross the shaped link; the first time is 0)
#   --rate MBIT      a fixed rate instead of a schedule
#   --link K         which link is shaped: the one leaving stage K (0 or 1) [0]
#   --burst-kb B     tbf bucket, KiB [64];  --latency-ms L  tbf queue bound [200]
#   --bits B         quantization of the inter-stage links: adaptive or 0..16 [adaptive]
#   --min-bits/--max-bits  range of adaptive links [2, 16]
#   --count N        images, 0 = all 10,000 [0];  --microbatch M [16];  --window W [2]
#   --synthetic      seeded random images instead of Fashion-MNIST
#   --slow I:AT:PCT  AT seconds after the pipeline starts, node nI gets PCT% of one
#                    core (examples/replan/slow_node.sh, a cgroup CPU quota)
#   --link-csv FILE  every 0.5 s, the shaped link as the kernel sees it:
#                    time_s,rate_mbps,passed_mbps,backlog_bytes,drops
#   --id ID          run id in the namespace names ep-ID-* [the shell's pid]
#   --keep DIR       write the topology and node logs to DIR and keep them
#   --edgepipe PATH  the program [build/cli/edgepipe of this checkout]
# Anything else is passed to `edgepipe run`. Exit code: edgepipe run's.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source-path=SCRIPTDIR
source "$here/netns.sh"

schedule="0:100,4:2,8:20,12:100"
rate=""
link=0
burst_kb=64
latency_ms=200
bits=adaptive
min_bits=2
max_bits=16
count=0
microbatch=16
window=2
synthetic=0
slow=""
link_csv=""
run_id=$$
keep=""
edgepipe=${EDGEPIPE:-$repo/build/cli/edgepipe}
passthrough=()

usage() { sed -n '2,/^set -u/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --schedule) schedule=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --link) link=$2; shift 2 ;;
    --burst-kb) burst_kb=$2; shift 2 ;;
    --latency-ms) latency_ms=$2; shift 2 ;;
    --bits) bits=$2; shift 2 ;;
    --min-bits) min_bits=$2; shift 2 ;;
    --max-bits) max_bits=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --microbatch) microbatch=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    --synthetic) synthetic=1; shift ;;
    --slow) slow=$2; shift 2 ;;
    --link-csv) link_csv=$2; shift 2 ;;
    --id) run_id=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --edgepipe) edgepipe=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) passthrough+=("$1"); shift ;;
  esac
done
[[ -n $rate ]] && schedule="0:$rate"
[[ $synthetic -eq 1 && $count -eq 0 ]] && count=2000 # synthetic inputs need a count
if [[ ! $link =~ ^[01]$ ]]; then
  ep_log "--link: expected 0 or 1 (the link leaving stage 0 or stage 1), got '$link'"
  exit 2
fi
if [[ ! $schedule =~ ^0(\.0*)?:[0-9.]+(,[0-9.]+:[0-9.]+)*$ ]]; then
  ep_log "--schedule: expected TIME:MBIT,... starting at time 0, got '$schedule'"
  exit 2
fi
if [[ -n $slow && ! $slow =~ ^[012]:[0-9.]+:[0-9]+$ ]]; then
  ep_log "--slow: expected NODE:SECONDS:PERCENT with NODE 0, 1 or 2, got '$slow'"
  exit 2
fi
ep_netns_check || exit 1
if [[ ! -x $edgepipe ]]; then
  ep_log "no program at $edgepipe: build it (cmake --build build --target edgepipe) or pass --edgepipe"
  exit 1
fi

work=${keep:-$(mktemp -d /tmp/ep-netns3.XXXXXX)}
mkdir -p "$work"
schedule_pid=""
slow_pid=""
sampler_pid=""
# shellcheck disable=SC2317 # reached through the EXIT trap
cleanup() {
  trap - EXIT INT TERM
  local pid
  # slow_node.sh puts its node back and removes its cgroup on SIGTERM.
  for pid in $slow_pid $schedule_pid $sampler_pid; do
    kill -TERM "$pid" 2> /dev/null
    wait "$pid" 2> /dev/null
  done
  ep_netns_cleanup
  [[ -z $keep ]] && rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. The network and the shaped link (its first rate from the schedule).
ep_netns_create "$run_id" 3 || exit 1
first_rate=${schedule%%,*}
first_rate=${first_rate#*:}
ep_netns_shape_link "$link" "$first_rate" "$burst_kb" "$latency_ms" || exit 1
ep_log "link leaving stage $link (into node n$((link + 1))): tbf $first_rate Mbit/s, burst $burst_kb KiB"

# 2. One node per namespace, listening on its namespace's address.
port=7000
node_pids=()
for i in 0 1 2; do
  ep_netns_start "$(ep_netns_node $i)" "$work/node-n$i.log" \
    "$edgepipe" node --listen "$(ep_netns_node_addr $i):$port" --name "n$i" --threads 1 \
    --model-root "$repo/examples/models/fashion-vit"
  node_pids+=("$EP_NETNS_LAST_PID")
done
for i in 0 1 2; do
  for ((tries = 0; tries < 150; tries++)); do
    grep -q "listening on" "$work/node-n$i.log" 2> /dev/null && break
    sleep 0.1
  done
  if ! grep -q "listening on" "$work/node-n$i.log"; then
    ep_log "node n$i did not come up:"
    cat "$work/node-n$i.log" >&2
    exit 1
  fi
done

# 3. The topology: remote nodes at the namespaces' addresses, an explicit
# 3-stage partition of the 24 planner layers, no emulated shaping.
if [[ $synthetic -eq 1 ]]; then
  data="  synthetic: true"
else
  data="  dataset: /usr/share/datasets/fashion-mnist"
fi
if [[ $bits == adaptive ]]; then
  quant="  bits: adaptive
  min_bits: $min_bits
  max_bits: $max_bits
  clip: ds-aciq"
else
  quant="  bits: $bits"
  [[ $bits != 0 ]] && quant="$quant
  clip: ds-aciq"
fi
cat > "$work/topology.yaml" << EOF
# Written by examples/netns-3/run.sh: nodes in namespaces ep-$run_id-n0..n2.
name: netns-3
nodes:
  - {name: n0, address: $(ep_netns_node_addr 0):$port}
  - {name: n1, address: $(ep_netns_node_addr 1):$port}
  - {name: n2, address: $(ep_netns_node_addr 2):$port}
model:
  dir: $repo/examples/models/fashion-vit
partition:
  - {node: n0, layers: [1, 8]}
  - {node: n1, layers: [9, 16]}
  - {node: n2, layers: [17, 24]}
quantization:
$quant
links:
  rate_mbps: unlimited     # the kernel's tbf shapes, not edgepipe
workload:
$data
  count: $count
  microbatch: $microbatch
  window: $window
runtime:
  connect_timeout_s: 10
  request_timeout_s: 30
EOF

# 4. What happens during the run, on one clock: microseconds since the
# pipeline started, i.e. since the first activation frames crossed the shaped
# link (bash's EPOCHREALTIME, no process per reading). Deploying takes a few
# seconds (more on a busy machine) and must not eat into the schedule.
to_us() { # "2.5" -> 2500000
  local int=${1%%.*} frac=""
  [[ $1 == *.* ]] && frac=${1#*.}
  frac="${frac}000000"
  echo $((10#${int:-0} * 1000000 + 10#${frac:0:6}))
}
# Thousandths as a decimal (2500 -> 2.500), into variable $1: no subshell.
milli() { printf -v "$1" '%d.%03d' $(($2 / 1000)) $(($2 % 1000)); }
# The time since run_t0 as seconds with 3 decimals, into variable $1.
since_t0() { milli "$1" $(((${EPOCHREALTIME/[.,]/} - run_t0) / 1000)); }
run_t0=""
# A background helper sleeps in a child it can kill when told to stop.
sleeper=""
sleep_until_us() {
  local left=$(($1 - ${EPOCHREALTIME/[.,]/}))
  ((left <= 0)) && return 0
  sleep "$((left / 1000000)).$(printf '%06d' $((left % 1000000)))" &
  sleeper=$!
  wait "$sleeper"
  sleeper=""
}
stop_on_term() { trap '[[ -n $sleeper ]] && kill "$sleeper" 2> /dev/null; exit 0' TERM; }

# The rate schedule.
run_schedule() {
  local point at_us mbit at
  stop_on_term
  IFS=, read -ra points <<< "$schedule"
  for point in "${points[@]:1}"; do
    at_us=$(to_us "${point%%:*}")
    mbit=${point#*:}
    sleep_until_us $((run_t0 + at_us))
    ep_netns_set_link_rate "$link" "$mbit" "$burst_kb" "$latency_ms" || continue
    since_t0 at
    ep_log "t=${at}s: link leaving stage $link now $mbit Mbit/s"
  done
}

# A node made slow mid-run: its process into a cgroup with a CPU quota.
slow_later() {
  local node=$1 at=$2 percent=$3
  stop_on_term
  sleep_until_us $((run_t0 + $(to_us "$at")))
  trap - TERM
  since_t0 at
  ep_log "t=${at}s: node n$node slowed to $percent% of one core"
  exec "$repo/examples/replan/slow_node.sh" "${node_pids[$node]}" "$percent"
}

# The kernel's view of the shaped link every 0.5 s: its rate and what it let
# through since the previous sample.
sample_link() {
  local next prev_t prev_bytes t rate bytes backlog drops at rate_mbps passed_mbps
  stop_on_term
  echo "time_s,rate_mbps,passed_mbps,backlog_bytes,drops" > "$link_csv"
  prev_t=${EPOCHREALTIME/[.,]/}
  read -r rate prev_bytes backlog drops < <(ep_netns_link_sample "$link")
  next=$run_t0
  for (( ; ; )); do
    next=$((next + 500000))
    sleep_until_us "$next"
    read -r rate bytes backlog drops < <(ep_netns_link_sample "$link")
    t=${EPOCHREALTIME/[.,]/}
    # bytes * 8 / microseconds = Mbit/s; kept in thousandths.
    milli at $(((t - run_t0) / 1000))
    milli rate_mbps $((rate * 8 / 1000))
    milli passed_mbps $(((bytes - prev_bytes) * 8000 / (t - prev_t)))
    echo "$at,$rate_mbps,$passed_mbps,$backlog,$drops" >> "$link_csv"
    prev_t=$t
    prev_bytes=$bytes
  done
}

# 5. The run process, in the hub namespace. Waited for in the background so
# that Ctrl-C reaches the trap at once.
ep_netns_start "$(ep_netns_hub)" - "$edgepipe" run "$work/topology.yaml" "${passthrough[@]}"
run_pid=$EP_NETNS_LAST_PID

# 6. The clock starts when 32 KiB have crossed the shaped link (the control
# messages of a deployment are far smaller), then the helpers start.
started_bytes=$(ep_netns_link_sample "$link" | awk '{ print $2 }')
while kill -0 "$run_pid" 2> /dev/null; do
  bytes=$(ep_netns_link_sample "$link" | awk '{ print $2 }')
  ((bytes - started_bytes > 32768)) && break
  sleep 0.05
done
run_t0=${EPOCHREALTIME/[.,]/}
ep_log "t=0: the pipeline is running (first frames crossed the shaped link)"
if [[ $schedule == *,* ]]; then
  run_schedule &
  schedule_pid=$!
fi
if [[ -n $slow ]]; then
  IFS=: read -r slow_node slow_at slow_percent <<< "$slow"
  slow_later "$slow_node" "$slow_at" "$slow_percent" &
  slow_pid=$!
fi
if [[ -n $link_csv ]]; then
  sample_link &
  sampler_pid=$!
fi

wait "$run_pid"
rc=$?
ep_netns_forget "$run_pid"
ep_log "tbf on the link leaving stage $link: $(ep_netns_link_stats "$link")"
exit "$rc"
