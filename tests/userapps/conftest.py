"""The user-app suite's set-up: the wheel, built once per session and installed into a fresh
venv in a temp dir outside the repository, and a runner that synthesizes one app there through
the pinned CDK CLI (``node_modules/.bin/cdk``) with no AWS credentials in the environment.

The venv gets the wheel itself (``pip install --no-deps``); its third-party dependencies
(aws-cdk-lib, constructs, cdk-nag: ~470 MB, 30 s to 5 min to unpack on this machine) come from
the dev venv through a ``.pth`` line, after ``pip check`` has confirmed that the wheel's
declared requirements are met there. ``ml_data_platform`` itself resolves to the wheel's copy
(asserted), never to this checkout.

The wheel, the venv and every app's synthesis run as one piece of work started after
collection (``tests.early``): in a session with the rest of the suite they run beside it (on
the core the test process leaves free), and the user-app tests run last.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests import early
from tests.conftest import CDK_CONTEXT, ROOT

CDK_CLI = ROOT / "node_modules" / ".bin" / "cdk"
APPS = Path(__file__).resolve().parent / "apps"
# The feature flags `cdk init` writes for this CDK version (the repo's cdk.json has them):
# what a new user's cdk.json holds.
USER_CDK_CONTEXT = {k: v for k, v in CDK_CONTEXT.items() if not k.startswith("ml-data-platform")}
SYNTH_TIMEOUT_SECONDS = 600


def build_wheel(destination: Path) -> Path:
    """Build this checkout's wheel into ``destination`` (no dependencies, no isolation: the
    build backend comes from the dev venv) and return its path."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(destination),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = destination.glob("ml_data_platform-*.whl")
    return wheel


@dataclass
class UserVenv:
    """The fresh venv with the wheel, and what each synthesis cost."""

    root: Path
    wheel: Path
    python: Path
    home: Path
    setup_seconds: float
    synth_seconds: dict[str, float] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        """What the CLI and the app see: no AWS credentials or profile, an empty home (no
        ~/.aws), no proxy to the metadata service; the jsii package cache stays shared."""
        return {
            "PATH": f"{self.python.parent}:{Path(shutil.which('node')).parent}:/usr/bin:/bin",
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "AWS_EC2_METADATA_DISABLED": "true",
            "CDK_DISABLE_CLI_TELEMETRY": "true",
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
            "JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(
                Path.home() / ".cache" / "aws" / "jsii" / "package-cache"
            ),
        }

    def synth(self, name: str, source: str) -> tuple[Path, subprocess.CompletedProcess]:
        """Write ``source`` as ``app.py`` of a new app directory with a ``cdk init``-style
        cdk.json, run ``cdk synth`` there, and return the assembly directory and the run."""
        app_dir = self.root / "apps" / name
        app_dir.mkdir(parents=True)
        (app_dir / "app.py").write_text(source)
        (app_dir / "cdk.json").write_text(
            json.dumps({"app": f"{self.python} app.py", "context": USER_CDK_CONTEXT}, indent=1)
        )
        start = time.perf_counter()
        result = subprocess.run(
            [str(CDK_CLI), "synth", "--quiet", "--no-notices", "-o", "cdk.out"],
            cwd=app_dir,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=SYNTH_TIMEOUT_SECONDS,
        )
        self.synth_seconds[name] = time.perf_counter() - start
        return app_dir / "cdk.out", result


_VENV: list[UserVenv] = []


def make_user_venv() -> UserVenv:
    """The wheel, a venv in a temp dir outside the repo with the wheel installed, its declared
    requirements checked."""
    start = time.perf_counter()
    work = early.temp_dir("userapps-")
    assert ROOT not in work.parents, f"{work} is inside the repository"
    assert CDK_CLI.exists(), f"{CDK_CLI} missing: run `make install`"
    wheel = build_wheel(work / "dist")
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(work / "venv")],
        check=True,
        capture_output=True,
    )
    python = work / "venv" / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(purelib) / "zz_dev_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    check = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "check"],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    home = work / "home"
    home.mkdir()
    venv = UserVenv(work, wheel, python, home, time.perf_counter() - start)
    located = subprocess.run(
        [str(python), "-c", "import ml_data_platform; print(ml_data_platform.__file__)"],
        env=venv.environment(),
        cwd=work,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert located.startswith(purelib), f"ml_data_platform imported from {located}"
    _VENV.append(venv)
    return venv


def pytest_terminal_summary(terminalreporter) -> None:
    for venv in _VENV:
        timings = ", ".join(
            f"{name} {seconds:.1f} s" for name, seconds in venv.synth_seconds.items()
        )
        terminalreporter.write_line(
            f"user apps: wheel + venv {venv.setup_seconds:.1f} s; cdk synth: {timings}; "
            f"total {venv.setup_seconds + sum(venv.synth_seconds.values()):.1f} s"
        )


def app_source(name: str) -> str:
    return (APPS / f"{name}.py").read_text()
