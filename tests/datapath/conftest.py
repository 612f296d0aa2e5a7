"""Session fixtures of the data-path layer: one moto server and one Trino server for all its
tests. Trino takes ~30-80 s to start on the shared 2-core machine, so when the session collects
any data-path test it is launched right after collection and boots while the rest of the suite
runs; the data-path tests are moved to the end of the run and wait for it there."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ml_data_platform.local import MotoServer
from tests import early
from tests.datapath.trino import TrinoServer

HERE = Path(__file__).parent
TIMINGS: dict[str, float] = {}
"""Seconds of the layer's set-up, printed at the end of the session (``make bench`` shows it)."""
_SERVERS: dict[str, object] = {}


def _is_datapath(item: pytest.Item) -> bool:
    return HERE in Path(str(item.path)).parents


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_is_datapath)  # stable: the data-path tests last, in their order


def _needs_servers(item: pytest.Item) -> bool:
    return bool({"trino", "lake_moto"} & set(getattr(item, "fixturenames", ())))


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.option.collectonly or not any(map(_needs_servers, session.items)):
        return
    moto = MotoServer().start()
    _SERVERS["moto"] = moto
    workdir = Path(tempfile.mkdtemp(prefix="datapath-trino-"))
    # at a low priority: its start-up (~100 s of CPU) must not slow the tests that run meanwhile
    trino = TrinoServer(workdir, s3_endpoint=moto.endpoint_url)
    _SERVERS["trino"] = early.in_low_priority_thread(lambda: trino.start(wait=False))


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
def lake_moto() -> MotoServer:
    moto = _SERVERS.get("moto")
    assert isinstance(moto, MotoServer), "the data-path servers start after collection"
    return moto


@pytest.fixture(scope="session")
def trino(lake_moto: MotoServer) -> Iterator[TrinoServer]:
    server = _SERVERS["trino"]
    assert isinstance(server, TrinoServer)
    waited = time.monotonic()
    server.wait_until_ready()
    # From launch (at collection) to this first use: an upper bound of the start-up time when
    # other tests ran meanwhile; what the suite paid is the wait.
    TIMINGS["trino launch to first use"] = server.startup_seconds
    TIMINGS["waited for trino"] = time.monotonic() - waited
    yield server


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TIMINGS:
        summary = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in TIMINGS.items())
        terminalreporter.write_line(f"datapath layer: {summary}")
