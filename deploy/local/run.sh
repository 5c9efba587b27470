#!/usr/bin/env bash
# Runs the whole system on this machine, on loopback, with its data under .local/ in the repository:
# PostgreSQL, InfluxDB 1.x, Mosquitto, the HaTangSo.Telemetry server, the speed-test server and a demo probe
# with two links measuring it: as root through emulated links (tools/linkemu: a 100/40 Mb/s "fixed" line and
# a 30/10 Mb/s "mobile" one), otherwise over loopback. Installs what is missing first. Ctrl-C stops
# everything. Safe to run twice.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
deploy/local/install-deps.sh

state="$root/.local"
mkdir -p "$state"/{postgres,influxdb,mosquitto,logs,probe}
PG_PORT=${HTS_PG_PORT:-15432}
INFLUX_PORT=${HTS_INFLUX_PORT:-18086}
INFLUX_RPC_PORT=${HTS_INFLUX_RPC_PORT:-18088}
MQTT_PORT=${HTS_MQTT_PORT:-11883}
MQTT_TLS_PORT=${HTS_MQTT_TLS_PORT:-18883}
SERVER_URL=${HTS_SERVER_URL:-http://127.0.0.1:8080}
# A development-only operator key for the local stack; production keys are set through the environment.
API_KEY=${HTS_API_KEY:-local-dev-operator-key}
pids=()

stop() {
  trap - INT TERM EXIT
  echo; echo "Stopping ..."
  # Newest first; PostgreSQL takes SIGINT (fast shutdown: it does not wait for clients to leave).
  for ((i=${#pids[@]}-1; i>=0; i--)); do
    if [[ ${pids[i]} == "$pg_pid" ]]; then kill -INT "${pids[i]}" 2>/dev/null || true; else kill -TERM "${pids[i]}" 2>/dev/null || true; fi
    for _ in $(seq 100); do kill -0 "${pids[i]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${pids[i]}" 2>/dev/null || true
  done
  if [[ -n ${lab:-} ]]; then
    tools/linkemu/linkemu down "$lab" >/dev/null 2>&1 || true
    ip link del hts-mgmt 2>/dev/null || true
  fi
  echo "Stopped. Data stays in $state (delete it to start afresh)."
}
trap stop INT TERM EXIT

# PostgreSQL refuses to run as root; setpriv execs in place, so $! below is postgres itself.
pg_user=(); [[ $(id -u) -eq 0 ]] && pg_user=(setpriv --reuid=postgres --regid=postgres --init-groups --)
as_postgres() { "${pg_user[@]}" "$@"; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

echo "== PostgreSQL on 127.0.0.1:$PG_PORT"
[[ $(id -u) -eq 0 ]] && chown -R postgres:postgres "$state/postgres"
if [[ ! -f $state/postgres/data/PG_VERSION ]]; then
  as_postgres "$pgbin/initdb" -D "$state/postgres/data" -A trust -U postgres -E UTF8 --no-locale >"$state/logs/initdb.log"
fi
"${pg_user[@]}" "$pgbin/postgres" -D "$state/postgres/data" -p "$PG_PORT" -k "$state/postgres" \
  -c listen_addresses=127.0.0.1 >"$state/logs/postgres.log" 2>&1 &
pg_pid=$!
pids+=($pg_pid)
for _ in $(seq 100); do as_postgres "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 0.2; done
as_postgres "$pgbin/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='hatangso'" | grep -q 1 \
  || as_postgres "$pgbin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres hatangso

echo "== InfluxDB on 127.0.0.1:$INFLUX_PORT"
cat >"$state/influxdb/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$INFLUX_RPC_PORT"
[meta]
  dir = "$state/influxdb/meta"
[data]
  dir = "$state/influxdb/data"
  wal-dir = "$state/influxdb/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$INFLUX_PORT"
  log-enabled = false
[monitor]
  store-enabled = false
CONF
influxd -config "$state/influxdb/influxdb.conf" >"$state/logs/influxdb.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$INFLUX_PORT/ping" >/dev/null && break; sleep 0.2; done

# The demo probe's links. As root: emulated links in network namespaces, the probe's box in "$lab-c", the
# speed-test server in "$lab-s", and a management veth so the box reaches the broker (10.203.0.1).
lab= speedtest_ip=127.0.0.1 fixed_ip=127.0.0.1 mobile_ip=127.0.0.2 broker_ip=127.0.0.1 client_ns= server_ns=
if [[ $(id -u) -eq 0 && ${HTS_NO_LINKEMU:-} != 1 ]]; then
  tools/linkemu/linkemu down hts >/dev/null 2>&1 || true
  ip link del hts-mgmt 2>/dev/null || true
  if tools/linkemu/linkemu up hts --link fixed:100mbit:40mbit:15 --link mobile:30mbit:10mbit:45 >"$state/linkemu.env" 2>"$state/logs/linkemu.log"; then
    lab=hts
    # shellcheck disable=SC1091
    source "$state/linkemu.env"
    client_ns=$LINKEMU_CLIENT_NS server_ns=$LINKEMU_SERVER_NS speedtest_ip=$LINKEMU_SERVER_IP
    fixed_ip=$LINKEMU_LINK_FIXED_IP mobile_ip=$LINKEMU_LINK_MOBILE_IP broker_ip=10.203.0.1
    ip link add hts-mgmt type veth peer name hts-mgmt-c
    ip link set hts-mgmt-c netns "$client_ns"
    ip addr add 10.203.0.1/30 dev hts-mgmt && ip link set hts-mgmt up
    ip -n "$client_ns" addr add 10.203.0.2/30 dev hts-mgmt-c && ip -n "$client_ns" link set hts-mgmt-c up
    echo "== Emulated links: fixed 100/40 Mb/s 15 ms ($fixed_ip), mobile 30/10 Mb/s 45 ms ($mobile_ip)"
  else
    echo "   linkemu could not build the links (see $state/logs/linkemu.log); the demo probe measures over loopback."
  fi
fi
# For background jobs only: exec, so that $! is the program itself and stop() reaches it.
in_ns() { local ns=$1; shift; if [[ -n $ns ]]; then exec ip netns exec "$ns" "$@"; else exec "$@"; fi; }

# The broker: MQTT over TLS with a local CA (.local/tls), the dynamic-security plugin for per-probe credentials
# and ACLs, and no plaintext listener unless HTS_MQTT_PLAINTEXT=1 (then also on 127.0.0.1:$MQTT_PORT).
echo "== Mosquitto (TLS) on 127.0.0.1:$MQTT_TLS_PORT${HTS_MQTT_PLAINTEXT:+, plaintext on 127.0.0.1:$MQTT_PORT}"
chmod 777 "$state/mosquitto"
mkdir -p "$state/secrets" && chmod 700 "$state/secrets"
secret() { [[ -s $state/secrets/$1 ]] || head -c 24 /dev/urandom | base64 | tr '+/' '-_' >"$state/secrets/$1"; cat "$state/secrets/$1"; }
admin_password=$(secret mqtt-admin)
server_password=$(secret mqtt-server)
deploy/mosquitto/make-local-ca.sh "$state/tls" 127.0.0.1 localhost "$broker_ip" >/dev/null
dynsec="$state/mosquitto/dynamic-security.json"
if [[ ! -s $dynsec ]]; then
  mosquitto_ctrl dynsec init "$dynsec" hts-admin "$admin_password" >/dev/null
fi
[[ $(id -u) -eq 0 ]] && id mosquitto >/dev/null 2>&1 && chown mosquitto "$dynsec"
plugin=$(ls /usr/lib/*/mosquitto_dynamic_security.so /usr/lib/mosquitto_dynamic_security.so 2>/dev/null | head -1 || true)
tls_lines="cafile $state/tls/ca.crt
certfile $state/tls/broker.crt
keyfile $state/tls/broker.key"
{ grep -E '^(max_queued_messages|max_queued_bytes|max_inflight_messages|message_size_limit|persistence) ' deploy/mosquitto/mosquitto.conf
  echo "persistence_location $state/mosquitto/"
  echo "plugin $plugin"
  echo "plugin_opt_config_file $dynsec"
  echo "allow_anonymous false"
  echo "listener $MQTT_TLS_PORT 127.0.0.1"; echo "$tls_lines"
  if [[ $broker_ip != 127.0.0.1 ]]; then echo "listener $MQTT_TLS_PORT $broker_ip"; echo "$tls_lines"; fi
  if [[ ${HTS_MQTT_PLAINTEXT:-} == 1 ]]; then echo "listener $MQTT_PORT 127.0.0.1"; fi
} >"$state/mosquitto/mosquitto.conf"
mosquitto -c "$state/mosquitto/mosquitto.conf" >"$state/logs/mosquitto.log" 2>&1 &
pids+=($!)

echo "== Building"
dotnet build HaTangSo.Telemetry.sln -c Release -nologo -v quiet -clp:ErrorsOnly

echo "== Server on $SERVER_URL"
key_hash=$(printf %s "$API_KEY" | sha256sum | cut -d' ' -f1)
ConnectionStrings__Postgres="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=hatangso" \
Influx__Url="http://127.0.0.1:$INFLUX_PORT" Mqtt__Port="$MQTT_TLS_PORT" Mqtt__UseTls=true Mqtt__CaCertificatePath="$state/tls/ca.crt" \
Mqtt__ClientId=hts-server-1 Mqtt__Password="$server_password" \
Provisioning__AdminUsername=hts-admin Provisioning__AdminPassword="$admin_password" \
Provisioning__ProbeBrokerHost="$broker_ip" Provisioning__ProbeBrokerPort="$MQTT_TLS_PORT" Provisioning__ProbeCaFile="$state/tls/ca.crt" \
Provisioning__SpeedTestUrl="http://$speedtest_ip:8090/" Provisioning__SpeedTestId=local-speedtest \
Api__Keys__0__Name=local-operator Api__Keys__0__Role=operator Api__Keys__0__Sha256="$key_hash" \
ASPNETCORE_URLS="$SERVER_URL" Logging__Console__FormatterName=simple \
  dotnet src/HaTangSo.Telemetry.Server/bin/Release/net10.0/HaTangSo.Telemetry.Server.dll \
  --contentRoot "$root/src/HaTangSo.Telemetry.Server/bin/Release/net10.0" >"$state/logs/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do curl -sf "$SERVER_URL/health" >/dev/null && break; sleep 0.2; done
curl -sf "$SERVER_URL/health" >/dev/null || { echo "The server did not become healthy; see $state/logs/server.log:"; tail -20 "$state/logs/server.log"; exit 1; }

# The speed-test server the demo probe measures against: registered at start-up from Provisioning:SpeedTestId
# (results naming any other server are quarantined); here with a capacity that fits: 1,000 Mb/s behind the emulated
# links (they carry at most 100 Mb/s), 100,000 Mb/s (the contract's ceiling) over loopback.
capacity=100000; [[ -n $lab ]] && capacity=1000
curl -sf -X PUT "$SERVER_URL/api/servers/local-speedtest" -H "X-Api-Key: $API_KEY" -H 'Content-Type: application/json' \
  -d "{\"name\": \"Máy chủ đo tốc độ cục bộ\", \"baseUrl\": \"http://$speedtest_ip:8090/\", \"capacityMbps\": $capacity}" >/dev/null

# A demo probe in Thạch Hà (Hà Tĩnh) with a fixed line and a 4G modem, enrolled like a real one: the server
# registers it, creates its broker client and role, and answers with its password and configuration file. The
# fixed line's advertised 100/40 Mb/s is the emulated link's; over loopback there is no line, so none is registered
# (a result above 1.5 × the advertised speed would be quarantined as implausible).
advertised=', "advertisedDownloadMbps": 100, "advertisedUploadMbps": 40'; [[ -z $lab ]] && advertised=
HTS_API_KEY="$API_KEY" deploy/probe/enrol.sh "$SERVER_URL" demo-probe-01 "$state/probe" <<JSON >/dev/null
{ "communeCode": "18409", "description": "Local demo probe (Xã Tân Lộc, Thạch Hà)", "scheduleMinutes": 2,
  "links": [
    {"name": "fixed", "access": "fixed", "operator": "VNPT", "technology": "ftth"$advertised},
    {"name": "mobile", "access": "mobile", "operator": "Viettel", "technology": "4g"}
  ]}
JSON
echo "Enrolled probe demo-probe-01 (broker credentials in $state/probe/mqtt-password)."

echo "== Speed-test server on http://$speedtest_ip:8090 (UDP echo :9091)"
speedtest_dir=src/HaTangSo.Telemetry.SpeedTest/bin/Release/net10.0
in_ns "$server_ns" dotnet "$speedtest_dir/HaTangSo.Telemetry.SpeedTest.dll" --contentRoot "$root/$speedtest_dir" \
  --urls "http://$speedtest_ip:8090" --SpeedTest:UdpBindAddress "$speedtest_ip" --SpeedTest:UdpEchoPort 9091 \
  >"$state/logs/speedtest.log" 2>&1 &
pids+=($!)

echo "== Demo probe demo-probe-01: links fixed ($fixed_ip) and mobile ($mobile_ip), every 2 minutes"
# The enrolment's configuration, with what only this machine knows: where the queue and password live, the
# links' addresses, and short tests for a demo.
jq --arg queue "$state/probe/queue.db" --arg password "$state/probe/mqtt-password" --arg fixed "$fixed_ip" --arg mobile "$mobile_ip" '
  .queuePath = $queue | .broker.passwordFile = $password | .broker.statusIntervalSeconds = 60
  | .server.udpPort = 9091 | .test = { "durationSeconds": 8, "warmupSeconds": 2 }
  | .links |= map(.bind = (if .name == "fixed" then $fixed else $mobile end))' \
  "$state/probe/probe.json" >"$state/probe/probe.local.json"
sleep 2
in_ns "$client_ns" dotnet probes/HaTangSo.Telemetry.Probe/bin/Release/net10.0/hts-probe.dll run --config "$state/probe/probe.local.json" \
  >"$state/logs/probe.log" 2>&1 &
pids+=($!)

cat <<INFO

HaTangSo.Telemetry is running:
  health     $SERVER_URL/health
  metrics    $SERVER_URL/metrics
  probes     curl -H "X-Api-Key: $API_KEY" $SERVER_URL/api/probes
  InfluxDB   influx -port $INFLUX_PORT -database hatangso -execute 'SELECT * FROM speedtest ORDER BY time DESC LIMIT 5'
  probe      dotnet probes/HaTangSo.Telemetry.Probe/bin/Release/net10.0/hts-probe.dll queue status --config $state/probe/probe.local.json
  logs       $state/logs/   (probe.log: each link is measured within 2 minutes of start, then every 2 minutes)
Press Ctrl-C to stop.
INFO
tail -n 0 -f "$state/logs/server.log" &
pids+=($!)
wait
