#!/usr/bin/env bash
# The event time vs processing time walk-through (README: "The event time
# vs processing time walk-through"), against a local InfluxDB:
#   1. version 1 of the job reads an hour of backlog, goes live, lives
#      through an outage; a savepoint `older` is taken early on;
#   2. it is stopped with a savepoint `upgrade`, and version 2 (a new field
#      in its state: each window's delivery delay) starts from it;
#   3. history since `older` is reprocessed by version 2;
#   4. the counts are read back: event time exact, processing time not.
#
# Usage: apps/walkthrough/event-vs-processing-time.sh [--quick]
#   --quick        30 s of history and a 30-second run instead of an hour and 150 s
# Environment:
#   WEIR           the weir binary (default: build/bin/weir, then weir on PATH)
#   INFLUX_URL     an InfluxDB 1.x to use (default: start influxd on a free loopback
#                  port in a temporary directory, stopped at the end)
#   WORK           where the state and logs go (default: a temporary directory,
#                  removed at the end when every check passed)
# Exit status: 0 when every event-time window holds exactly its device's rate.
set -euo pipefail

history=3600 catch_up=60 outage_at=80 outage=10 run=150
case "${1:-}" in
  --quick) history=30 catch_up=10 outage_at=6 outage=3 run=30 ;;
  "") ;;
  *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac

here="$(cd "$(dirname "$0")/../.." && pwd)"
weir="${WEIR:-$here/build/bin/weir}"
[ -x "$weir" ] || weir="$(command -v weir || true)"
[ -n "$weir" ] || { echo "$0: no weir binary: build it (cmake --build build) or set WEIR" >&2; exit 2; }
command -v curl >/dev/null || { echo "$0: curl is missing: apt install curl" >&2; exit 2; }
own_work=""
if [ -z "${WORK:-}" ]; then
  work="$(mktemp -d -t weir-walkthrough.XXXXXX)"
  own_work=1
else
  work="$WORK"
  rm -rf "$work/state" "$work/influxdb" # a run before this one's; nothing else of WORK is touched
fi
mkdir -p "$work"
state="$work/state"
db=weir_demo
influxd_pid=""
job_pid=""

cleanup() {
  local code=$?
  [ -n "$job_pid" ] && kill "$job_pid" 2>/dev/null || true
  [ -n "$influxd_pid" ] && kill "$influxd_pid" 2>/dev/null && wait "$influxd_pid" 2>/dev/null || true
  if [ "$code" = 0 ] && [ -n "$own_work" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*"; }
fail() { echo "$0: $*" >&2; exit 1; }

# Polls `$@` every 0.2 s until it succeeds, for at most $timeout seconds.
wait_for() {
  local timeout=$1 what=$2
  shift 2
  for _ in $(seq $((timeout * 5))); do
    "$@" >/dev/null 2>&1 && return 0
    if [ -n "$job_pid" ] && ! kill -0 "$job_pid" 2>/dev/null; then
      fail "the job ended while waiting for $what (logs in $work)"
    fi
    sleep 0.2 # a condition to ask about, not an event to wait on
  done
  echo "$0: gave up waiting for $what after ${timeout} s (logs in $work)" >&2
  exit 1
}

free_port() { # not $1, a port already handed out
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 40000))
    [ "$p" = "${1:-}" ] && continue
    (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  echo "$0: no free port" >&2
  exit 1
}

influx_ping() { curl -sf -o /dev/null "$url/ping"; }

# InfluxQL `$1` as CSV (name,tags,time,columns...).
influx_csv() { curl -sf -G -H 'Accept: application/csv' "$url/query" --data-urlencode "db=$db" --data-urlencode "q=$1"; }

url="${INFLUX_URL:-}"
# Starts influxd on two free ports; true once it answers. A port found free
# can be taken by another program before influxd binds it: then influxd
# exits, and the caller tries other ports.
start_influxd() {
  port=$(free_port)
  cat >"$work/influxdb.conf" <<EOF
reporting-disabled = true
bind-address = "127.0.0.1:$(free_port "$port")"
[meta]
  dir = "$work/influxdb/meta"
[data]
  dir = "$work/influxdb/data"
  wal-dir = "$work/influxdb/wal"
[http]
  bind-address = "127.0.0.1:$port"
  log-enabled = false
EOF
  influxd -config "$work/influxdb.conf" >"$work/influxd.log" 2>&1 &
  influxd_pid=$!
  url="http://127.0.0.1:$port"
  for _ in $(seq 150); do # 30 s
    influx_ping && return 0
    kill -0 "$influxd_pid" 2>/dev/null || { wait "$influxd_pid" || true; influxd_pid=""; return 1; }
    sleep 0.2 # a server is only known ready by asking
  done
  fail "influxd at $url did not answer within 30 s (log: $work/influxd.log)"
}

if [ -z "$url" ]; then
  command -v influxd >/dev/null || { echo "$0: influxd is missing: apt install influxdb, or set INFLUX_URL" >&2; exit 2; }
  for attempt in 1 2 3 4 5; do
    start_influxd && break
    [ "$attempt" = 5 ] && fail "influxd exited five times: $(tail -n 1 "$work/influxd.log")"
  done
  say "InfluxDB started at $url (database $db)"
fi
if [ -z "$influxd_pid" ]; then # the user's server: a database of this run's own, nothing else touched
  db="weir_walkthrough_$(date +%s)"
  influx_ping || fail "no InfluxDB answers at $url/ping"
  echo "   using InfluxDB at $url, database $db (new)"
fi

job=(event-vs-processing-time --influx "$url" --influx-db "$db" --state-dir "$state" --quiet
     --history-s "$history" --catch-up "$catch_up" --outage-at-s "$outage_at" --outage-s "$outage" --run-s "$run"
     --influxdb-url "$url" --influxdb-db "$db" --ui-port 0)

say "1. version 1: $history s of backlog read at ${catch_up}x, then live; outage at $outage_at s for $outage s"
"$weir" run "${job[@]}" --version 1 --fresh >"$work/v1.log" 2>&1 &
job_pid=$!
wait_for 60 "the job's control endpoint" "$weir" job status --state-dir "$state"
grep -o 'dashboard at [^ ]*' "$work/v1.log" | sed 's/^/   Weir'"'"'s own /' || true
"$weir" savepoint create --state-dir "$state" --name older | sed 's/^/   /'
echo "   savepoint 'older' taken while the backlog is read: what follows it is history to reprocess"

# Committed event-time windows of device a, once the outage is over.
past_outage() {
  local n
  n=$(influx_csv "SELECT count(\"count\") FROM events_per_second WHERE domain='event' AND device='a'" | awk -F, 'NR==2 {print $4}')
  [ "${n:-0}" -ge $((history + outage_at + outage + 2)) ]
}
wait_for $((history / catch_up + outage_at + outage + 60)) "the outage to pass" past_outage

say "2. upgrade: stop version 1 with savepoint 'upgrade', start version 2 from it"
"$weir" job stop --state-dir "$state" --savepoint --name upgrade | sed 's/^/   /'
wait "$job_pid" || fail "version 1 did not stop cleanly: $work/v1.log"
job_pid=""
"$weir" run "${job[@]}" --version 2 --from-savepoint upgrade >"$work/v2.log" 2>&1 || fail "version 2 failed: $work/v2.log"
echo "   version 2 ran to the end of the timeline ($run s after the first start): $(tail -n 1 "$work/v2.log")"

status=0
windows=$((history + run))
summary() {
  influx_csv "SELECT count(\"count\"), min(\"count\"), max(\"count\"), sum(\"count\") FROM events_per_second WHERE domain='$1' GROUP BY device" |
    awk -F, 'NR>1 {sub("device=", "", $2); print $2, $4, $5, $6, $7}'
}
rate_of() { echo $((50 << ($(printf '%d' "'$1") - 97))); }
# Every device has one event-time window a second, each exactly its rate.
check_exact() {
  local device n min max sum rate checked=0
  while read -r device n min max sum; do
    rate=$(rate_of "$device")
    checked=$((checked + 1))
    if [ "$n" != "$windows" ] || [ "$min" != "$rate" ] || [ "$max" != "$rate" ]; then
      echo "   NOT EXACT after $1: device $device has $n event-time windows of $min to $max, not $windows of $rate" >&2
      status=1
    fi
  done < <(summary event)
  [ "$checked" = 3 ] || { echo "   after $1: $checked devices have event-time counts, not 3" >&2; status=1; }
  if [ "$status" = 0 ]; then echo "   after $1: every event-time window exact"; fi
}
check_exact "the upgrade"

say "3. reprocess: version 2 from the older savepoint reads the history since then again"
"$weir" run "${job[@]}" --version 2 --from-savepoint older >"$work/reprocess.log" 2>&1 ||
  fail "the reprocessing failed: $work/reprocess.log"
echo "   $(tail -n 1 "$work/reprocess.log")"

say "4. the counts, per device"
check_exact "the reprocessing"
printf '   %-8s %-6s %s\n' device rate "event time: windows min max | processing time: windows min max total"
while read -r device n min max sum; do
  read -r _ pn pmin pmax psum < <(summary processing | grep "^$device " || echo "$device 0 - - 0")
  printf '   %-8s %-6s %s %s %s | %s %s %s %s\n' "$device" "$(rate_of "$device")" "$n" "$min" "$max" "$pn" "$pmin" "$pmax" "$psum"
  if [ "$psum" -le "$sum" ]; then
    echo "   processing time counted no event twice: the reprocessing did not happen?" >&2
    status=1
  fi
done < <(summary event)
delays=$(influx_csv "SELECT count(\"avg_delay_ms\"), max(\"avg_delay_ms\") FROM events_per_second WHERE domain='event'" | awk -F, 'NR==2 {print $4, $5}')
echo "   version 2's new field: $(echo "$delays" | awk '{printf "%s windows with avg_delay_ms, the highest %.0f ms", $1, $2}')"
[ "${delays%% *}" -gt 0 ] 2>/dev/null || { echo "   no window has version 2's avg_delay_ms" >&2; status=1; }

say "Event-time counts are exact; processing-time counts are whatever the delivery and the job did."
echo "   Grafana: import apps/grafana/event-vs-processing-time.json with an InfluxDB data source on $url, database $db."
echo "   State, savepoints and logs: $work"
exit $status
