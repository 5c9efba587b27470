#!/usr/bin/env bash
# A copy of the team's shared harness (../shared/tools/peer-ingest/peer-ingest.sh, 2026-11-30) with one change: the
# server stage picks its ports when it starts (see stage_server). Picked at the script's start, they were sometimes held
# by then by the Node-RED stage's many loopback connections, and the server stage's InfluxDB died at start. And every
# stage also notes the publishers' own CPU (pub_cpu) and the whole host's busy CPU against cores × seconds (host_cpu),
# so a stage's rate can be read against the CPU the machine had left for it; the server's CPU also names the part its
# runtime's tiered-compilation (JIT) thread had ("server_cpu=8.2s (jit 1.1s)").
# peer-ingest.sh - ingest benchmark on this machine, one run, one message stream:
#   stage "broker":  mosquitto's own QoS1 ceiling (mosquitto_pub -> mosquitto -> mosquitto_sub, shared sub)
#   stage "nodered": peer pipeline mosquitto -> Node-RED (mqtt in -> function -> influxdb out) -> InfluxDB 1.x
#   stage "server":  the project's server (HaTangSo.Telemetry.Server) mosquitto -> server -> InfluxDB 1.x,
#                    with its probe registry and quarantine in a throwaway PostgreSQL cluster
# All stages publish the same N hts.result.v1 messages (K probes) the same way; each ingest stage has a
# fresh InfluxDB of its own. Results are dated from two days ago (the server refuses startedAt older than
# 90 days or more than 10 minutes ahead), one a minute per probe.
#
# usage: peer-ingest.sh [--results N] [--probes K] [--keep] [--only broker|nodered|server]
#                       [--publishers P] [--timeout S] [--stall S] [--server-src DIR | --server-dll FILE]
#   --results N     messages / results to push (default 200000)
#   --probes K      distinct probes, one topic and one data file each (default 500)
#   --keep          keep the run dir (data, logs, configs) under /tmp/hts-peers/run.XXXX
#   --only STAGE    run only one stage
#   --publishers P  mosquitto_pub processes running at once (default 16; one per probe file). Each
#                   `mosquitto_pub -l` costs ~0.2 s fixed (its exit wait) whatever the file size, so a
#                   few at once only measure that; on 2 cores 16 gave the highest broker rate (8: ~16k/s,
#                   32 and more: CPU contention). 1, 2, 4 offer ~1.9k, 3.9k, 7.8k msgs/s: a paced load.
#   --timeout S     per-stage limit in seconds (default 1200)
#   --stall S       nodered, server: stop early when publishing is done and the count has not moved for S s
#                   (default 60)
#   --server-src DIR  a checkout of the project: its committed HEAD is published (dotnet publish -c Release)
#                   into /tmp/hts-peers/server/<commit> once and reused (default: the git checkout holding the
#                   current directory, if it has the server project)
#   --server-dll FILE  run this build of HaTangSo.Telemetry.Server.dll instead
# Lost points (Node-RED acks the MQTT message, then the InfluxDB write fails) are reported, not fatal.
# The server runs as shipped (appsettings.json of its build) with: plaintext anonymous broker, a throwaway
# operator API key, probes p00001.. registered through its API in commune 18409 with a 1-minute schedule (its
# rate limit then admits 244 results per link and hour; the stream has 60), Jobs:Enabled=false (no Hangfire:
# rollups and compliance are not ingestion, and Node-RED has none). PostgreSQL runs as user postgres when root.
# Touches only 127.0.0.1, /tmp/hts-peers (Node-RED install cache in /tmp/hts-peers/nodered, server builds in
# /tmp/hts-peers/server) and processes it starts.
set -euo pipefail

RESULTS=200000 PROBES=500 KEEP=0 ONLY=all PAR=16 TIMEOUT=1200 STALL=60 SERVER_SRC= SERVER_DLL=
NODE_RED_VERSION=4.1.15          # 5.x needs node >= 22.9; this machine has node 20
INFLUX_NODE_VERSION=0.7.0
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit "${1:-0}"; }
while (($#)); do
  case $1 in
    --results) RESULTS=${2:?}; shift 2 ;;
    --probes) PROBES=${2:?}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --only) ONLY=${2:?}; shift 2 ;;
    --publishers) PAR=${2:?}; shift 2 ;;
    --timeout) TIMEOUT=${2:?}; shift 2 ;;
    --stall) STALL=${2:?}; shift 2 ;;
    --server-src) SERVER_SRC=${2:?}; shift 2 ;;
    --server-dll) SERVER_DLL=${2:?}; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage 2 ;;
  esac
done
[[ $RESULTS =~ ^[1-9][0-9]*$ && $PROBES =~ ^[1-9][0-9]*$ && $PAR =~ ^[1-9][0-9]*$ ]] || { echo "--results/--probes/--publishers must be positive integers" >&2; exit 2; }
[[ $TIMEOUT =~ ^[1-9][0-9]*$ && $STALL =~ ^[1-9][0-9]*$ ]] || { echo "--timeout/--stall must be positive integers" >&2; exit 2; }
case $ONLY in all|broker|nodered|server) ;; *) echo "--only takes broker, nodered or server" >&2; exit 2 ;; esac
((PROBES <= RESULTS)) || PROBES=$RESULTS
for c in mosquitto mosquitto_pub mosquitto_sub influxd curl jq python3 node npm stdbuf setsid; do
  command -v "$c" >/dev/null || { echo "missing: $c" >&2; exit 1; }
done
stage_on() { [[ $ONLY == all || $ONLY == "$1" ]]; }
if stage_on server; then
  for c in dotnet git sha256sum pgrep; do command -v "$c" >/dev/null || { echo "missing: $c (stage server)" >&2; exit 1; }; done
  # PostgreSQL's own programs (not Debian's wrappers): the initdb on PATH, else the newest /usr/lib/postgresql/*/bin
  PGBIN=$(command -v initdb >/dev/null && dirname "$(readlink -f "$(command -v initdb)")" || ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  for c in initdb postgres pg_isready psql; do [[ -x $PGBIN/$c ]] || { echo "missing: PostgreSQL's $c (stage server)" >&2; exit 1; }; done
  PG_AS=()   # PostgreSQL refuses to run as root; setpriv execs in place, so $! is postgres itself
  if ((EUID == 0)); then
    id postgres >/dev/null 2>&1 && command -v setpriv >/dev/null || { echo "stage server as root needs user postgres and setpriv" >&2; exit 1; }
    PG_AS=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  fi
  if [[ -n $SERVER_DLL ]]; then
    [[ -f $SERVER_DLL ]] || { echo "--server-dll: no such file: $SERVER_DLL" >&2; exit 2; }
    SERVER_DLL=$(readlink -f "$SERVER_DLL")
  else
    SERVER_SRC=${SERVER_SRC:-$(git rev-parse --show-toplevel 2>/dev/null || true)}
    SERVER_PROJ=$( [[ -n $SERVER_SRC ]] && git -C "$SERVER_SRC" ls-files '*/HaTangSo.Telemetry.Server.csproj' 2>/dev/null | head -1 || true)
    [[ -n $SERVER_PROJ ]] || { echo "stage server: no HaTangSo.Telemetry.Server project in ${SERVER_SRC:-this directory}; give --server-src DIR (a checkout of the project), --server-dll FILE, or --only broker|nodered" >&2; exit 2; }
  fi
fi

BASE=/tmp/hts-peers
NR=$BASE/nodered
mkdir -p "$BASE"
W=$(mktemp -d "$BASE/run.XXXX")
chmod 755 "$W"            # mosquitto drops to its own user; it only needs to read its config
T_SCRIPT=$EPOCHREALTIME
PIDS=()                   # processes (or, for publishers, process groups as -PGID) this script started

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
now() { echo "$EPOCHREALTIME"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "n/a" }'; }
HZ=$(getconf CLK_TCK)
# the host's busy CPU s (user, nice, system, irq, softirq, steal of every core) since boot
host_s() { awk -v hz="$HZ" '/^cpu / { printf "%.2f", ($2 + $3 + $4 + $7 + $8 + $9) / hz; exit }' /proc/stat; }
# "host_cpu=X.Xs/Y.Ys": busy CPU s of the whole host between two host_s readings, against cores × the seconds between
# them (a stalled stage's include its wait for the count to move)
host_note() { awk -v a="$1" -v b="$2" -v s="$3" -v n="$(nproc)" 'BEGIN { printf "host_cpu=%.1fs/%.1fs", b - a, s * n }'; }
cpu_s() { [[ -r /proc/$1/stat ]] && awk -v hz="$HZ" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat" || echo 0; }  # user+sys s
# user+sys s of the .NET runtime's tiered-compilation thread of PID (the JIT's background work): 0 when there is none
jit_s() {
  local t c=0
  for t in /proc/"$1"/task/*; do
    [[ $(cat "$t/comm" 2>/dev/null) == ".NET Tiered Com"* ]] || continue
    c=$(sed 's/^.*) //' "$t/stat" | awk -v hz="$HZ" -v a="$c" '{ printf "%.2f", a + ($12 + $13) / hz }')
  done
  echo "$c"
}

stop_pid() {   # stop_pid PID|-PGID: TERM (postgres: INT, its fast shutdown), up to 10 s, then KILL
  local p=$1 i sig=TERM
  [[ $p == "${PG_PID:-}" ]] && sig=INT
  kill -"$sig" -- "$p" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do kill -0 -- "$p" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL -- "$p" 2>/dev/null || true
}
untrack() { local i; for i in "${!PIDS[@]}"; do [[ ${PIDS[i]} == "$1" ]] && unset 'PIDS[i]'; done; return 0; }  # once reaped
cleanup() {
  local rc=$? i idx
  trap - EXIT INT TERM
  idx=("${!PIDS[@]}")
  for ((i = ${#idx[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[idx[i]]}"; done
  wait 2>/dev/null || true
  if ((KEEP)); then log "kept $W"; else rm -rf "$W"; fi
  log "script wall time $(secs "$T_SCRIPT" "$(now)") s"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# free loopback ports, all bound at once so they are distinct
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))
EOF
}
wait_for() {   # wait_for SECONDS PID DESCRIPTION COMMAND...: poll COMMAND every 0.2 s while PID lives
  local limit=$1 pid=$2 what=$3 i; shift 3
  for ((i = 0; i < limit * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { log "$what: process $pid died"; return 1; }
    sleep 0.2
  done
  log "$what: not ready after ${limit}s"; return 1
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

read -r MQTT_PORT NR_INFLUX_PORT NR_INFLUX_RPC_PORT NR_PORT SRV_INFLUX_PORT SRV_INFLUX_RPC_PORT PG_PORT SRV_PORT < <(free_ports 8)

# ---------------------------------------------------------------- the server build (stage server)
# The committed HEAD of --server-src, published once per commit into $BASE/server/<commit>; no build servers
# are left running (--disable-build-servers). Built before any stage, so it never overlaps a measurement.
build_server() {
  [[ -n $SERVER_DLL ]] && { log "server: $SERVER_DLL"; return 0; }
  local commit out tmp
  commit=$(git -C "$SERVER_SRC" rev-parse HEAD)
  out=$BASE/server/$commit
  [[ -n $(git --no-optional-locks -C "$SERVER_SRC" status --porcelain --untracked-files=no 2>/dev/null) ]] &&
    log "server: $SERVER_SRC has uncommitted changes; benchmarking its HEAD ${commit:0:12} without them"
  if [[ ! -f $out/bin/HaTangSo.Telemetry.Server.dll ]]; then
    log "server: publishing ${commit:0:12} of $SERVER_SRC ($SERVER_PROJ) into $out"
    mkdir -p "$BASE/server"
    tmp=$(mktemp -d "$BASE/server/build.XXXX")
    mkdir "$tmp/src"
    git -C "$SERVER_SRC" archive --format=tar "$commit" | tar -x -C "$tmp/src"
    dotnet publish "$tmp/src/$SERVER_PROJ" -c Release -o "$tmp/bin" -nologo -v q --disable-build-servers \
      >"$W/server-build.log" 2>&1 || { log "server build failed, see $W/server-build.log"; rm -rf "$tmp"; KEEP=1; exit 1; }
    rm -rf "$tmp/src"
    mv -T "$tmp" "$out" 2>/dev/null || rm -rf "$tmp"   # another run may have built it meanwhile
  fi
  SERVER_DLL=$out/bin/HaTangSo.Telemetry.Server.dll
  log "server: ${commit:0:12} built in $out/bin"
}
stage_on server && build_server

# ---------------------------------------------------------------- messages
log "generating $RESULTS results for $PROBES probes"
mkdir -p "$W/msgs"
GEN=$(python3 - "$RESULTS" "$PROBES" "$W/msgs" <<'EOF'
import datetime, os, sys, uuid
n, k, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
# Recent results: the server refuses startedAt older than 90 days or more than 10 minutes ahead. They start two
# days ago, floored to the minute (earlier when a probe's last result would otherwise be less than an hour ago).
span = datetime.timedelta(minutes=-(-n // k))
now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
base = now - max(datetime.timedelta(days=2), span + datetime.timedelta(hours=1))
if now - base > datetime.timedelta(days=89):
    print("warning: %d results a probe span %s; the server will quarantine those older than 90 days" % (-(-n // k), span),
          file=sys.stderr)
print("startedAt %s .. %s" % (base.strftime("%Y-%m-%dT%H:%MZ"), (base + span).strftime("%Y-%m-%dT%H:%MZ")))
tmpl = ('{"schema":"hts.result.v1","resultId":"%s","probeId":"%s",'
        '"link":{"name":"fixed","access":"fixed","operator":"VNPT","technology":"ftth"},'
        '"server":"lc-dc-1","startedAt":"%s","durationMs":21000,"status":"ok","downloadMbps":%.1f,'
        '"uploadMbps":%.1f,"latencyMs":%.1f,"jitterMs":%.1f,"lossPct":%.1f,"loadedLatencyMs":%.1f,'
        '"agentVersion":"1.0.0"}\n')
with open(os.path.join(out, "list"), "w") as lst:
    for p in range(k):
        pid = "p%05d" % (p + 1)
        cnt = n // k + (1 if p < n % k else 0)
        rows = []
        for j in range(cnt):   # one result a minute per probe, probes offset by p ms: unique startedAt
            t = base + datetime.timedelta(minutes=j, milliseconds=p)
            g = p * 131 + j
            rows.append(tmpl % (uuid.uuid4(), pid, t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000),
                                50 + g % 500 / 10, 20 + g % 300 / 10, 5 + g % 90 / 10, g % 30 / 10, g % 7 / 10,
                                20 + g % 400 / 10))
        f = os.path.join(out, pid + ".jsonl")
        with open(f, "w") as fh:
            fh.writelines(rows)
        lst.write("hts/v1/probes/%s/results %s\n" % (pid, f))
EOF
)
log "  $GEN"
[[ $(cat "$W"/msgs/*.jsonl | wc -l) -eq $RESULTS ]] || { log "generator wrote the wrong number of lines"; exit 1; }

# ---------------------------------------------------------------- mosquitto
cat >"$W/mosquitto.conf" <<EOF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
persistence false
# never drop QoS1 messages queued for a slow or offline session
max_queued_messages 0
max_queued_bytes 0
# no broker-side cap on outgoing in-flight QoS1; the subscriber's receive-maximum rules
max_inflight_messages 0
log_dest stdout
log_type error
log_type warning
log_type notice
log_type information
log_type subscribe
log_timestamp_format %Y-%m-%dT%H:%M:%S
EOF
stdbuf -oL mosquitto -c "$W/mosquitto.conf" >"$W/mosquitto.log" 2>&1 &
MOSQ_PID=$!; PIDS+=("$MOSQ_PID")
wait_for 20 "$MOSQ_PID" mosquitto grep -q 'mosquitto version .* running' "$W/mosquitto.log"
log "mosquitto pid $MOSQ_PID on 127.0.0.1:$MQTT_PORT"

subscribed() { grep -qF "$1 1 $2" "$W/mosquitto.log"; }   # log_type subscribe: "<clientid> <qos> <filter>"

# publish every probe file with mosquitto_pub -l, PAR processes at once, QoS1, MQTT v5.
# Runs in its own process group so cleanup can stop the whole tree. Sets PUB_RC and T_PUB_END (the time the
# last mosquitto_pub exited, stamped by the publishing shell itself).
cat >"$W/publish.sh" <<'EOF'
# publish.sh JOBS PAR STAMP: one mosquitto_pub -l per line "topic file port" of JOBS, PAR at once
xargs -P "$2" -n 3 sh -c 'exec mosquitto_pub -V 5 -h 127.0.0.1 -p "$2" -q 1 -l -t "$0" < "$1"' <"$1"
rc=$?; echo "$EPOCHREALTIME" >"$3"; times >"$3.times"; exit "$rc"
EOF
publish_all() {
  awk -v port="$MQTT_PORT" '{ print $1, $2, port }' "$W/msgs/list" >"$W/msgs/jobs"
  PUB_END_FILE=$W/pub-$1.end; rm -f "$PUB_END_FILE"
  setsid bash "$W/publish.sh" "$W/msgs/jobs" "$PAR" "$PUB_END_FILE" 2>"$W/pub-$1.err" &
  PUB_PID=$!; PIDS+=("-$PUB_PID")
}
publish_wait() {
  PUB_RC=0; wait "$PUB_PID" || PUB_RC=$?; untrack "-$PUB_PID"
  T_PUB_END=$(cat "$PUB_END_FILE" 2>/dev/null || now)
  # the publishers' user+sys s: the second line of the publishing shell's `times` (its children: xargs and mosquitto_pub)
  PUB_CPU=$(awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } printf "%.1f", t }' \
    "$PUB_END_FILE.times" 2>/dev/null || echo "?")
}

declare -a ROWS=() ERRS=()
row() { ROWS+=("$(printf '%-22s %9s %9s %11s  %s' "$@")"); }

# ---------------------------------------------------------------- stage: broker ceiling
stage_broker() {
  log "stage broker: $RESULTS msgs, $PAR publishers, 1 shared-subscription subscriber"
  local id=ceil-sub filter='$share/ceil/hts/v1/probes/+/results' sub_pid t0 t1 got uniq c0 c1 h0 h1 th1 rc=0
  mosquitto_sub -V 5 -h 127.0.0.1 -p "$MQTT_PORT" -i "$id" -q 1 -D connect receive-maximum 1000 \
    -t "$filter" -C "$RESULTS" -W "$TIMEOUT" >"$W/ceil.out" 2>"$W/ceil.err" &
  sub_pid=$!; PIDS+=("$sub_pid")
  wait_for 20 "$sub_pid" "ceiling subscriber" subscribed "$id" "$filter"
  c0=$(cpu_s "$MOSQ_PID"); h0=$(host_s)
  t0=$(now)
  publish_all broker
  wait "$sub_pid" || rc=$?
  t1=$(now); untrack "$sub_pid"
  publish_wait
  c1=$(cpu_s "$MOSQ_PID"); h1=$(host_s); th1=$(now)
  got=$(wc -l <"$W/ceil.out")
  uniq=$({ grep -o '"resultId":"[^"]*"' "$W/ceil.out" || true; } | sort -u | wc -l)
  local s; s=$(secs "$t0" "$t1")
  local note="unique=$uniq broker_cpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN{printf "%.1f", b-a}')s pub_cpu=${PUB_CPU}s $(host_note "$h0" "$h1" "$(secs "$t0" "$th1")")"
  ((rc == 0)) || note+=" sub_rc=$rc"
  ((PUB_RC == 0)) || note+=" pub_rc=$PUB_RC"
  if ((got == RESULTS && uniq == RESULTS)); then note="exact; $note"; else note="MISMATCH got=$got; $note"; fi
  row "broker QoS1 ceiling" "$got" "$s" "$(rate "$got" "$s")" "$note"
  log "stage broker: $got msgs in $s s ($note)"
}

# ---------------------------------------------------------------- influxdb (a fresh one per ingest stage)
INFLUX_PID= INFLUX_PORT=
start_influx() {   # start_influx NAME HTTP_PORT RPC_PORT: influxd in $W/influxdb-NAME; sets INFLUX_PID, INFLUX_PORT (the current one)
  local d=$W/influxdb-$1
  INFLUX_PORT=$2
  mkdir -p "$d"
  cat >"$d/influxdb.conf" <<EOF
reporting-disabled = true
bind-address = "127.0.0.1:$3"
[meta]
  dir = "$d/meta"
  logging-enabled = false
[data]
  dir = "$d/data"
  wal-dir = "$d/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:$INFLUX_PORT"
  log-enabled = false
  pprof-enabled = false
[logging]
  level = "warn"
  suppress-logo = true
[continuous_queries]
  enabled = false
[subscriber]
  enabled = false
EOF
  influxd -config "$d/influxdb.conf" >"$W/influxd-$1.log" 2>&1 &
  INFLUX_PID=$!; PIDS+=("$INFLUX_PID")
  wait_for 60 "$INFLUX_PID" influxd curl -sf -o /dev/null "http://127.0.0.1:$INFLUX_PORT/ping"
  log "influxd ($1) pid $INFLUX_PID on 127.0.0.1:$INFLUX_PORT"
}
stop_influx() { stop_pid "$INFLUX_PID"; untrack "$INFLUX_PID"; INFLUX_PID=; }
influx_q() { curl -sf -m 30 -XPOST "http://127.0.0.1:$INFLUX_PORT/query" --data-urlencode db=hatangso --data-urlencode "q=$1"; }
influx_count() {   # influx_count FROM -> number of points with a result_id in FROM ("m" or "rp"."m"); fails when InfluxDB does not answer
  local r; r=$(influx_q "SELECT COUNT(result_id) FROM $1") || return 1
  jq -r '.results[0].series[0].values[0][1] // 0' <<<"$r"
}

# Wait until FROM holds RESULTS points, polling every second; stop at TIMEOUT, or STALL s without
# progress once publishing is over. Sets CNT, T_LAST (time the count last grew), WAIT_STATE.
await_points() {
  local m=$1 t0=$2 pub_done=0 last=-1 c t
  T_LAST=$t0; WAIT_STATE=timeout; CNT=0
  while :; do
    t=$(now)
    if c=$(influx_count "$m") && [[ $c =~ ^[0-9]+$ ]]; then
      if ((c != last)); then last=$c; T_LAST=$t; fi
      CNT=$c
    else c=$CNT; fi
    if ((pub_done == 0)) && ! kill -0 "$PUB_PID" 2>/dev/null; then publish_wait; pub_done=1; log "  publishing done after $(secs "$t0" "$T_PUB_END") s"; fi
    ((c >= RESULTS)) && { WAIT_STATE=complete; break; }
    awk -v a="$t0" -v b="$t" -v l="$TIMEOUT" 'BEGIN { exit !(b - a >= l) }' && break
    if ((pub_done)) && awk -v a="$T_LAST" -v b="$t" -v l="$STALL" 'BEGIN { exit !(b - a >= l) }'; then WAIT_STATE=stalled; break; fi
    [[ -n ${3:-} ]] && ! kill -0 "$3" 2>/dev/null && { WAIT_STATE="consumer died"; break; }
    sleep 1
  done
  ((pub_done)) || publish_wait
}

# ---------------------------------------------------------------- stage: Node-RED + node-red-contrib-influxdb
install_nodered() {
  if [[ -f $NR/node_modules/node-red/red.js && -f $NR/node_modules/node-red-contrib-influxdb/influxdb.js ]]; then
    log "Node-RED $(jq -r .version "$NR/node_modules/node-red/package.json") cached in $NR"; return 0
  fi
  log "installing node-red@$NODE_RED_VERSION node-red-contrib-influxdb@$INFLUX_NODE_VERSION into $NR"
  mkdir -p "$NR"
  [[ -f $NR/package.json ]] || echo '{"name":"hts-nodered-peer","private":true}' >"$NR/package.json"
  (cd "$NR" && npm install --no-audit --no-fund --loglevel=error \
      "node-red@$NODE_RED_VERSION" "node-red-contrib-influxdb@$INFLUX_NODE_VERSION") >"$W/npm-install.log" 2>&1 \
    || { log "npm install failed, see $W/npm-install.log"; KEEP=1; exit 1; }
}

write_nodered_config() {   # userDir $1
  local u=$1
  mkdir -p "$u"
  cat >"$u/settings.js" <<EOF
module.exports = {
    uiHost: "127.0.0.1",
    uiPort: $NR_PORT,
    userDir: "$u",
    flowFile: "$u/flows.json",
    flowFilePretty: true,
    credentialSecret: false,
    diagnostics: { enabled: false, ui: false },
    telemetry: { enabled: false, updateNotification: false },
    runtimeState: { enabled: false, ui: false },
    externalModules: {
        autoInstall: false,
        palette: { allowInstall: false, allowUpdate: false, allowUpload: false },
        modules: { allowInstall: false }
    },
    editorTheme: { palette: { catalogues: [] }, tours: false, projects: { enabled: false } },
    logging: { console: { level: "info", metrics: false, audit: false } },
    functionExternalModules: false,
    functionTimeout: 0,
    mqttReconnectTime: 1000
};
EOF
  python3 - "$u" "$MQTT_PORT" "$INFLUX_PORT" "$PROBES" <<'EOF'
import json, os, sys
u, mport, iport, k = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
# static probe registry (stands in for the real one): probe i -> province 12, district 105, a commune code
registry = {"p%05d" % i: {"province": "12", "district": "105", "commune": "%05d" % (3000 + i % 97)}
            for i in range(1, k + 1)}
init = "// static probe registry: probeId -> administrative location\ncontext.set('registry', " + \
       json.dumps(registry, separators=(",", ":")) + ");\n"
func = r"""const r = msg.payload;
if (!r || typeof r !== 'object' || r.schema !== 'hts.result.v1' || !r.resultId || !r.probeId || !r.startedAt) {
    node.warn('dropping malformed message on ' + msg.topic);
    return null;
}
const loc = context.get('registry')[r.probeId] || { province: 'unknown', district: 'unknown', commune: 'unknown' };
const link = r.link || {};
msg.measurement = 'speedtest_nodered';
msg.payload = [
    {
        time: Date.parse(r.startedAt),          // written with precision ms
        download_mbps: r.downloadMbps,
        upload_mbps: r.uploadMbps,
        latency_ms: r.latencyMs,
        jitter_ms: r.jitterMs,
        loss_pct: r.lossPct,
        loaded_latency_ms: r.loadedLatencyMs,
        duration_ms: r.durationMs,          // 1.x path of the node writes every number as float
        result_id: r.resultId
    },
    {
        province: loc.province, district: loc.district, commune: loc.commune,
        probe: r.probeId, access: link.access, operator: link.operator, technology: link.technology,
        server: r.server, status: r.status
    }
];
return msg;
"""
flows = [
    {"id": "hts_tab", "type": "tab", "label": "hts ingest", "disabled": False, "info": ""},
    {"id": "hts_broker", "type": "mqtt-broker", "name": "local mosquitto", "broker": "127.0.0.1", "port": mport,
     "clientid": "nodered-peer", "autoConnect": True, "usetls": False, "protocolVersion": "5", "keepalive": "60",
     "cleansession": True, "autoUnsubscribe": True,
     "birthTopic": "", "birthQos": "0", "birthRetain": "false", "birthPayload": "", "birthMsg": {},
     "closeTopic": "", "closeQos": "0", "closeRetain": "false", "closePayload": "", "closeMsg": {},
     "willTopic": "", "willQos": "0", "willRetain": "false", "willPayload": "", "willMsg": {},
     "userProps": "", "sessionExpiry": ""},
    {"id": "hts_influx", "type": "influxdb", "hostname": "127.0.0.1", "port": iport, "protocol": "http",
     "database": "hatangso", "name": "local influxdb", "usetls": False, "tls": "", "influxdbVersion": "1.x",
     "url": "", "timeout": "10", "rejectUnauthorized": True},
    {"id": "hts_in", "type": "mqtt in", "z": "hts_tab", "name": "hts results",
     "topic": "$share/nodered/hts/v1/probes/+/results", "qos": "1", "datatype": "json", "broker": "hts_broker",
     "nl": False, "rap": True, "rh": 0, "inputs": 0, "x": 120, "y": 80, "wires": [["hts_map"]]},
    {"id": "hts_map", "type": "function", "z": "hts_tab", "name": "map to speedtest", "func": func,
     "outputs": 1, "timeout": 0, "noerr": 0, "initialize": init, "finalize": "", "libs": [],
     "x": 330, "y": 80, "wires": [["hts_out"]]},
    {"id": "hts_out", "type": "influxdb out", "z": "hts_tab", "influxdb": "hts_influx", "name": "speedtest_nodered",
     "measurement": "speedtest_nodered", "precision": "ms", "retentionPolicy": "", "database": "database",
     "precisionV18FluxV20": "ms", "retentionPolicyV18Flux": "", "org": "organisation", "bucket": "bucket",
     "x": 560, "y": 80, "wires": []},
]
with open(os.path.join(u, "flows.json"), "w") as f:
    json.dump(flows, f, indent=2)
# Node-RED reads credentials from <userDir>/<flowbase>_cred.json; plain JSON because credentialSecret is false
with open(os.path.join(u, "flows_cred.json"), "w") as f:
    json.dump({"hts_influx": {"username": "", "password": ""}}, f)
EOF
}

stage_nodered() {
  install_nodered
  start_influx nodered "$NR_INFLUX_PORT" "$NR_INFLUX_RPC_PORT"
  influx_q 'CREATE DATABASE hatangso' >/dev/null
  local u=$W/nodered filter='$share/nodered/hts/v1/probes/+/results' nr_pid t0 s n ic0 ic1 mc0 mc1 nc h0 h1 th1 hwm errs note top
  write_nodered_config "$u"
  node "$NR/node_modules/node-red/red.js" --settings "$u/settings.js" --userDir "$u" >"$W/nodered.log" 2>&1 &
  nr_pid=$!; PIDS+=("$nr_pid")
  wait_for 90 "$nr_pid" "Node-RED http" port_open "$NR_PORT"
  wait_for 60 "$nr_pid" "Node-RED mqtt subscription" subscribed nodered-peer "$filter"
  grep -q 'Started flows' "$W/nodered.log" || { log "Node-RED did not start its flows"; KEEP=1; exit 1; }
  if grep -qiE 'missing node types|Waiting for missing types' "$W/nodered.log"; then log "Node-RED misses node types, see $W/nodered.log"; KEEP=1; exit 1; fi
  log "stage nodered: Node-RED $(jq -r .version "$NR/node_modules/node-red/package.json") pid $nr_pid subscribed; $RESULTS msgs, $PAR publishers"
  ic0=$(cpu_s "$INFLUX_PID"); mc0=$(cpu_s "$MOSQ_PID"); h0=$(host_s)
  t0=$(now)
  publish_all nodered
  await_points '"speedtest_nodered"' "$t0" "$nr_pid"
  ic1=$(cpu_s "$INFLUX_PID"); mc1=$(cpu_s "$MOSQ_PID"); nc=$(cpu_s "$nr_pid"); h1=$(host_s); th1=$(now)
  hwm=$(awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$nr_pid/status" 2>/dev/null || echo "?")
  errs=$(grep -c '\[error\]' "$W/nodered.log" || true)
  # most frequent error texts, e.g. "No host available" when the influx client has put InfluxDB on back-off
  top=$(grep -o '\[error\] .*' "$W/nodered.log" | sed 's/^\[error\] \[[^]]*\] //' | sort | uniq -c | sort -rn | head -3 |
        awk '{ c = $1; $1 = ""; sub(/^ /, ""); printf "%s%s x%d", (NR > 1 ? ", " : ""), $0, c }' || true)
  n=$CNT
  s=$(secs "$t0" "$T_LAST")   # time of the poll that saw the final count
  note="$WAIT_STATE; lost=$((RESULTS - n)) pub=$(secs "$t0" "$T_PUB_END")s after_pub=$(secs "$T_PUB_END" "$T_LAST")s node_cpu=${nc}s peak_rss=${hwm}MiB"
  note+=" influxd_cpu=$(awk -v a="$ic0" -v b="$ic1" 'BEGIN{printf "%.1f", b-a}')s broker_cpu=$(awk -v a="$mc0" -v b="$mc1" 'BEGIN{printf "%.1f", b-a}')s node_errors=$errs"
  note+=" pub_cpu=${PUB_CPU}s $(host_note "$h0" "$h1" "$(secs "$t0" "$th1")")"
  ((PUB_RC == 0)) || note+=" pub_rc=$PUB_RC"
  row "nodered -> influxdb" "$n" "$s" "$(rate "$n" "$s")" "$note"
  log "stage nodered: $n points in $s s ($note)"
  [[ -n $top ]] && { ERRS+=("nodered errors: $top"); log "  Node-RED errors: $top"; }
  stop_pid "$nr_pid"; untrack "$nr_pid"
  stop_influx   # this stage's InfluxDB: its compactions must not run into the next stage
}

# ---------------------------------------------------------------- stage: the project's server
PG_PID=
pg_q() { "$PGBIN/psql" -X -q -At -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "${2:-hatangso}" -c "$1"; }
start_postgres() {   # a throwaway cluster in $W/postgres on 127.0.0.1:$PG_PORT (trust, loopback only), database hatangso
  local d=$W/postgres
  mkdir -p "$d"
  ((EUID == 0)) && chown postgres:postgres "$d"
  "${PG_AS[@]}" "$PGBIN/initdb" -D "$d/data" -A trust -U postgres -E UTF8 --no-locale --no-sync >"$W/initdb.log" 2>&1 \
    || { log "initdb failed, see $W/initdb.log"; KEEP=1; exit 1; }
  "${PG_AS[@]}" "$PGBIN/postgres" -D "$d/data" -p "$PG_PORT" -k "$d" -c listen_addresses=127.0.0.1 >"$W/postgres.log" 2>&1 &
  PG_PID=$!; PIDS+=("$PG_PID")
  wait_for 60 "$PG_PID" postgres "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
  pg_q 'CREATE DATABASE hatangso' postgres
  log "postgres $("$PGBIN/postgres" -V | awk '{ print $3 }') pid $PG_PID on 127.0.0.1:$PG_PORT, database hatangso"
}
tree_cpu() {   # user+sys s of PID, of the children it reaped and of its live children (postgres: the backends)
  local t c
  t=$([[ -r /proc/$1/stat ]] && sed 's/^.*) //' "/proc/$1/stat" | awk -v hz="$HZ" '{ printf "%.2f", ($12 + $13 + $14 + $15) / hz }' || echo 0)
  for c in $(pgrep -P "$1" || true); do t=$(awk -v a="$t" -v b="$(cpu_s "$c")" 'BEGIN { printf "%.2f", a + b }'); done
  echo "$t"
}
influx_rp_ready() { influx_q 'SHOW RETENTION POLICIES ON hatangso' | grep -q '"hts_results"'; }

register_probes() {   # register_probes URL KEY: PUT /api/probes/p00001.. (8 at once); fails unless every answer is 204
  HTS_KEY=$2 python3 - "$1" "$PROBES" <<'EOF'
import concurrent.futures, json, os, sys, urllib.error, urllib.request
url, k, key = sys.argv[1], int(sys.argv[2]), os.environ["HTS_KEY"]
body = json.dumps({"communeCode": "18409", "description": "peer-ingest benchmark probe", "scheduleMinutes": 1,
                   "links": [{"name": "fixed", "access": "fixed", "operator": "VNPT", "technology": "ftth"}]}).encode()
def put(i):
    req = urllib.request.Request("%s/api/probes/p%05d" % (url, i), data=body, method="PUT",
                                 headers={"X-Api-Key": key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, ""
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")[:300]
with concurrent.futures.ThreadPoolExecutor(8) as ex:
    answers = list(ex.map(put, range(1, k + 1)))
bad = [(i + 1, a) for i, a in enumerate(answers) if a[0] != 204]
if bad:
    print("%d of %d registrations failed, first: p%05d %s %s" % (len(bad), k, bad[0][0], bad[0][1][0], bad[0][1][1]), file=sys.stderr)
    sys.exit(1)
EOF
}

stage_server() {
  # ports picked now, not at the script's start: the Node-RED stage's many connections may hold the ones picked then
  read -r SRV_INFLUX_PORT SRV_INFLUX_RPC_PORT PG_PORT SRV_PORT < <(free_ports 4)
  start_influx server "$SRV_INFLUX_PORT" "$SRV_INFLUX_RPC_PORT"   # the server creates database and retention policy
  start_postgres
  local url=http://127.0.0.1:$SRV_PORT id=hts-peer-server filter='$share/hts-ingest/hts/v1/probes/+/results'
  local key hash srv_pid t0 s n q uniq sc0 sc1 jc0 jc1 ic0 ic1 mc0 mc1 pc0 pc1 h0 h1 th1 hwm warns note top r
  key=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')   # a throwaway operator key for this run
  hash=$(printf %s "$key" | sha256sum | cut -d' ' -f1)
  mkdir -p "$W/server-secrets"   # Secrets:Directory: empty, so no secret file of this machine (/run/secrets) applies
  env -u CREDENTIALS_DIRECTORY -u OTEL_EXPORTER_OTLP_ENDPOINT \
    ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS="$url" \
    ConnectionStrings__Postgres="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=hatangso" \
    Influx__Url="http://127.0.0.1:$INFLUX_PORT" Mqtt__Host=127.0.0.1 Mqtt__Port="$MQTT_PORT" Mqtt__ClientId="$id" \
    Api__Keys__0__Name=peer-ingest Api__Keys__0__Role=operator Api__Keys__0__Sha256="$hash" \
    Secrets__Directory="$W/server-secrets" Jobs__Enabled=false Logging__Console__FormatterName=simple \
    dotnet "$SERVER_DLL" --contentRoot "$(dirname "$SERVER_DLL")" >"$W/server.log" 2>&1 &
  srv_pid=$!; PIDS+=("$srv_pid")   # env and dotnet exec in place: this is the server process
  wait_for 120 "$srv_pid" "server health" curl -sf -o /dev/null "$url/health" || { KEEP=1; exit 1; }
  wait_for 30 "$srv_pid" "server mqtt subscription" subscribed "$id" "$filter" || { KEEP=1; exit 1; }
  wait_for 30 "$srv_pid" "server's InfluxDB retention policy" influx_rp_ready || { KEEP=1; exit 1; }
  t0=$(now)
  register_probes "$url" "$key" || { log "probe registration failed, see $W/server.log"; KEEP=1; exit 1; }
  r=$(curl -sf -m 30 -H "X-Api-Key: $key" "$url/api/probes" | jq length) || r=0
  ((r == PROBES)) || { log "the server lists $r probes, not $PROBES"; KEEP=1; exit 1; }
  log "stage server: pid $srv_pid healthy and subscribed; $PROBES probes registered in $(secs "$t0" "$(now)") s; $RESULTS msgs, $PAR publishers"
  sc0=$(cpu_s "$srv_pid"); jc0=$(jit_s "$srv_pid"); ic0=$(cpu_s "$INFLUX_PID"); mc0=$(cpu_s "$MOSQ_PID"); pc0=$(tree_cpu "$PG_PID"); h0=$(host_s)
  t0=$(now)
  publish_all server
  await_points '"hts_results"."speedtest"' "$t0" "$srv_pid"
  sc1=$(cpu_s "$srv_pid"); jc1=$(jit_s "$srv_pid"); ic1=$(cpu_s "$INFLUX_PID"); mc1=$(cpu_s "$MOSQ_PID"); pc1=$(tree_cpu "$PG_PID"); h1=$(host_s); th1=$(now)
  hwm=$(awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$srv_pid/status" 2>/dev/null || echo "?")
  n=$CNT
  s=$(secs "$t0" "$T_LAST")   # time of the poll that saw the final count
  q=$(pg_q 'SELECT coalesce(sum(occurrences), 0) FROM quarantine' || echo "?")
  uniq=$(influx_q 'SELECT COUNT(DISTINCT(result_id)) FROM "hts_results"."speedtest"' | jq -r '.results[0].series[0].values[0][1] // 0' || echo "?")
  warns=$(grep -cE '^(warn|fail|crit): ' "$W/server.log" || true)
  # quarantine reasons by kind (the text before the first ':'), most frequent first, with one full example each
  top=$(pg_q "SELECT regexp_replace(reason, ':.*', ''), sum(occurrences), min(reason) FROM quarantine GROUP BY 1 ORDER BY 2 DESC LIMIT 3" |
        awk -F'|' '{ printf "%s%s x%d", (NR > 1 ? ", " : ""), $1, $2; if ($3 != $1) printf " (e.g. %s)", $3 }' || true)
  note="$WAIT_STATE; unique=$uniq lost=$((RESULTS - n - ${q//\?/0})) quarantined=$q pub=$(secs "$t0" "$T_PUB_END")s after_pub=$(secs "$T_PUB_END" "$T_LAST")s"
  note+=" server_cpu=$(awk -v a="$sc0" -v b="$sc1" 'BEGIN{printf "%.1f", b-a}')s (jit $(awk -v a="$jc0" -v b="$jc1" 'BEGIN{printf "%.1f", b-a}')s) peak_rss=${hwm}MiB"
  note+=" influxd_cpu=$(awk -v a="$ic0" -v b="$ic1" 'BEGIN{printf "%.1f", b-a}')s broker_cpu=$(awk -v a="$mc0" -v b="$mc1" 'BEGIN{printf "%.1f", b-a}')s"
  note+=" postgres_cpu=$(awk -v a="$pc0" -v b="$pc1" 'BEGIN{printf "%.1f", b-a}')s server_warnings=$warns"
  note+=" pub_cpu=${PUB_CPU}s $(host_note "$h0" "$h1" "$(secs "$t0" "$th1")")"
  ((PUB_RC == 0)) || note+=" pub_rc=$PUB_RC"
  if [[ $n == "$RESULTS" && $uniq == "$RESULTS" && $q == 0 ]]; then note="exact; $note"; else note="MISMATCH; $note"; fi
  row "server -> influxdb" "$n" "$s" "$(rate "$n" "$s")" "$note"
  log "stage server: $n points in $s s ($note)"
  [[ -n $top ]] && { ERRS+=("server quarantine: $top"); log "  quarantined: $top"; }
  stop_pid "$srv_pid"; untrack "$srv_pid"
  stop_pid "$PG_PID"; untrack "$PG_PID"; PG_PID=
  stop_influx
}

stage_on broker && stage_broker
stage_on nodered && stage_nodered
stage_on server && stage_server

echo
echo "peer-ingest: $RESULTS results, $PROBES probes, $PAR publishers (mosquitto_pub -V 5 -q 1 -l), $(nproc) cores"
printf '%-22s %9s %9s %11s  %s\n' stage results seconds results/s notes
for r in "${ROWS[@]}"; do echo "$r"; done
for r in "${ERRS[@]}"; do echo "$r"; done
