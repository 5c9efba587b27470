#!/bin/sh
# Initialises the dynamic-security plugin's file once (administrator hts-admin, password MQTT_ADMIN_PASSWORD from
# .env), then runs Mosquitto. Probe and server logins live in that file; the servers manage them through the plugin.
set -eu
umask 077
file=/mosquitto/data/dynamic-security.json
if [ ! -f "$file" ]; then
  mosquitto_ctrl dynsec init "$file" hts-admin "$MQTT_ADMIN_PASSWORD"
fi
chown -R mosquitto:mosquitto /mosquitto/data
exec mosquitto -c /mosquitto/config/mosquitto.conf
