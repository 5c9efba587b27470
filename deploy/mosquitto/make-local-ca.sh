#!/usr/bin/env bash
# Usage: deploy/mosquitto/make-local-ca.sh DIR NAME [NAME ...]
# Makes a private CA (DIR/ca.crt, DIR/ca.key; kept if it exists) and a broker certificate for the host names and
# IP addresses given (DIR/broker.crt, DIR/broker.key; made afresh each time). Probes and the server trust ca.crt
# (Mqtt:CaCertificatePath, the probe's broker.caFile); keep ca.key offline in production.
set -euo pipefail
[[ $# -ge 2 ]] || { sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
dir=$1; shift
mkdir -p "$dir"
cd "$dir"
umask 077
if [[ ! -f ca.key ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 3650 \
    -subj "/CN=HaTangSo.Telemetry CA $(hostname -s)" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
san=$(for name in "$@"; do if [[ $name =~ ^[0-9.]+$ || $name == *:* ]]; then printf 'IP:%s,' "$name"; else printf 'DNS:%s,' "$name"; fi; done)
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout broker.key -out broker.csr -subj "/CN=$1" 2>/dev/null
openssl x509 -req -in broker.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out broker.crt -days 825 2>/dev/null \
  -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "${san%,}")
rm -f broker.csr
chmod 644 ca.crt broker.crt
# Mosquitto reads its key as the mosquitto user when started as root.
if [[ $(id -u) -eq 0 ]] && id mosquitto >/dev/null 2>&1; then chown mosquitto broker.key; fi
echo "CA $dir/ca.crt; broker certificate $dir/broker.crt for ${san%,}"
