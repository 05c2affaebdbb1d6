#!/usr/bin/env bash
# Distributed mode on this machine: PostgreSQL + Kafka + the five services as separate processes.
#   scripts/up.sh start | stop | status
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
RUN=.run/up
SERVICES=(intake assessment approval disbursement referral household)
mkdir -p "$RUN"

start() {
  local db kafka
  db=$("$PY" scripts/pg.py start --port 55432 --data .run/pg | sed -n 's/^DATABASE_URL=//p')
  kafka=$("$PY" scripts/kafka.py start --port 19092 --data .run/kafka | sed -n 's/^KAFKA_BOOTSTRAP_SERVERS=//p')
  # least privilege (shared/dbroles.py): migrations as the owner role, the services as the runtime role
  local roles owner runtime
  roles=$("$PY" -c 'import asyncio, sys; from services import SERVICE_NAMES; from shared.dbroles import local_roles
print(*asyncio.run(local_roles(sys.argv[1], SERVICE_NAMES)))' "$db")
  read -r owner runtime <<<"$roles"
  export ASSISTANCE_MIGRATION_DATABASE_URL=$owner ASSISTANCE_DATABASE_URL=$runtime
  export ASSISTANCE_BUS=kafka ASSISTANCE_KAFKA_BOOTSTRAP_SERVERS=$kafka
  local port=8001
  for s in "${SERVICES[@]}"; do
    "$PY" -m services "$s" migrate
    if [ -f "$RUN/$s.pid" ] && kill -0 "$(cat "$RUN/$s.pid")" 2>/dev/null; then
      echo "$s already running"
    else
      setsid "$PY" -m services "$s" serve --host 127.0.0.1 --port "$port" >"$RUN/$s.log" 2>&1 &
      echo $! >"$RUN/$s.pid"
    fi
    echo "$port" >"$RUN/$s.port"
    port=$((port + 1))
  done
  for s in "${SERVICES[@]}"; do
    local p; p=$(cat "$RUN/$s.port")
    for _ in $(seq 1 120); do
      curl -fsS "http://127.0.0.1:$p/readyz" >/dev/null 2>&1 && break
      sleep 0.5
    done
    curl -fsS "http://127.0.0.1:$p/readyz" >/dev/null || { echo "$s not ready; see $RUN/$s.log"; exit 1; }
    echo "  $s  http://127.0.0.1:$p/$s/v1   (docs http://127.0.0.1:$p/docs, log $RUN/$s.log)"
  done
  echo "Kafka $kafka   PostgreSQL $runtime (migrations as $owner)"
}

stop() {
  for s in "${SERVICES[@]}"; do
    if [ -f "$RUN/$s.pid" ]; then kill "$(cat "$RUN/$s.pid")" 2>/dev/null || true; rm -f "$RUN/$s.pid"; fi
  done
  "$PY" scripts/kafka.py stop --data .run/kafka || true
  "$PY" scripts/pg.py stop --data .run/pg || true
}

status() {
  for s in "${SERVICES[@]}"; do
    if [ -f "$RUN/$s.pid" ] && kill -0 "$(cat "$RUN/$s.pid")" 2>/dev/null; then
      echo "$s running on port $(cat "$RUN/$s.port")"; else echo "$s stopped"; fi
  done
  "$PY" scripts/kafka.py status --data .run/kafka || true
  "$PY" scripts/pg.py status --data .run/pg || true
}

"${1:-status}"
