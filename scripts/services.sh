#!/usr/bin/env bash
# Local/CI services for the test suite: PostgreSQL 15, Redis 7 (Debian packages) and a single-node
# KRaft Kafka built from Maven Central jars. No Docker, no systemd.
#
#   bash scripts/services.sh start    # idempotent; leaves all three running in the background
#   bash scripts/services.sh status
#   bash scripts/services.sh stop     # stops only what this script started
#
# Everything this script owns lives under .cache/ (Kafka jars, data, logs, pid files; Redis log/pid).
# Recipe and rationale: shared/reference/infra-ci.md, sections 2 and 6.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache"
STATE="$CACHE/services"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"

PGV=15
PG_PORT=5432
PG_CONF="/etc/postgresql/$PGV/main"
PG_LOG="/var/log/postgresql/postgresql-$PGV-main.log"
APT_PACKAGES=(postgresql-15 postgresql-client-15 redis-server zstd)  # zstd: recorded exchange captures

REDIS_PORT=6379
REDIS_DIR="$CACHE/redis"

KAFKA_VERSION=4.1.1
LOG4J_VERSION=2.24.3   # Kafka 4.1.1's gradle/dependencies.gradle
SLF4J_VERSION=1.7.36   # slf4j 1.7 -> binding is log4j-slf4j-impl (not log4j-slf4j2-impl)
MDEP_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
KHOME="$CACHE/kafka"
KPORT=9092
CPORT=9093
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"

log() { printf '%s\n' "$*"; }
err() { printf 'services: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
tail_log() { # file [lines]
  echo "---- last ${2:-60} lines of $1 ----" >&2
  as_root tail -n "${2:-60}" "$1" >&2 2>/dev/null || echo "(no log at $1)" >&2
  echo "----" >&2
}

# ---------------------------------------------------------------------------------------------------
# Debian packages
# ---------------------------------------------------------------------------------------------------
ensure_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} (apt)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" >/dev/null
}

# ---------------------------------------------------------------------------------------------------
# PostgreSQL 15 (cluster 15/main, through pg_ctlcluster: the server never runs as root)
# ---------------------------------------------------------------------------------------------------
pg_online() { pg_lsclusters -h 2>/dev/null | awk -v v="$PGV" '$1 == v && $2 == "main" { print $4 }' | grep -q '^online'; }
pg_ctl_() { as_root pg_ctlcluster --skip-systemctl-redirect "$PGV" main "$@"; }

pg_configure() { # prints "changed" if a config file was rewritten
  local hba="$PG_CONF/pg_hba.conf" conf="$PG_CONF/conf.d/zz-cap-ci.conf" before after want
  before="$(as_root md5sum "$hba" 2>/dev/null || true)"
  # Test-only: trust for the local socket and loopback (Debian's default is peer / scram-sha-256).
  as_root sed -ri 's/^(local\s+all\s+all\s+)\S+/\1trust/;
                   s/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/;
                   s/^(host\s+all\s+all\s+::1\/128\s+)\S+/\1trust/' "$hba"
  after="$(as_root md5sum "$hba")"
  want="# Written by scripts/services.sh: throwaway test cluster, NOT durable.
listen_addresses = '127.0.0.1'
port = $PG_PORT
fsync = off
synchronous_commit = off
full_page_writes = off
"
  if [ "$(as_root cat "$conf" 2>/dev/null || true)" != "${want%$'\n'}" ]; then
    printf '%s' "$want" | as_root tee "$conf" >/dev/null
    as_root chown postgres:postgres "$conf"
    echo changed
  elif [ "$before" != "$after" ]; then
    echo changed
  fi
}

start_postgres() {
  [ -d "$PG_CONF" ] || as_root pg_createcluster "$PGV" main >/dev/null
  local changed
  changed="$(pg_configure)"
  if pg_online; then
    # Running already (ours or the package's): apply rewritten settings; listen_addresses needs a restart.
    [ -n "$changed" ] && pg_ctl_ restart
  else
    if ! pg_ctl_ start; then
      err "postgres failed to start"; tail_log "$PG_LOG"; return 1
    fi
    touch "$STATE/postgres.started"
  fi
  local i
  for i in $(seq 1 100); do pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 0.1; done
  if ! pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
    err "postgres not accepting connections on 127.0.0.1:$PG_PORT"; tail_log "$PG_LOG"; return 1
  fi
  if ! as_root runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres <<'SQL'
SELECT 'CREATE ROLE cap LOGIN PASSWORD ''cap'' CREATEDB' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cap')\gexec
SELECT 'CREATE DATABASE cap OWNER cap' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'cap')\gexec
SELECT 'CREATE DATABASE cap_test OWNER cap' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'cap_test')\gexec
SQL
  then
    err "postgres role/database setup failed"; tail_log "$PG_LOG"; return 1
  fi
  log "postgres ready"
}

stop_postgres() {
  if [ -f "$STATE/postgres.started" ]; then
    pg_online && pg_ctl_ stop -m fast
    rm -f "$STATE/postgres.started"
    log "postgres stopped"
  else
    log "postgres: not started by this script, left alone"
  fi
}

# ---------------------------------------------------------------------------------------------------
# Redis (no persistence)
# ---------------------------------------------------------------------------------------------------
redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

start_redis() {
  if ! redis_up; then
    mkdir -p "$REDIS_DIR"
    rm -f "$REDIS_DIR/redis.pid"
    if ! redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
         --dir "$REDIS_DIR" --logfile "$REDIS_DIR/redis.log" --pidfile "$REDIS_DIR/redis.pid"; then
      err "redis-server failed to start"; tail_log "$REDIS_DIR/redis.log"; return 1
    fi
    local i
    for i in $(seq 1 100); do redis_up && break; sleep 0.05; done
    if ! redis_up; then
      err "redis not answering on 127.0.0.1:$REDIS_PORT"; tail_log "$REDIS_DIR/redis.log"; return 1
    fi
  fi
  log "redis ready"
}

stop_redis() {
  local pid
  pid="$(cat "$REDIS_DIR/redis.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && grep -q redis-server "/proc/$pid/cmdline" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$REDIS_DIR/redis.pid"
    log "redis stopped"
  else
    log "redis: not started by this script, left alone"
  fi
}

# ---------------------------------------------------------------------------------------------------
# Kafka (KRaft, combined broker+controller, from Maven Central jars)
# ---------------------------------------------------------------------------------------------------
kafka_pid() { # prints the pid of the broker this script started, if it is still running
  local pid
  pid="$(cat "$KHOME/kafka.pid" 2>/dev/null || true)"
  [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' && echo "$pid"
  return 0
}

kafka_resolve() {
  local stamp="$KHOME/libs/.resolved-$KAFKA_VERSION"
  [ -f "$stamp" ] && return 0
  mkdir -p "$KHOME/libs"
  cat >"$KHOME/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>cap.ci</groupId>
  <artifactId>kafka-broker-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>$SLF4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-api</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
EOF
  rm -f "$KHOME"/libs/*.jar
  local t0; t0="$(now)"
  if ! mvn -B -q -f "$KHOME/pom.xml" "$MDEP_PLUGIN:copy-dependencies" \
       -DincludeScope=runtime -DoutputDirectory="$KHOME/libs" >"$KHOME/mvn.log" 2>&1; then
    err "maven could not resolve kafka_2.13:$KAFKA_VERSION"; tail_log "$KHOME/mvn.log"; return 1
  fi
  # The jars the broker cannot do without, and the logging binding that must match slf4j 1.7.
  local jar bad=0
  for jar in "kafka_2.13-$KAFKA_VERSION" "kafka-clients-$KAFKA_VERSION" "kafka-server-$KAFKA_VERSION" \
             "kafka-metadata-$KAFKA_VERSION" "kafka-raft-$KAFKA_VERSION" "kafka-storage-$KAFKA_VERSION" \
             "kafka-group-coordinator-$KAFKA_VERSION" "scala-library-2.13." "slf4j-api-$SLF4J_VERSION" \
             "log4j-api-$LOG4J_VERSION" "log4j-core-$LOG4J_VERSION" "log4j-slf4j-impl-$LOG4J_VERSION"; do
    compgen -G "$KHOME/libs/$jar*.jar" >/dev/null || { err "missing jar: $jar*"; bad=1; }
  done
  if compgen -G "$KHOME/libs/slf4j-api-2.*.jar" >/dev/null || compgen -G "$KHOME/libs/log4j-slf4j2-impl-*.jar" >/dev/null; then
    err "slf4j 2.x on the classpath: the log4j-slf4j-impl binding would not match"; bad=1
  fi
  if [ "$bad" -ne 0 ]; then ls "$KHOME/libs" >&2; return 1; fi
  touch "$stamp"
  log "kafka jars resolved ($(since "$t0")s, $(ls "$KHOME"/libs/*.jar | wc -l) jars, $(du -sm "$KHOME/libs" | cut -f1) MB)"
}

kafka_write_config() {
  mkdir -p "$KHOME/logs"
  cat >"$KHOME/log4j2.properties" <<'EOF'
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = OUT
logger.req.name = kafka.request.logger
logger.req.level = warn
logger.sc.name = state.change.logger
logger.sc.level = warn
EOF
  cat >"$KHOME/log4j2-tools.properties" <<'EOF'
status = warn
appender.err.type = Console
appender.err.name = ERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.err.ref = ERR
EOF
  # Static single-voter quorum (controller.quorum.voters): format WITHOUT --standalone.
  cat >"$KHOME/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CPORT
listeners=PLAINTEXT://127.0.0.1:$KPORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KPORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KHOME/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
EOF
}

kafka_warmup() { # topic + produce + consume with a group + commit: creates __consumer_offsets
  local py="$PYTHON"
  if ! "$py" -c 'import aiokafka' 2>/dev/null; then
    if python3 -c 'import aiokafka' 2>/dev/null; then py=python3; else
      err "kafka warm-up skipped: no python with aiokafka (PYTHON=$PYTHON)"; return 0
    fi
  fi
  "$py" - "127.0.0.1:$KPORT" <<'PY'
import asyncio, logging, sys, time, uuid
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

BOOT = sys.argv[1]
TOPIC = "cap-ci-warmup"
# aiokafka logs errors (e.g. GroupCoordinatorNotAvailable) while __consumer_offsets is being created: expected here.
logging.getLogger("aiokafka").setLevel(logging.CRITICAL)

async def once() -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOT)
    await admin.start()
    try:
        if TOPIC not in await admin.list_topics():
            await admin.create_topics([NewTopic(TOPIC, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=BOOT, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(TOPIC, b"ping")
    finally:
        await producer.stop()
    # A fresh group each time: a reused group would resume after its committed offset and wait forever.
    consumer = AIOKafkaConsumer(TOPIC, bootstrap_servers=BOOT, group_id=f"cap-ci-warmup-{uuid.uuid4().hex}",
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        await asyncio.wait_for(consumer.getone(), 30)
        await consumer.commit()
    finally:
        await consumer.stop()

async def main(deadline_s: float = 90) -> None:
    start = time.monotonic()
    while True:
        try:
            await asyncio.wait_for(once(), 45)
            return
        except Exception as exc:  # broker still settling: retry until the deadline
            if time.monotonic() - start > deadline_s:
                raise
            print(f"kafka warm-up retry: {exc!r}", file=sys.stderr)
            await asyncio.sleep(1)

asyncio.run(main())
PY
}

start_kafka() {
  mkdir -p "$KHOME"
  local pid t0
  pid="$(kafka_pid)"
  if [ -z "$pid" ] && tcp_open "$KPORT"; then
    # Someone else's broker (or one whose pid file is gone): leave it alone, just make sure it works.
    t0="$(now)"
    # The jars are still needed: the fault tests run private brokers of their own on them.
    if command -v java >/dev/null && command -v mvn >/dev/null; then kafka_resolve; fi
    kafka_warmup || { err "something answers on 127.0.0.1:$KPORT but the kafka warm-up failed"; return 1; }
    log "kafka ready ($(since "$t0")s, already running, not started by this script)"
    return 0
  fi

  if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
    err "kafka needs java (17+) and maven on PATH"; return 1
  fi
  kafka_resolve
  local CP="$KHOME/libs/*"
  local out="$KHOME/logs/kafka.out"

  t0="$(now)"
  local launched=""
  if [ -z "$pid" ]; then
    launched=1
    kafka_write_config
    rm -rf "$KHOME/data"; mkdir -p "$KHOME/data"
    local tools=(java -Xmx256m -Dlog4j2.configurationFile="$KHOME/log4j2-tools.properties" -cp "$CP")
    local cluster_id
    cluster_id="$("${tools[@]}" kafka.tools.StorageTool random-uuid | tail -n 1)"
    if ! "${tools[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$KHOME/server.properties" \
         >"$KHOME/logs/format.out" 2>&1; then
      err "kafka storage format failed"; tail_log "$KHOME/logs/format.out"; return 1
    fi
    # New session (setsid) + nohup: the broker outlives this script and the shell/make that ran it.
    # Without job control the background child is not a group leader, so setsid execs java in place
    # and $! is the java pid.
    setsid nohup java -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 \
      -Djava.awt.headless=true -Dkafka.logs.dir="$KHOME/logs" \
      -Dlog4j2.configurationFile="$KHOME/log4j2.properties" \
      -cp "$CP" kafka.Kafka "$KHOME/server.properties" >"$out" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$KHOME/kafka.pid"
  fi

  local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  until grep -q 'Kafka Server started' "$out" 2>/dev/null && tcp_open "$KPORT"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      err "kafka exited during start-up"; tail_log "$out" 100; rm -f "$KHOME/kafka.pid"; return 1
    fi
    if ((SECONDS >= deadline)); then
      err "kafka not ready after ${KAFKA_START_TIMEOUT}s"; tail_log "$out" 100; return 1
    fi
    sleep 0.25
  done
  local started; started="$(since "$t0")"
  if ! kafka_warmup; then
    err "kafka warm-up failed"; tail_log "$out" 100; return 1
  fi
  if [ -n "$launched" ]; then
    log "kafka ready ($(since "$t0")s; format+broker start ${started}s, then client warm-up; pid $pid)"
  else
    log "kafka ready ($(since "$t0")s, already running, pid $pid)"
  fi
}

stop_kafka() {
  local pid
  pid="$(kafka_pid)"
  if [ -z "$pid" ]; then
    rm -f "$KHOME/kafka.pid"
    log "kafka: not started by this script, left alone"
    return 0
  fi
  kill "$pid" 2>/dev/null || true   # SIGTERM: controlled shutdown
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
  rm -f "$KHOME/kafka.pid"
  log "kafka stopped"
}

# ---------------------------------------------------------------------------------------------------
status() {
  local rc=0
  if pg_isready -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; then log "postgres up"; else log "postgres down"; rc=1; fi
  if redis_up; then log "redis up"; else log "redis down"; rc=1; fi
  if tcp_open "$KPORT"; then
    local pid; pid="$(kafka_pid)"
    log "kafka up${pid:+ (pid $pid)}"
  else
    log "kafka down"; rc=1
  fi
  return "$rc"
}

main() {
  mkdir -p "$STATE"
  case "${1:-}" in
    start)
      ensure_packages
      start_postgres
      start_redis
      start_kafka
      ;;
    stop)
      stop_kafka
      stop_redis
      stop_postgres
      ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
  esac
}

main "$@"
