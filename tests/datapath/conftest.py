"""Session fixtures of the data-path layer: one moto server and one Trino server for all its
tests. Trino takes ~30-80 s to start on the shared 2-core machine, so when the session collects
a test that needs them they are launched right after collection (``tests.early``) and Trino
boots while the rest of the suite runs; the data-path tests run last and wait for it there."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ml_data_platform.local import MotoServer
from tests import early
from tests.datapath.trino import TrinoServer

TIMINGS: dict[str, float] = {}
"""Seconds of the layer's set-up, printed at the end of the session (``make bench`` shows it)."""
_SERVERS: dict[str, object] = {}


@dataclass(frozen=True)
class DatapathServers:
    moto: MotoServer
    trino: TrinoServer
    """Launched, not yet ready: the ``trino`` fixture waits for it."""


@early.start_after_collection("datapath_servers")
def _launch_servers() -> DatapathServers:
    # at a low priority (tests.early): Trino's start-up (~100 s of CPU) must not slow the
    # tests that run meanwhile
    _SERVERS["moto"] = moto = MotoServer().start()
    workdir = Path(tempfile.mkdtemp(prefix="datapath-trino-"))
    trino = TrinoServer(workdir, s3_endpoint=moto.endpoint_url)
    _SERVERS["trino"] = trino.start(wait=False)
    return DatapathServers(moto, trino)


@pytest.fixture(scope="session")
def datapath_servers() -> DatapathServers:
    return early.result("datapath_servers")


@pytest.hookimpl(trylast=True)  # after tests.early has waited for the launch
def pytest_sessionfinish() -> None:
    trino = _SERVERS.pop("trino", None)
    if isinstance(trino, TrinoServer):
        started = time.monotonic()
        trino.stop()
        TIMINGS["trino stop"] = time.monotonic() - started
        shutil.rmtree(trino.workdir, ignore_errors=True)
    moto = _SERVERS.pop("moto", None)
    if isinstance(moto, MotoServer):
        moto.stop()


@pytest.fixture(scope="session")
def lake_moto(datapath_servers: DatapathServers) -> MotoServer:
    return datapath_servers.moto


@pytest.fixture(scope="session")
def trino(datapath_servers: DatapathServers) -> Iterator[TrinoServer]:
    server = datapath_servers.trino
    waited = time.monotonic()
    server.wait_until_ready()
    # From launch (after collection) to this first use: an upper bound of the start-up time
    # when other tests ran meanwhile; what the suite paid is the wait.
    TIMINGS["trino launch to first use"] = server.startup_seconds
    TIMINGS["waited for trino"] = time.monotonic() - waited
    yield server


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TIMINGS:
        summary = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in TIMINGS.items())
        terminalreporter.write_line(f"datapath layer: {summary}")
