"""A private, throwaway single-node Kafka (KRaft) for fault tests: kill it, stop it, start it again.

It runs on the jars `scripts/services.sh` resolves into `<repo>/.cache/kafka/libs`, with the same
combined broker+controller config, on free ports and a data dir of its own, so crashing it never
disturbs the shared broker the rest of the suite uses. A restart reuses the data dir and the ports:
clients reconnect to the same address and find the same logs, as after a real crash.

    broker = KafkaBroker(tmp_path / "kafka")
    broker.start()            # formats the data dir the first time
    broker.kill()             # SIGKILL: a crash
    broker.start()            # same data, same ports
    broker.close()            # never leaves a java process behind (also registered at exit)

`private_kafka(workdir)` is the context manager a fixture wraps: it skips when the jars or java are
missing (fails under CI=true, as tests/conftest.py does for the shared servers) and kills the broker
when the test ends, failed or not. Brokers still running at interpreter exit are killed by an atexit
hook; only a SIGKILLed pytest can leave one behind.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KAFKA_LIBS = REPO / ".cache" / "kafka" / "libs"
READY_LINE = "Kafka Server started"

_LOG4J = """\
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
"""

_SERVER = """\
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller}
listeners=PLAINTEXT://127.0.0.1:{plaintext},CONTROLLER://127.0.0.1:{controller}
advertised.listeners=PLAINTEXT://127.0.0.1:{plaintext}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={data}
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
# After a crash the restarted broker cannot register until the controller fenced its previous
# incarnation (session timeout, 9 s by default): a short session keeps restarts quick.
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=2000
"""

# Every broker of this process that may still be running: killed at interpreter exit whatever happened.
_live: set[KafkaBroker] = set()


@atexit.register
def _kill_leftovers() -> None:
    for broker in list(_live):
        broker.close()


class BrokerError(RuntimeError):
    pass


def jars_available(libs: Path = KAFKA_LIBS) -> bool:
    return any(libs.glob("kafka_2.13-*.jar")) and any(libs.glob("kafka-clients-*.jar"))


def java_available() -> bool:
    return shutil.which("java") is not None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _cluster_id() -> str:
    """What `StorageTool random-uuid` prints (URL-safe base64 of 16 random bytes), without a JVM start."""
    while True:
        encoded = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not encoded.startswith("-"):
            return encoded


class KafkaBroker:
    def __init__(
        self,
        workdir: Path,
        *,
        libs: Path = KAFKA_LIBS,
        heap: str = "384m",
        start_timeout: float = 90.0,
        stop_timeout: float = 30.0,
    ) -> None:
        self.workdir = workdir
        self.data = workdir / "data"
        self._libs = libs
        self._heap = heap
        self._start_timeout = start_timeout
        self._stop_timeout = stop_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._launches = 0
        self.port: int | None = None
        self.controller_port: int | None = None

    @property
    def bootstrap(self) -> str:
        if self.port is None:
            raise BrokerError("the broker was never started: it has no port yet")
        return f"127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def log(self) -> Path:
        """The output of the latest launch."""
        return self.workdir / f"server-{self._launches}.log"

    def start(self) -> None:
        """Start (formatting a fresh data dir the first time) and wait until it serves clients."""
        if self.running:
            raise BrokerError("the broker is already running")
        if self.port is None:
            self._format()
        self._launches += 1
        with self.log.open("wb") as out:
            self._process = subprocess.Popen(
                self._java(
                    "-Xms64m",
                    f"-Xmx{self._heap}",
                    "-XX:+UseG1GC",
                    "-XX:MaxGCPauseMillis=20",
                    "-Djava.awt.headless=true",
                    f"-Dkafka.logs.dir={self.workdir / 'logs'}",
                    f"-Dlog4j2.configurationFile={self.workdir / 'log4j2.properties'}",
                    main=["kafka.Kafka", str(self.workdir / "server.properties")],
                ),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                # Its own process group: a Ctrl-C meant for pytest is not a broker crash.
                start_new_session=True,
            )
        _live.add(self)
        self._wait_ready()

    def kill(self) -> None:
        """SIGKILL: the broker dies on the spot, as in a crash (what it wrote is in the page cache)."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM: a controlled shutdown, waited for (killed if it takes longer than the stop timeout)."""
        self._signal(signal.SIGTERM)

    def restart(self) -> None:
        """A controlled stop, then a start on the same data dir and ports."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Kill the broker if it is running. Safe to call any number of times."""
        if self._process is not None and self._process.poll() is None:
            self.kill()
        _live.discard(self)

    def _signal(self, signum: signal.Signals) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signum)
        try:
            process.wait(self._stop_timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(self._stop_timeout)

    def _java(self, *jvm_options: str, main: list[str]) -> list[str]:
        return ["java", *jvm_options, "-cp", str(self._libs / "*"), *main]

    def _format(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "logs").mkdir(exist_ok=True)
        self.data.mkdir(exist_ok=True)
        self.port, self.controller_port = _free_port(), _free_port()
        while self.controller_port == self.port:
            self.controller_port = _free_port()
        (self.workdir / "log4j2.properties").write_text(_LOG4J)
        (self.workdir / "log4j2-tools.properties").write_text(_LOG4J.replace("= info", "= warn"))
        (self.workdir / "server.properties").write_text(
            _SERVER.format(plaintext=self.port, controller=self.controller_port, data=self.data)
        )
        command = self._java(
            "-Xmx256m",
            f"-Dlog4j2.configurationFile={self.workdir / 'log4j2-tools.properties'}",
            main=[
                "kafka.tools.StorageTool",
                "format",
                "-t",
                _cluster_id(),
                "-c",
                str(self.workdir / "server.properties"),
            ],
        )
        done = subprocess.run(command, capture_output=True, text=True, timeout=self._start_timeout, check=False)
        if done.returncode != 0:
            raise BrokerError(f"kafka storage format failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")

    def _wait_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self._start_timeout
        while True:
            if self._process.poll() is not None:
                raise BrokerError(f"kafka exited during start-up ({self._process.returncode}):\n{self._tail()}")
            if READY_LINE in self.log.read_text(errors="replace") and _port_open(self.port or 0):
                return
            if time.monotonic() > deadline:
                self.kill()
                raise BrokerError(f"kafka not ready after {self._start_timeout:.0f}s:\n{self._tail()}")
            time.sleep(0.1)

    def _tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@contextlib.contextmanager
def private_kafka(workdir: Path, *, start_timeout: float = 90.0) -> Iterator[KafkaBroker]:
    """A started private broker, always killed afterwards (test failure included)."""
    if not jars_available() or not java_available():
        message = f"Kafka jars in {KAFKA_LIBS} or java not found (run `bash scripts/services.sh start` once)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    broker = KafkaBroker(workdir, start_timeout=start_timeout)
    try:
        broker.start()
        yield broker
    finally:
        broker.close()
