"""Temp-dir hygiene: every make_app outdir is removed once the test or fixture that made the
app is done, so runs leave no `cdk-test-*` folders behind (tests/conftest.py, `_OUTDIRS`)."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import ROOT

CONFTEST = textwrap.dedent(
    """
    from tests.conftest import (  # the real hooks and fixtures, in a session of their own
        _remove_module_outdirs,
        _remove_session_outdirs,
        _remove_test_outdirs,
        pytest_fixture_setup,
        pytest_runtest_call,
    )
    """
)
TESTS = textwrap.dedent(
    """
    import json, os
    from pathlib import Path

    import pytest

    from tests.conftest import make_app

    SEEN = Path(os.environ["SEEN"])


    def seen():
        return json.loads(SEEN.read_text()) if SEEN.exists() else {}


    def record(**outdirs):
        SEEN.write_text(json.dumps({**seen(), **outdirs}))


    @pytest.fixture(scope="module")
    def module_app():
        return make_app()


    @pytest.fixture(scope="session")
    def session_app():
        return make_app()


    @pytest.fixture
    def function_app():
        return make_app()


    def test_1_apps_have_their_outdirs(module_app, session_app, function_app):
        app = make_app()
        app.synth()  # an assembly written into the outdir is removed with it
        record(test=app.outdir, fixture=function_app.outdir, module=module_app.outdir,
               session=session_app.outdir)
        assert all(Path(d).is_dir() for d in seen().values())


    def test_2_a_test_s_apps_are_gone_after_it_module_and_session_apps_stay(
        module_app, session_app
    ):
        assert not Path(seen()["test"]).exists()
        assert not Path(seen()["fixture"]).exists()
        assert Path(module_app.outdir).is_dir() and Path(session_app.outdir).is_dir()
    """
)
LATER_MODULE = textwrap.dedent(
    """
    import json, os
    from pathlib import Path


    def test_3_the_previous_module_s_app_is_gone_the_session_s_stays():
        seen = json.loads(Path(os.environ["SEEN"]).read_text())
        assert not Path(seen["module"]).exists()
        assert Path(seen["session"]).is_dir()
    """
)


def test_make_app_outdirs_are_removed_when_their_owner_is_done(tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "conftest.py").write_text(CONFTEST)
    (suite / "test_a.py").write_text(TESTS)
    (suite / "test_b.py").write_text(LATER_MODULE)
    seen = tmp_path / "seen.json"
    env = {**os.environ, "SEEN": str(seen), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "--rootdir",
            str(suite),
            str(suite),
        ],
        cwd=suite,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "3 passed" in result.stdout
    outdirs = json.loads(seen.read_text())
    assert sorted(outdirs) == ["fixture", "module", "session", "test"]
    assert all(Path(d).name.startswith("cdk-test-") for d in outdirs.values())
    assert not [d for d in outdirs.values() if Path(d).exists()]  # the session's too
