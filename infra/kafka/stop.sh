#!/usr/bin/env bash
# Stops the test broker that infra/kafka/start.sh started (by its pid file). Idempotent: no
# broker, no error. Waits for a clean shutdown (up to KAFKA_STOP_TIMEOUT s, default 30), then
# kills it.
#
#   bash infra/kafka/stop.sh           # stop; keep the data for the next start
#   bash infra/kafka/stop.sh --purge   # stop and delete the data (the next start formats anew)
set -euo pipefail

state="${ACCRUAL_KAFKA_STATE:-/tmp/accrual-kafka}"
pid_file="$state/kafka.pid"
timeout="${KAFKA_STOP_TIMEOUT:-30}"
purge=false
for arg in "$@"; do
  case "$arg" in
    --purge) purge=true ;;
    *) echo "usage: $0 [--purge]" >&2; exit 2 ;;
  esac
done

log() { echo "kafka: $*" >&2; }

is_our_broker() {
  kill -0 "$1" 2>/dev/null && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'
}

pid="$(cat "$pid_file" 2>/dev/null || true)"
if [[ "$pid" =~ ^[0-9]+$ ]] && is_our_broker "$pid"; then
  log "stopping broker pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$(( $(date +%s) + timeout ))
  while is_our_broker "$pid" && (( $(date +%s) < deadline )); do
    sleep 0.2
  done
  if is_our_broker "$pid"; then
    log "broker pid $pid still running after ${timeout}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  log "stopped"
else
  log "no broker running (state $state)"
fi
rm -f "$pid_file"

if $purge; then
  log "deleting $state/data"
  rm -rf "$state/data" "$state/formatted" "$state/cluster.id"
fi
