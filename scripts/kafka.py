#!/usr/bin/env python3
"""Real Apache Kafka 4.x on 127.0.0.1: one KRaft node in combined mode (broker + controller).

The jars come from Maven Central through ``mvn`` into ``.cache/kafka/<version>/libs`` (once); the broker
runs on the machine's Java (17 or newer: $JAVA_HOME/bin/java, else ``java`` on PATH), detached from the
caller (own session), with its state, log and pid under the data folder.

  python scripts/kafka.py fetch                                      download the jars (cached)
  python scripts/kafka.py start [--port 19092] [--data .run/kafka]  prints KAFKA_BOOTSTRAP_SERVERS=...
        [--controller-port N] [--timeout 90]
  python scripts/kafka.py stop   [--data ...]    SIGTERM, after 30 s SIGKILL
  python scripts/kafka.py kill   [--data ...]    SIGKILL at once (fault tests); `start` recovers the data
  python scripts/kafka.py status [--data ...]    prints running (pid, port) or stopped

Relative data folders are taken from the repository root. The controller listens on
``--controller-port`` (default: the broker port + 100); both bind to 127.0.0.1 only.
Environment: KAFKA_VERSION (default 4.1.1), KAFKA_HEAP_OPTS (default "-Xms256m -Xmx512m"), JAVA_HOME.

Python API (same parameters as the CLI): ``from scripts.kafka import fetch, start, stop, kill, status``;
``start()`` returns the bootstrap string ``127.0.0.1:PORT``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSION = os.environ.get("KAFKA_VERSION", "4.1.1")
CACHE = ROOT / ".cache" / "kafka" / VERSION
DEFAULT_PORT = 19092
DEFAULT_DATA = ".run/kafka"
CONTROLLER_OFFSET = 100
"""Default controller port = broker port + 100 (so brokers on neighbouring ports can coexist)."""
START_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0
STARTED_MARKER = "Kafka Server started"
STATE_FILE = "assistance-kafka.json"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.assistance</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>{version}</version>
    </dependency>
  </dependencies>
</project>
"""

LOG4J2 = """# Written by scripts/kafka.py. The broker's stdout is the file kafka.log in the data folder.
status = warn
name = assistance-kafka
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
logger.kafka.name = kafka
logger.kafka.level = info
logger.apache.name = org.apache.kafka
logger.apache.level = warn
logger.state.name = state.change.logger
logger.state.level = warn
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = warn
"""


class KafkaError(RuntimeError):
    """Kafka could not be fetched, started or stopped; the message says why (with the log's tail)."""


def _say(message: str) -> None:
    print(f"kafka: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------- fetch


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """An exclusive advisory lock on a folder itself (no lock file left behind): serialises concurrent
    fetches of one version, and concurrent start/stop of one data folder."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _mvn(args: list[str], cwd: str) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaError(
            "`mvn` (Apache Maven) is needed to fetch Kafka from Maven Central; install it "
            "(apt-get install maven) or put it on PATH"
        )
    done = subprocess.run([mvn, "-B", "-q", "-ntp", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise KafkaError(
            f"mvn {' '.join(args[:1])} failed (exit {done.returncode}):\n"
            f"{(done.stdout + done.stderr)[-4000:]}"
        )


def _jar_version(libs: Path, artifact: str) -> str | None:
    for jar in libs.glob(f"{artifact}-*.jar"):
        match = re.fullmatch(re.escape(artifact) + r"-(\d[\w.\-]*)\.jar", jar.name)
        if match:
            return match.group(1)
    return None


def fetch(version: str = VERSION) -> Path:
    """Download kafka_2.13 ``version`` with its runtime dependencies and a log4j2 binding for SLF4J into
    ``.cache/kafka/<version>/libs`` (once: later calls return at once). Returns the libs folder."""
    cache = ROOT / ".cache" / "kafka" / version
    libs, done = cache / "libs", cache / ".complete"
    if done.exists() and libs.is_dir():
        return libs
    with _locked(cache.parent):
        if done.exists() and libs.is_dir():
            return libs
        started = time.monotonic()
        _say(f"fetching Apache Kafka {version} from Maven Central into {libs} ...")
        with tempfile.TemporaryDirectory(prefix="kafka-fetch-") as tmp:
            Path(tmp, "pom.xml").write_text(POM.format(version=version))
            staging = Path(tmp) / "libs"
            _mvn(
                [
                    f"{DEPENDENCY_PLUGIN}:copy-dependencies",
                    f"-DoutputDirectory={staging}",
                    "-DincludeScope=runtime",
                ],
                tmp,
            )
            # Kafka logs through SLF4J and ships log4j-core (log4j2); the SLF4J->log4j2 binding is not a
            # dependency of the Maven artifacts, so add the one matching the SLF4J API generation and the
            # log4j version that Kafka itself brings.
            log4j = _jar_version(staging, "log4j-core") or _jar_version(staging, "log4j-api")
            slf4j = _jar_version(staging, "slf4j-api")
            if not log4j or not slf4j:
                raise KafkaError(
                    f"unexpected Kafka {version} dependencies: no log4j-core or slf4j-api in "
                    f"{sorted(p.name for p in staging.glob('*.jar'))}"
                )
            binding = "log4j-slf4j2-impl" if int(slf4j.split(".")[0]) >= 2 else "log4j-slf4j-impl"
            artifacts = [f"org.apache.logging.log4j:{binding}:{log4j}"]
            if not _jar_version(staging, "log4j-core"):
                artifacts.append(f"org.apache.logging.log4j:log4j-core:{log4j}")
            for artifact in artifacts:
                _mvn(
                    [f"{DEPENDENCY_PLUGIN}:copy", f"-Dartifact={artifact}", f"-DoutputDirectory={staging}"],
                    tmp,
                )
            if _main_class(staging, ("kafka.Kafka",)) is None:
                raise KafkaError(f"kafka.Kafka is not in the fetched jars of Kafka {version}")
            if libs.exists():
                shutil.rmtree(libs)
            cache.mkdir(parents=True, exist_ok=True)
            shutil.move(str(staging), libs)
        done.write_text(version + "\n")
        _say(f"fetched {len(list(libs.glob('*.jar')))} jars in {time.monotonic() - started:.1f} s")
    return libs


def _main_class(libs: Path, candidates: tuple[str, ...]) -> str | None:
    """The first of ``candidates`` (fully qualified class names) present in the jars of ``libs``."""
    wanted = {name.replace(".", "/") + ".class": name for name in candidates}
    found: set[str] = set()
    for jar in sorted(libs.glob("kafka*.jar")):
        try:
            with zipfile.ZipFile(jar) as archive:
                found.update(entry for entry in archive.namelist() if entry in wanted)
        except zipfile.BadZipFile:
            raise KafkaError(f"corrupt jar {jar}: delete {libs.parent} and fetch again") from None
    for entry, name in wanted.items():
        if entry in found:
            return name
    return None


# --------------------------------------------------------------------------------------------- helpers


def _data(data: str | os.PathLike[str]) -> Path:
    path = Path(data)
    return path if path.is_absolute() else ROOT / path


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not os.access(java, os.X_OK):
        raise KafkaError(
            "Java 17+ is needed to run Kafka: set JAVA_HOME or put `java` on PATH "
            "(apt-get install openjdk-17-jre-headless)"
        )
    return java


def _java_major(java: str) -> int:
    out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        raise KafkaError(f"cannot tell the version of {java}: {out.stderr.strip()[:300]}")
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def _process_state(pid: int) -> str | None:
    """The /proc state letter of ``pid``; None once it is gone. A zombie counts as gone only when all its
    threads have exited (a SIGKILLed JVM's main thread turns zombie while others still hold its sockets
    and files); our own zombie child is reaped here."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    state = stat.rsplit(")", 1)[1].split()[0]
    if state in ("Z", "X"):
        with contextlib.suppress(ChildProcessError, OSError):
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return None
        try:
            threads = len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            return None
        return None if threads <= 1 else state
    return state


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return []


def _broker_pid(path: Path) -> int | None:
    """The pid of the broker of this data folder if it is alive (the pid file alone could be stale)."""
    try:
        pid = int((path / "kafka.pid").read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    if _process_state(pid) is None:
        return None
    argv = _cmdline(pid)
    if "kafka.Kafka" not in argv or str(path / "server.properties") not in argv:
        return None  # the pid was reused by some other process
    return pid


def _answers(port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _tail(log: Path, chars: int = 4000) -> str:
    try:
        with open(log, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - chars))
            return handle.read().decode(errors="replace")
    except FileNotFoundError:
        return "(no log)"


# ------------------------------------------------------------------------------ Kafka wire-level probe


def _request(sock: socket.socket, api_key: int, version: int, correlation: int, body: bytes) -> bytes:
    client = b"assistance-probe"
    header = struct.pack(">hhih", api_key, version, correlation, len(client)) + client
    sock.sendall(struct.pack(">i", len(header) + len(body)) + header + body)
    size = struct.unpack(">i", _recv(sock, 4))[0]
    payload = _recv(sock, size)
    if struct.unpack(">i", payload[:4])[0] != correlation:
        raise OSError("correlation id mismatch")
    return payload[4:]


def _recv(sock: socket.socket, n: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < n:
        chunk = sock.recv(n - len(chunks))
        if not chunk:
            raise OSError("connection closed by the broker")
        chunks.extend(chunk)
    return bytes(chunks)


def probe(port: int, timeout: float = 3.0) -> bool:
    """True if a Kafka broker on 127.0.0.1:``port`` answers ApiVersions without error and lists itself
    (node 1 at this port) in a Metadata response: it is serving requests, not just accepting TCP."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            body = _request(sock, 18, 0, 1, b"")  # ApiVersions v0
            error, count = struct.unpack(">hi", body[:6])
            if error != 0:
                return False
            versions = {}
            for i in range(count):
                key, low, high = struct.unpack(">hhh", body[6 + 6 * i : 12 + 6 * i])
                versions[key] = (low, high)
            if 3 not in versions:
                return False
            low, high = versions[3]
            version = min(high, 8)  # v4..v8: non-flexible encodings, same broker layout
            if version < max(low, 4):
                return True  # cannot speak this broker's Metadata versions; ApiVersions answered
            request = struct.pack(">i?", 0, False)  # no topics, no auto-creation
            if version >= 8:
                request += struct.pack(">??", False, False)
            body = _request(sock, 3, version, 2, request)
            offset = 4  # throttle_time_ms
            (brokers,) = struct.unpack(">i", body[offset : offset + 4])
            offset += 4
            for _ in range(brokers):
                node_id, host_len = struct.unpack(">ih", body[offset : offset + 6])
                offset += 6
                host = body[offset : offset + host_len].decode()
                offset += host_len
                (broker_port, rack_len) = struct.unpack(">ih", body[offset : offset + 6])
                offset += 6 + max(rack_len, 0)
                if broker_port == port and host in ("127.0.0.1", "localhost"):
                    return True
            return False
    except (OSError, struct.error, UnicodeDecodeError):
        return False


# ------------------------------------------------------------------------------------------ configure


def _state(path: Path) -> dict | None:
    try:
        return json.loads((path / STATE_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return None


def _properties(path: Path, port: int, controller_port: int, quorum: str) -> Path:
    if quorum == "static":
        voters = f"controller.quorum.voters=1@127.0.0.1:{controller_port}"
    else:  # folders formatted by earlier versions of this script (dynamic quorum, --standalone)
        voters = f"controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}"
    conf = path / "server.properties"
    conf.write_text(f"""# Written by scripts/kafka.py at every start.
process.roles=broker,controller
node.id=1
{voters}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={path / "logs"}
num.partitions=6
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=6
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# After a SIGKILL the restarted broker can only register once the controller has expired the session of
# the killed one: 4 s instead of 9 s (heartbeats every second over loopback).
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=4000
num.recovery.threads.per.data.dir=2
# The controller appends a no-op record to the metadata log every 500 ms by default, so an idle broker
# keeps its JVM busy; every 5 s halves a bare broker's idle CPU here (0.035 -> 0.019 cores, issue 16).
metadata.max.idle.interval.ms=5000
log.retention.hours=24
log.retention.check.interval.ms=60000
log.segment.bytes=16777216
""")
    (path / "log4j2.properties").write_text(LOG4J2)
    return conf


def _jvm(libs: Path, path: Path) -> list[str]:
    java = _java()
    if _java_major(java) < 17:
        raise KafkaError(f"Kafka 4 needs Java 17 or newer; {java} is older (set JAVA_HOME)")
    heap = os.environ.get("KAFKA_HEAP_OPTS", "-Xms256m -Xmx512m").split()
    return [
        java,
        *heap,
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.net.preferIPv4Stack=true",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={path / 'log4j2.properties'}",
        f"-Dkafka.logs.dir={path / 'logs'}",
        "-cp",
        f"{libs}/*",
    ]


def _cluster_id() -> str:
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def _format(jvm: list[str], libs: Path, path: Path, conf: Path, log: Path) -> None:
    tool = _main_class(libs, ("kafka.tools.StorageTool", "org.apache.kafka.tools.StorageTool"))
    if tool is None:
        raise KafkaError(f"no StorageTool class in {libs}")
    cluster = _cluster_id()
    done = subprocess.run(
        [*jvm, tool, "format", "-t", cluster, "-c", str(conf), "--ignore-formatted"],
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )
    with open(log, "a") as out:
        out.write(f"--- storage format (cluster {cluster}) exit {done.returncode}\n")
        out.write(done.stdout + done.stderr)
    if done.returncode != 0:
        raise KafkaError(
            f"formatting {path / 'logs'} failed (exit {done.returncode}):\n"
            f"{(done.stdout + done.stderr)[-4000:]}"
        )


# --------------------------------------------------------------------------------------------- public


def start(
    port: int = DEFAULT_PORT,
    data: str | os.PathLike[str] = DEFAULT_DATA,
    timeout: float = START_TIMEOUT,
    controller_port: int | None = None,
) -> str:
    """Start the broker on 127.0.0.1:``port`` with its state in ``data`` (formatting the storage the first
    time only) and wait until it serves requests. Idempotent: a broker of this folder already running on
    this port is reused. Returns the bootstrap string; raises KafkaError (with the log's tail) on failure."""
    path = _data(data)
    path.mkdir(parents=True, exist_ok=True)
    bootstrap = f"127.0.0.1:{port}"
    with _locked(path):
        pid = _broker_pid(path)
        if pid is not None:
            running = _running_port(path)
            if running != port:
                raise KafkaError(
                    f"the broker of {path} is already running on port {running} (pid {pid}); "
                    f"stop it first to use port {port}"
                )
            if _wait_ready(pid, port, path / "kafka.log", timeout, offset=0):
                _say(f"already running (pid {pid}) on {bootstrap}")
                return bootstrap
            raise KafkaError(
                f"the broker of {path} (pid {pid}) runs but does not answer on {bootstrap}:\n"
                f"{_tail(path / 'kafka.log')}"
            )
        return _launch(path, port, controller_port, timeout)


def _running_port(path: Path) -> int | None:
    try:
        text = (path / "server.properties").read_text()
    except FileNotFoundError:
        return None
    match = re.search(r"^listeners=PLAINTEXT://127\.0\.0\.1:(\d+)", text, re.M)
    return int(match.group(1)) if match else None


def _launch(path: Path, port: int, controller_port: int | None, timeout: float) -> str:
    bootstrap = f"127.0.0.1:{port}"
    log, pidfile = path / "kafka.log", path / "kafka.pid"
    formatted = (path / "logs" / "meta.properties").exists()
    state = _state(path)
    if not formatted:
        quorum = "static"
    elif state is None:
        quorum = "dynamic"  # formatted by an earlier version of this script (controller at port + 100)
    else:
        quorum = state.get("quorum", "static")
    if quorum == "dynamic" and state and controller_port is None:
        controller_port = state.get("controller_port")  # a dynamic quorum keeps its controller endpoint
    controller_port = controller_port or port + CONTROLLER_OFFSET
    if controller_port == port:
        raise KafkaError("the controller port must differ from the broker port")
    for what, number in (("broker", port), ("controller", controller_port)):
        deadline = time.monotonic() + min(15.0, timeout)  # a broker just killed may hold its ports a moment
        while (_answers(number) or not _bindable(number)) and time.monotonic() < deadline:
            time.sleep(0.25)
        if _answers(number) or not _bindable(number):
            raise KafkaError(
                f"cannot start Kafka: 127.0.0.1:{number} (the {what} port) is in use by another "
                "process; choose other ports (--port / --controller-port)"
            )
    libs = fetch()
    conf = _properties(path, port, controller_port, quorum)
    jvm = _jvm(libs, path)
    if log.exists() and log.stat().st_size:
        log.replace(path / "kafka.log.1")  # keep the previous run's log (e.g. before a kill) for post-mortems
    if not formatted:
        _format(jvm, libs, path, conf, log)
    record = {"version": VERSION, "port": port, "controller_port": controller_port, "quorum": quorum}
    (path / STATE_FILE).write_text(json.dumps(record, indent=1) + "\n")
    offset = log.stat().st_size if log.exists() else 0
    with open(log, "ab") as out:
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        out.write(f"--- {now} starting Kafka {VERSION} on {bootstrap}\n".encode())
        out.flush()
        proc = subprocess.Popen(
            [*jvm, "kafka.Kafka", str(conf)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=path,
            close_fds=True,
        )
    pidfile.write_text(f"{proc.pid}\n")
    if _wait_ready(proc.pid, port, log, timeout, offset):
        return bootstrap
    alive = _process_state(proc.pid) is not None
    if alive:
        _terminate(proc.pid, 10)
    pidfile.unlink(missing_ok=True)
    why = f"did not answer within {timeout:.0f} s" if alive else f"exited (code {proc.poll()})"
    raise KafkaError(f"Kafka on {bootstrap} {why}; log {log}:\n{_tail(log)}")


def _wait_ready(pid: int, port: int, log: Path, timeout: float, offset: int) -> bool:
    """Wait until the broker logged that it started and answers Kafka requests; False if it dies first
    or the time runs out."""
    deadline = time.monotonic() + timeout
    started = False
    while time.monotonic() < deadline:
        if _process_state(pid) is None:
            return False
        if not started:
            try:
                with open(log, "rb") as handle:
                    handle.seek(offset)
                    started = STARTED_MARKER.encode() in handle.read()
            except FileNotFoundError:
                pass
        if started and probe(port):
            return True
        time.sleep(0.25)
    return False


def _terminate(pid: int, timeout: float) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _process_state(pid) is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    if _process_state(pid) is not None:
        _say(f"pid {pid} did not stop within {timeout:.0f} s; SIGKILL")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _wait_gone(pid)


def _wait_gone(pid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while _process_state(pid) is not None and time.monotonic() < deadline:
        time.sleep(0.05)


def stop(data: str | os.PathLike[str] = DEFAULT_DATA, timeout: float = STOP_TIMEOUT) -> bool:
    """Stop the broker of ``data`` (SIGTERM: a clean shutdown; SIGKILL after ``timeout`` s).
    Returns True if one was running."""
    path = _data(data)
    if _broker_pid(path) is None:
        return False
    with _locked(path):
        pid = _broker_pid(path)
        if pid is None:
            return False
        _terminate(pid, timeout)
        (path / "kafka.pid").unlink(missing_ok=True)
    return True


def kill(data: str | os.PathLike[str] = DEFAULT_DATA) -> bool:
    """SIGKILL the broker of ``data`` at once (fault tests); a later ``start`` recovers on the same data.
    Returns True if one was running."""
    path = _data(data)
    pid = _broker_pid(path)
    if pid is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    _wait_gone(pid)
    return True


def status(data: str | os.PathLike[str] = DEFAULT_DATA) -> dict:
    """{"running": bool, "pid": int|None, "port": int|None, "ready": bool, "data": str}."""
    path = _data(data)
    pid = _broker_pid(path)
    port = _running_port(path) if pid else None
    return {
        "running": pid is not None,
        "pid": pid,
        "port": port,
        "ready": bool(port and probe(port)),
        "data": str(path),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/kafka.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["fetch", "start", "stop", "status", "kill"])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="broker port (default %(default)s)")
    parser.add_argument("--controller-port", type=int, default=None, help="default: broker port + 100")
    parser.add_argument("--data", default=DEFAULT_DATA, help="state folder (default %(default)s)")
    parser.add_argument("--timeout", type=float, default=None, help="seconds to wait (start 90, stop 30)")
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            print(fetch())
        elif args.command == "start":
            began = time.monotonic()
            bootstrap = start(args.port, args.data, args.timeout or START_TIMEOUT, args.controller_port)
            _say(f"ready in {time.monotonic() - began:.1f} s (log {_data(args.data) / 'kafka.log'})")
            print(f"KAFKA_BOOTSTRAP_SERVERS={bootstrap}", flush=True)
        elif args.command == "stop":
            _say("stopped" if stop(args.data, args.timeout or STOP_TIMEOUT) else "was not running")
        elif args.command == "kill":
            _say("killed" if kill(args.data) else "was not running")
        else:
            info = status(args.data)
            if info["running"]:
                print(
                    f"kafka running (pid {info['pid']}, 127.0.0.1:{info['port']}, "
                    f"{'ready' if info['ready'] else 'not answering'}, data {info['data']})"
                )
            else:
                print(f"kafka stopped (data {info['data']})")
    except KafkaError as error:
        print(f"kafka: error: {error}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
