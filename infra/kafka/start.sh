#!/usr/bin/env bash
# Starts a real Apache Kafka 4.x broker for tests: one KRaft node (broker + controller) on
# loopback, from Maven Central jars, run by the machine's Java 17 in the background.
#
#   bash infra/kafka/start.sh        # prints the broker address as the LAST line of stdout
#   KAFKA_BROKERS=$(bash infra/kafka/start.sh | tail -n1)
#
# Idempotent: when a broker already answers on the address, it only prints the address.
# Progress goes to stderr; the broker logs to files in the state dir, never to this terminal.
# Stop it with infra/kafka/stop.sh.
#
# Environment (all optional):
#   ACCRUAL_KAFKA_STATE      state dir: properties, data, logs, pid   (/tmp/accrual-kafka)
#   KAFKA_HOME_CACHE         where the jars are copied  ($HOME/.cache/accrual-kafka/<version>)
#   ACCRUAL_KAFKA_PORT       client port (9092); ACCRUAL_KAFKA_CONTROLLER_PORT (9093)
#   KAFKA_START_TIMEOUT      seconds to wait for the broker to answer (90)
#   KAFKA_HEAP_OPTS          JVM heap flags (-Xms256m -Xmx512m)
#   KAFKA_JVM_OPTS           other JVM flags (C1 only, G1: see below)
#   ACCRUAL_KAFKA_CDS=0      no class-data-sharing archive (see cds_opts)
#   JAVA                     the java binary (java on PATH)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

host=127.0.0.1
port="${ACCRUAL_KAFKA_PORT:-9092}"
controller_port="${ACCRUAL_KAFKA_CONTROLLER_PORT:-9093}"
address="$host:$port"
state="${ACCRUAL_KAFKA_STATE:-/tmp/accrual-kafka}"
timeout="${KAFKA_START_TIMEOUT:-90}"
java="${JAVA:-java}"
heap="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
# C1 only: a test broker does little work, and on 2 busy cores skipping C2 starts it ~35% faster.
jvm_opts="${KAFKA_JVM_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseG1GC -XX:MaxGCPauseMillis=20}"

version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml" | head -n1)"
[[ -n "$version" ]] || { echo "kafka: no <kafka.version> in $here/pom.xml" >&2; exit 1; }
cache="${KAFKA_HOME_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/accrual-kafka/$version}"
libs="$cache/libs"

pid_file="$state/kafka.pid"
log_dir="$state/logs"
data_dir="$state/data"
props="$state/server.properties"

log() { echo "kafka: $*" >&2; }
now() { date +%s; }

port_open() { (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; }

# Asks the broker for metadata. kafkajs (repo node_modules) when installed, else Kafka's own
# Admin client from the cached jars (slower: it compiles Probe.java each time).
probe() {
  local ms="${1:-5000}" rc=0
  if command -v node >/dev/null 2>&1; then
    node "$here/probe.cjs" "$address" "$ms" >/dev/null 2>&1 || rc=$?
    [[ $rc -ne 3 ]] && return "$rc"
  fi
  [[ -d "$libs" ]] || return 1
  "$java" -Dlog4j2.configurationFile="$here/log4j2.xml" -Dkafka.logs.dir="$log_dir/probe" \
    -cp "$libs/*" "$here/Probe.java" "$address" "$ms" >/dev/null 2>&1
}

broker_pid() {
  local pid
  [[ -f "$pid_file" ]] || return 1
  pid="$(cat "$pid_file" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
  echo "$pid"
}

ready() { port_open && probe 5000; }

done_with() {
  log "broker ready at $address (state $state, log $log_dir/server.log)"
  echo "$address"
  exit 0
}

fail() {
  log "$*"
  if [[ -f "$log_dir/server.log" ]]; then
    log "last warnings and errors in $log_dir/server.log:"
    grep -E '^\[[^]]*\] (WARN|ERROR|FATAL) ' "$log_dir/server.log" | tail -n 20 >&2 || true
    log "last lines of $log_dir/server.log:"
    tail -n 10 "$log_dir/server.log" >&2 || true
  fi
  if [[ -s "$state/kafka.out" ]]; then
    log "last lines of $state/kafka.out:"
    tail -n 20 "$state/kafka.out" >&2 || true
  fi
  exit 1
}

wait_ready() {
  local pid="$1" deadline=$(( $(now) + timeout ))
  while (( $(now) < deadline )); do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pid_file"
      fail "the broker (pid $pid) exited while starting"
    fi
    if port_open && probe 3000; then
      return 0
    fi
    sleep 0.5
  done
  fail "the broker (pid $pid) did not answer on $address within ${timeout}s; it is left running (stop it with infra/kafka/stop.sh)"
}

# Copies the broker's jars into the cache once per pom.xml content; Maven's ~/.m2 makes a
# second copy fast and offline.
ensure_jars() {
  local stamp="$cache/.pom.sha256" want
  want="$(sha256sum "$here/pom.xml" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && compgen -G "$libs/kafka_2.13-*.jar" >/dev/null; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || fail "mvn is not installed (needed once to fetch the Kafka jars)"
  log "fetching Apache Kafka $version jars from Maven into $libs"
  mkdir -p "$cache"
  local tmp="$cache/libs.tmp.$$"
  rm -rf "$tmp"
  if ! mvn -B --no-transfer-progress -Dstyle.color=never -f "$here/pom.xml" \
      dependency:copy-dependencies -DoutputDirectory="$tmp" >"$state/mvn.out" 2>&1 </dev/null; then
    rm -rf "$tmp"
    tail -n 40 "$state/mvn.out" >&2 || true
    fail "mvn dependency:copy-dependencies failed (full output: $state/mvn.out)"
  fi
  rm -rf "$libs"
  rm -f "$cache"/kafka-*.jsa
  mv "$tmp" "$libs"
  echo "$want" >"$stamp"
}

# A Kafka Uuid: 16 random bytes, base64url without padding, not starting with '-'.
random_cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" != -* ]] && { echo "$id"; return; }
  done
}

render_properties() {
  sed -e "s|@HOST@|$host|g" -e "s|@CLIENT_PORT@|$port|g" \
      -e "s|@CONTROLLER_PORT@|$controller_port|g" -e "s|@LOG_DIRS@|$data_dir|g" \
      "$here/server.properties.template" >"$props.tmp"
  mv "$props.tmp" "$props"
}

# Formats the KRaft log dir once. A dir formatted by another Kafka version or for another
# properties file is wiped and formatted again: the data of this test broker is disposable.
ensure_formatted() {
  local fingerprint
  fingerprint="$version $(sha256sum "$props" | cut -d' ' -f1)"
  if [[ -f "$data_dir/meta.properties" && -f "$state/formatted" && "$(cat "$state/formatted")" == "$fingerprint" ]]; then
    return 0
  fi
  log "formatting the KRaft log dir $data_dir"
  rm -rf "$data_dir"
  mkdir -p "$data_dir"
  local cluster_id
  cluster_id="$(random_cluster_id)"
  # Static quorum (controller.quorum.voters), so no --standalone: that flag is for the dynamic
  # quorum style (controller.quorum.bootstrap.servers) and is refused together with voters.
  "$java" -Xmx256m -Dlog4j2.configurationFile="$here/log4j2.xml" -Dkafka.logs.dir="$log_dir/format" \
    -cp "$libs/*" kafka.tools.StorageTool format -t "$cluster_id" -c "$props" \
    >"$state/format.out" 2>&1 || { cat "$state/format.out" >&2; fail "formatting $data_dir failed"; }
  echo "$cluster_id" >"$state/cluster.id"
  echo "$fingerprint" >"$state/formatted"
}

# Class-data sharing: the first broker run with a given java dumps the classes it loaded into an
# archive when it exits (-XX:ArchiveClassesAtExit, at stop.sh time), later runs map it
# (-XX:SharedArchiveFile) and start ~2 s sooner. The dump goes to the state dir (only this
# broker writes there) and is moved next to the jars at the next start. A stale or unreadable
# archive costs nothing: the JVM (default -Xshare:auto) warns in kafka.out and loads classes
# as usual.
cds_opts() {
  [[ "${ACCRUAL_KAFKA_CDS:-1}" != 0 ]] || return 0
  local java_path java_key archive dump="$state/kafka.jsa.new"
  java_path="$(readlink -f "$(command -v "$java")")"
  java_key="$(echo "$java_path $(stat -c %Y "$java_path")" | sha256sum | cut -c1-12)"
  archive="$cache/kafka-$java_key.jsa"
  if [[ -s "$dump" && -f "$state/kafka.jsa.key" && "$(cat "$state/kafka.jsa.key")" == "$java_key" ]]; then
    cp "$dump" "$archive.tmp.$$" && mv "$archive.tmp.$$" "$archive"
  fi
  rm -f "$dump" "$state/kafka.jsa.key"
  if [[ -s "$archive" ]]; then
    echo "-XX:SharedArchiveFile=$archive"
  else
    echo "$java_key" >"$state/kafka.jsa.key"
    echo "-XX:ArchiveClassesAtExit=$dump"
  fi
}

start_broker() {
  local cds
  cds="$(cds_opts)"
  log "starting Apache Kafka $version on $address (KRaft, controller on $host:$controller_port)"
  # setsid + nohup: the broker outlives this script and its terminal; its stdout/stderr go to a
  # file (and fd 9, the start lock, is closed) so that $(start.sh) returns as soon as this
  # script ends.
  # shellcheck disable=SC2086
  setsid nohup "$java" $heap $jvm_opts $cds -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$state/log4j2.xml" -Dkafka.logs.dir="$log_dir" \
    -cp "$libs/*" kafka.Kafka "$props" \
    >"$state/kafka.out" 2>&1 </dev/null 9>&- &
  echo "$!" >"$pid_file"
}

main() {
  mkdir -p "$state" "$log_dir"

  # Two start.sh at once (two terminals, two test runs) would race: serialize them.
  exec 9>"$state/start.lock"
  if ! flock -w "$(( timeout + 60 ))" 9; then
    fail "another start.sh holds $state/start.lock"
  fi

  local started pid
  started=$(now)

  if ready; then
    done_with
  fi

  if pid="$(broker_pid)"; then
    log "broker process $pid is running but not answering yet; waiting"
    wait_ready "$pid"
    done_with
  fi
  rm -f "$pid_file"

  if port_open; then
    fail "something else listens on $address and does not answer as a Kafka broker"
  fi
  if (exec 3<>"/dev/tcp/$host/$controller_port") 2>/dev/null; then
    fail "something else listens on the controller port $host:$controller_port"
  fi

  command -v "$java" >/dev/null 2>&1 || fail "java not found (Kafka $version needs Java 17+)"

  ensure_jars
  cp "$here/log4j2.xml" "$state/log4j2.xml"
  render_properties
  ensure_formatted

  start_broker
  pid="$(cat "$pid_file")"
  wait_ready "$pid"
  log "started in $(( $(now) - started ))s"
  done_with
}

main "$@"
