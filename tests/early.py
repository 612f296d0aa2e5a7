"""Slow work that runs outside the test process (a JVM, ``app.py`` under the CLI's context),
started in a thread right after collection so that it overlaps the rest of the suite.

The test process keeps about one core busy (Python and the jsii Node process take turns); on a
2-core machine the other core is free for work that waits on a subprocess. A test module
registers such work under the name of the session fixture that returns it::

    @early.start_after_collection("flink_run")
    def _run_flink() -> FlinkRun: ...

When the session collects a test that uses the fixture, the root conftest starts the work after
collection and moves those tests to the end of the run; the fixture returns ``result(name)``,
which waits for it (and raises what it raised). Work no collected test needs is never started;
``result`` of work that was not started (``--collect-only``, a plugin reordering) runs it then.

The work runs at a lower CPU priority (``BACKGROUND_NICENESS``; the processes it starts inherit
it): the tests in the foreground are the critical path, the work fills the time they leave.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_WORK: dict[str, Callable[[], Any]] = {}
_STARTED: dict[str, Future[Any]] = {}
_TEMP_DIRS: list[Path] = []
BACKGROUND_NICENESS = 10
TIMINGS: dict[str, float] = {}
"""Seconds each fixture waited for its work (printed at the end of the session)."""


def start_after_collection(fixture: str) -> Callable[[Callable[[], T]], Callable[[], T]]:
    """Register ``work`` as what ``fixture`` returns (see the module docstring)."""

    def register(work: Callable[[], T]) -> Callable[[], T]:
        assert fixture not in _WORK, f"{fixture} registered twice"
        _WORK[fixture] = work
        return work

    return register


def registered() -> frozenset[str]:
    return frozenset(_WORK)


def start(fixtures: Iterable[str]) -> None:
    """Start the registered work of ``fixtures``, each in its own thread."""
    for name in sorted(set(fixtures) & set(_WORK) - set(_STARTED)):
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"early-{name}")
        _STARTED[name] = pool.submit(at_low_priority, _WORK[name])
        pool.shutdown(wait=False)


def at_low_priority(work: Callable[[], T]) -> T:
    """``work()`` in the calling thread, lowered to ``BACKGROUND_NICENESS`` for good (Linux
    gives each thread its own nice value; a process it starts inherits it; elsewhere the
    priority stays as it is, as a thread id is not a process id there)."""
    if sys.platform.startswith("linux"):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICENESS)
    return work()


def result(fixture: str) -> Any:
    """What ``fixture``'s work returned, waiting for it if it still runs."""
    started = time.monotonic()
    if fixture not in _STARTED:
        start([fixture])
    try:
        return _STARTED[fixture].result()
    finally:
        TIMINGS[fixture] = time.monotonic() - started


def temp_dir(prefix: str) -> Path:
    """A temporary directory for background work, removed at the end of the session."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    _TEMP_DIRS.append(path)
    return path


def finish() -> None:
    """Wait for work still running (a test run stopped early), then remove the temp dirs."""
    for future in _STARTED.values():
        future.exception()
    _STARTED.clear()
    while _TEMP_DIRS:
        shutil.rmtree(_TEMP_DIRS.pop(), ignore_errors=True)
