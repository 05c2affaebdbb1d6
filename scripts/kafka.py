#!/usr/bin/env python3
"""Real Apache Kafka 4.x in KRaft mode (single node, broker+controller) on 127.0.0.1.

Jars come from Maven Central through ``mvn`` into ``.cache/kafka/<version>/libs`` (once); the broker runs
on the machine's Java 17.

  python scripts/kafka.py fetch
  python scripts/kafka.py start [--port 19092] [--data .run/kafka]   prints KAFKA_BOOTSTRAP_SERVERS=...
  python scripts/kafka.py stop|status|kill [--data ...]
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSION = os.environ.get("KAFKA_VERSION", "4.1.1")
LOG4J = "2.24.3"
CONTROLLER_OFFSET = 100
"""The KRaft controller listens on the broker port + 100 (so brokers on neighbouring ports can coexist)."""
CACHE = ROOT / ".cache" / "kafka" / VERSION

POM = f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.assistance</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>{VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>{LOG4J}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>{LOG4J}</version></dependency>
  </dependencies>
</project>
"""

LOG4J2 = """status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
logger.kafka.name = kafka
logger.kafka.level = info
logger.org.name = org.apache.kafka
logger.org.level = warn
logger.state.name = state.change.logger
logger.state.level = warn
"""


def fetch() -> Path:
    """Download the broker's jars once; returns the libs folder."""
    libs = CACHE / "libs"
    done = CACHE / ".complete"
    if done.exists():
        return libs
    if shutil.which("mvn") is None:
        raise SystemExit("mvn (Apache Maven) is needed to fetch Kafka from Maven Central")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "pom.xml").write_text(POM)
        staging = Path(tmp) / "libs"
        subprocess.run(["mvn", "-q", "-B", "dependency:copy-dependencies", f"-DoutputDirectory={staging}",
                        "-DincludeScope=runtime"], cwd=tmp, check=True)
        if libs.exists():
            shutil.rmtree(libs)
        CACHE.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging), libs)
    done.write_text(VERSION)
    return libs


def _paths(data: str) -> tuple[Path, Path, Path]:
    path = Path(data) if os.path.isabs(data) else (ROOT / data)
    return path, path / "kafka.pid", path / "kafka.log"


def _alive(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text())
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    return str(Path(home) / "bin" / "java") if home else "java"


def _properties(path: Path, port: int) -> Path:
    conf = path / "server.properties"
    conf.write_text(f"""process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:{port + CONTROLLER_OFFSET}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{port + CONTROLLER_OFFSET}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs={path / 'logs'}
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=24
log.segment.bytes=16777216
""")
    (path / "log4j2.properties").write_text(LOG4J2)
    return conf


def _ready(port: int, log: Path) -> bool:
    if not _answers(port):
        return False
    try:
        text = log.read_text(errors="replace")
    except FileNotFoundError:
        return False
    return "Kafka Server started" in text


def start(port: int = 19092, data: str = ".run/kafka", timeout: float = 120) -> str:
    """Start the broker (formatting its storage once) and wait until it serves; returns the bootstrap."""
    path, pidfile, log = _paths(data)
    bootstrap = f"127.0.0.1:{port}"
    if _alive(pidfile) and _answers(port):
        return bootstrap
    libs = fetch()
    path.mkdir(parents=True, exist_ok=True)
    conf = _properties(path, port)
    classpath = f"{libs}/*"
    jvm = [_java(), "-Xms256m", "-Xmx768m", "-XX:+UseG1GC", "-Djava.net.preferIPv4Stack=true",
           "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={path / 'log4j2.properties'}",
           f"-Dkafka.logs.dir={path / 'logs'}", "-cp", classpath]
    if not (path / "logs" / "meta.properties").exists():
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        subprocess.run([*jvm, "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(conf),
                        "--standalone"], check=True, capture_output=True, text=True)
    log.write_text("")
    with open(log, "ab") as out:
        proc = subprocess.Popen([*jvm, "kafka.Kafka", str(conf)], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True, cwd=path)
    pidfile.write_text(str(proc.pid))
    deadline = time.time() + timeout
    while not _ready(port, log):
        if proc.poll() is not None or time.time() > deadline:
            tail = log.read_text(errors="replace")[-3000:]
            if proc.poll() is None:
                proc.kill()
            raise SystemExit(f"Kafka did not start on {bootstrap}:\n{tail}")
        time.sleep(0.3)
    return bootstrap


def stop(data: str = ".run/kafka", timeout: float = 15) -> None:
    _, pidfile, _ = _paths(data)
    pid = _alive(pidfile)
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.time() + timeout
    while _alive(pidfile) and time.time() < deadline:
        time.sleep(0.2)
    if _alive(pidfile):
        os.kill(pid, signal.SIGKILL)
    _reap(pid)


def kill(data: str = ".run/kafka") -> None:
    """SIGKILL the broker (fault tests); the next start recovers on the same data."""
    _, pidfile, _ = _paths(data)
    pid = _alive(pidfile)
    if pid:
        os.kill(pid, signal.SIGKILL)
        _reap(pid)


def _reap(pid: int) -> None:
    for _ in range(100):
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["fetch", "start", "stop", "status", "kill"])
    parser.add_argument("--port", type=int, default=19092)
    parser.add_argument("--data", default=".run/kafka")
    args = parser.parse_args()
    if args.command == "fetch":
        print(fetch())
    elif args.command == "start":
        print(f"KAFKA_BOOTSTRAP_SERVERS={start(args.port, args.data)}", flush=True)
    elif args.command == "stop":
        stop(args.data)
    elif args.command == "kill":
        kill(args.data)
    else:
        pid = _alive(_paths(args.data)[1])
        print(f"kafka {'running (pid %d)' % pid if pid else 'stopped'}")


if __name__ == "__main__":
    sys.exit(main())
