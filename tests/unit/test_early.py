"""``tests.early``: work started after collection runs at a lower priority, in a thread of its
own, and its result (or its error) reaches the fixture."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from tests import early


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values: Linux")
def test_work_and_the_processes_it_starts_run_at_the_lower_priority():
    before = os.getpriority(os.PRIO_PROCESS, 0)

    def work() -> tuple[int, int, int]:
        child = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpriority(os.PRIO_PROCESS, 0))"],
            capture_output=True,
            text=True,
            check=True,
        )
        own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        return threading.get_native_id(), own, int(child.stdout)

    thread, own, child = _run_once("_early_test_priority", work)
    assert thread != threading.get_native_id()
    assert own == child == min(before + early.BACKGROUND_NICENESS, 19)
    assert os.getpriority(os.PRIO_PROCESS, 0) == before  # the test process is left as it was


def test_an_error_in_the_work_reaches_the_fixture():
    def failing() -> None:
        raise RuntimeError("the work failed")

    with pytest.raises(RuntimeError, match="the work failed"):
        _run_once("_early_test_failing_work", failing)


def _run_once(name, work):
    """``work`` registered as ``name``'s and its result fetched (it was not started after
    collection, so ``result`` starts it), then forgotten."""
    early.start_after_collection(name)(work)
    try:
        return early.result(name)
    finally:
        early._WORK.pop(name)
        early._STARTED.pop(name)
        early.TIMINGS.pop(name, None)
