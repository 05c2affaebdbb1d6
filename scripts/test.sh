#!/usr/bin/env bash
# The whole test suite on real infrastructure: PostgreSQL (embedded server from pip) and Apache Kafka
# (jars from Maven Central) are started here on loopback and stopped at the end, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
PG_PORT=${TEST_PG_PORT:-55433}
KAFKA_PORT=${TEST_KAFKA_PORT:-19093}
PG_DATA=.run/pg-test-$PG_PORT
KAFKA_DATA=.run/kafka-test-$KAFKA_PORT

cleanup() {
  "$PY" scripts/kafka.py stop --data "$KAFKA_DATA" >/dev/null 2>&1 || true
  "$PY" scripts/pg.py stop --data "$PG_DATA" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "== starting PostgreSQL on 127.0.0.1:$PG_PORT"
TEST_DATABASE_URL=$("$PY" scripts/pg.py start --port "$PG_PORT" --data "$PG_DATA" | sed -n 's/^DATABASE_URL=//p')
export TEST_DATABASE_URL
echo "== starting Kafka on 127.0.0.1:$KAFKA_PORT"
TEST_KAFKA_BOOTSTRAP_SERVERS=$("$PY" scripts/kafka.py start --port "$KAFKA_PORT" --data "$KAFKA_DATA" | sed -n 's/^KAFKA_BOOTSTRAP_SERVERS=//p')
export TEST_KAFKA_BOOTSTRAP_SERVERS
[ -n "$TEST_DATABASE_URL" ] && [ -n "$TEST_KAFKA_BOOTSTRAP_SERVERS" ] || { echo "infrastructure did not start"; exit 1; }

mkdir -p artifacts
"$PY" -m pytest -p no:cacheprovider -ra --junitxml=artifacts/junit.xml "$@" tests
