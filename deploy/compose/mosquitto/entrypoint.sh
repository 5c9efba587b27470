#!/bin/sh
# Writes the broker's password file from the environment (hashed by mosquitto_passwd), then runs Mosquitto.
# Probe logins: add them to /mosquitto/data/probes.txt ("probeId password" per line, mode 0600) and restart
# the container, or run `mosquitto_passwd -b /mosquitto/data/passwd <probeId> <password>` and send SIGHUP.
set -eu
umask 077
passwd=/mosquitto/data/passwd
: >"$passwd"
mosquitto_passwd -b "$passwd" hts-server "$MQTT_SERVER_PASSWORD"
if [ -f /mosquitto/data/probes.txt ]; then
  while read -r user password; do
    [ -n "$user" ] && mosquitto_passwd -b "$passwd" "$user" "$password"
  done </mosquitto/data/probes.txt
fi
exec mosquitto -c /mosquitto/config/mosquitto.conf
