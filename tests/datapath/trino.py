"""A Trino server (Athena's engine) for the data-path tests, and tables defined from Glue.

The server is the pinned release that ``make trino`` unpacks into ``.trino/``, run with the Hive
connector over the local S3 emulator (moto) with partition projection enabled, so a table's
Athena ``projection.*`` parameters drive the query as they do in Athena
(https://trino.io/docs/current/connector/hive.html#partition-projection, which reads the same
table properties as https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html).

Tables are defined from the *synthesized* Glue ``TableInput``: its columns, partition keys, SerDe,
input/output formats, SerDe parameters, location and table parameters are written, unchanged, into
Trino's file metastore (the JSON a ``FileHiveMetastore`` keeps per table), which is what Trino's
Glue metastore would hand the connector for the same table.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from trino.exceptions import TrinoQueryError

from ml_data_platform.local.emulator import HOST, find_free_port

NODE_ANNOUNCEMENT_SECONDS = 30

REPO_ROOT = Path(__file__).resolve().parents[2]
TRINO_DIR = REPO_ROOT / ".trino"
DEFAULT_JAVA_HOME = "/usr/lib/jvm/temurin-25-jdk-amd64"
HEAP = "1G"
"""The JVM heap cap: the box is shared (2 cores, 24 GB for 8 engineers); the tests' queries
read a few kB."""
START_TIMEOUT_SECONDS = 240
CATALOG = "hive"


def trino_home() -> Path:
    """The unpacked server (``make trino``); a clear error when it is missing."""
    homes = sorted(TRINO_DIR.glob("trino-server-core-*"))
    if len(homes) != 1 or not (TRINO_DIR / "plugin").is_dir():
        raise RuntimeError(
            f"no Trino server in {TRINO_DIR} (found {[h.name for h in homes]}): run `make trino`"
        )
    return homes[0]


class TrinoServer:
    """One Trino coordinator (also the worker) reading ``s3://`` from ``s3_endpoint``.

    ``start()`` writes its configuration under ``workdir``, runs ``bin/launcher run`` in its own
    process group and waits until a query answers; ``stop()`` ends that process group only.
    """

    def __init__(self, workdir: Path, *, s3_endpoint: str) -> None:
        self.workdir = workdir
        self.s3_endpoint = s3_endpoint
        self.metastore = workdir / "metastore"
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self.startup_seconds = 0.0

    def _write_config(self) -> Path:
        etc = self.workdir / "etc"
        (etc / "catalog").mkdir(parents=True, exist_ok=True)
        self.metastore.mkdir(parents=True, exist_ok=True)
        data = self.workdir / "data"
        data.mkdir(exist_ok=True)
        (etc / "node.properties").write_text(
            "node.environment=datapath\nnode.id=datapath\n"
            f"node.internal-address={HOST}\nnode.data-dir={data}\n"
        )
        (etc / "jvm.config").write_text(
            "\n".join(
                [
                    "-server",
                    f"-Xmx{HEAP}",
                    # Start-up dominates (the queries are tiny): C1 only, one GC thread, and a
                    # class-data archive that later runs reuse.
                    "-XX:TieredStopAtLevel=1",
                    "-XX:+UseSerialGC",
                    "-XX:+ExitOnOutOfMemoryError",
                    "-XX:-UsePerfData",
                    "-Djdk.attach.allowAttachSelf=true",
                    # Athena reads Parquet INT96 timestamps as UTC; Trino uses the JVM's zone.
                    "-Duser.timezone=UTC",
                    "-XX:+AutoCreateSharedArchive",
                    f"-XX:SharedArchiveFile={TRINO_DIR / 'trino.jsa'}",
                ]
            )
            + "\n"
        )
        (etc / "config.properties").write_text(
            "coordinator=true\nnode-scheduler.include-coordinator=true\n"
            f"http-server.http.port={self.port}\ndiscovery.uri=http://{HOST}:{self.port}\n"
            f"plugin.dir={TRINO_DIR / 'plugin'}\n"
            "query.max-memory=256MB\nquery.max-memory-per-node=256MB\n"
            "task.concurrency=1\ntask.max-worker-threads=4\n"
        )
        (etc / "log.properties").write_text("io.trino=WARN\n")
        (etc / "catalog" / f"{CATALOG}.properties").write_text(
            "connector.name=hive\n"
            "hive.metastore=file\n"
            f"hive.metastore.catalog.dir=local://{self.metastore}\n"
            "fs.native-local.enabled=true\n"
            "local.location=/\n"
            # Athena's partition projection, read from the same table properties.
            "hive.partition-projection-enabled=true\n"
            "fs.native-s3.enabled=true\n"
            f"s3.endpoint={self.s3_endpoint}\n"
            "s3.region=us-east-1\n"
            "s3.path-style-access=true\n"
            "s3.aws-access-key=testing\n"
            "s3.aws-secret-key=testing\n"
        )
        return etc

    def start(self, *, wait: bool = True) -> TrinoServer:
        """Launch the server; with ``wait=False`` return at once (``wait_until_ready`` later)."""
        home = trino_home()
        java_home = os.environ.get("TRINO_JAVA_HOME", DEFAULT_JAVA_HOME)
        if not Path(java_home, "bin", "java").exists():
            raise RuntimeError(f"Trino needs Java >= 24: set TRINO_JAVA_HOME (no {java_home})")
        self.port = find_free_port()
        etc = self._write_config()
        env = {**os.environ, "JAVA_HOME": java_home}
        env["PATH"] = f"{java_home}/bin:{env.get('PATH', '')}"
        self._started = time.monotonic()
        self._log = (self.workdir / "launcher.log").open("wb")
        self._process = subprocess.Popen(
            [str(home / "bin" / "launcher"), "run", f"--etc-dir={etc}"],
            cwd=self.workdir,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if wait:
            self.wait_until_ready()
        return self

    def wait_until_ready(self) -> None:
        """Block until a query answers (``startup_seconds``: from launch to then)."""
        try:
            self._wait_until_ready(self._started)
        except BaseException:
            self.stop()
            raise
        if not self.startup_seconds:
            self.startup_seconds = time.monotonic() - self._started

    def _wait_until_ready(self, started: float) -> None:
        if self.startup_seconds:
            return
        if self._process is None:
            raise RuntimeError("Trino is not running")
        # Launched early (at collection), it may have had its time already: poll at least a
        # little while from now too.
        deadline = max(started + START_TIMEOUT_SECONDS, time.monotonic() + 30)
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"Trino exited with code {self._process.returncode}:\n{self._output()}"
                )
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/v1/info", timeout=2) as r:
                    # Answering is not enough: a query that reads the catalog needs the node
                    # registered as active (else NO_NODES_AVAILABLE right after the start).
                    if not json.load(r)["starting"] and self._has_active_node():
                        self.query(f"SHOW SCHEMAS FROM {CATALOG}")
                        return
            except (OSError, urllib.error.URLError, ValueError, TrinoQueryError):
                pass
            time.sleep(0.5)
        raise RuntimeError(
            f"Trino did not start within {START_TIMEOUT_SECONDS} s:\n{self._output()}"
        )

    def _has_active_node(self) -> bool:
        rows = self.query("SELECT count(*) FROM system.runtime.nodes WHERE state = 'active'")
        return bool(rows and rows[0][0] > 0)

    def _output(self) -> str:
        return (self.workdir / "launcher.log").read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, 15)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, 9)
                self._process.wait()
        self._process = None
        if getattr(self, "_log", None):
            self._log.close()

    def connect(self) -> Any:
        import trino

        return trino.dbapi.connect(
            host=HOST, port=self.port, user="datapath", catalog=CATALOG, schema="default"
        )

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run ``sql``; the rows as tuples (Trino's client maps types to Python values)."""
        return self.execute(sql, params)[0]

    def execute(
        self, sql: str, params: list[Any] | None = None
    ) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
        """Run ``sql``; its rows and the query's statistics. Right after the start a node may
        answer before it has announced its catalogs (NO_NODES_AVAILABLE): retried for a while."""
        deadline = time.monotonic() + NODE_ANNOUNCEMENT_SECONDS
        while True:
            try:
                with self.connect() as connection:
                    cursor = connection.cursor()
                    cursor.execute(sql, params)
                    return [tuple(row) for row in cursor.fetchall()], cursor.stats
            except TrinoQueryError as error:
                if error.error_name != "NO_NODES_AVAILABLE" or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def define_table(self, database: str, table_input: dict[str, Any]) -> str:
        """Register a Glue ``TableInput`` (resolved: no intrinsics left) in ``database``;
        returns ``"<database>"."<table>"`` for queries."""
        name = table_input["Name"]
        storage = table_input["StorageDescriptor"]
        serde = storage["SerdeInfo"]
        database_file = self.metastore / f".{database}.trinoSchema"
        if not database_file.exists():
            database_file.write_text(
                json.dumps(
                    {
                        "writerVersion": trino_home().name.rsplit("-", 1)[1],
                        "ownerName": "datapath",
                        "ownerType": "USER",
                        "parameters": {},
                    }
                )
            )
        table_dir = self.metastore / database / name
        if table_dir.exists():
            shutil.rmtree(table_dir)
        table_dir.mkdir(parents=True)
        metadata = {
            "writerVersion": trino_home().name.rsplit("-", 1)[1],
            "owner": "datapath",
            "tableType": table_input.get("TableType", "EXTERNAL_TABLE"),
            "dataColumns": [_column(c) for c in storage["Columns"]],
            "partitionColumns": [_column(c) for c in table_input.get("PartitionKeys", [])],
            "parameters": table_input.get("Parameters", {}),
            "originalStorageFormat": {
                "serde": serde["SerializationLibrary"],
                "inputFormat": storage["InputFormat"],
                "outputFormat": storage["OutputFormat"],
            },
            "serdeParameters": serde.get("Parameters", {}),
            "externalLocation": storage["Location"],
            "columnStatistics": {},
        }
        (table_dir / ".trinoSchema").write_text(json.dumps(metadata, indent=1))
        return f'"{database}"."{name}"'


def _column(column: dict[str, Any]) -> dict[str, Any]:
    result = {"name": column["Name"], "type": column["Type"], "properties": {}}
    if column.get("Comment"):
        result["comment"] = column["Comment"]
    return result
