"""``python -m ml_data_platform.local deploy|destroy``: the platform on an embedded moto server.

``deploy`` starts a moto server on 127.0.0.1, deploys every stack of a cloud assembly through
its CloudFormation API (default: the dev stage synthesized for the emulator into
``.local-emulator/cdk.out``), prints what was created, what was only accepted, the read-back
checks and a data check, then stops the server, or with ``--keep-running`` leaves it running
and records it in ``.local-emulator/state.json``. ``destroy`` deletes those stacks in reverse
order and stops that server.

Exit codes: 0 all good; 1 a stack failed or a check disagreed; 2 the assembly cannot be
deployed on the emulator as it is (the message says why and how to synthesize for it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ml_data_platform.config import ConfigError

STATE_DIR = Path(".local-emulator")
STATE_FILE = STATE_DIR / "state.json"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ml_data_platform.local",
        description="Deploy the platform on an embedded moto server and report what is real.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    deploy = commands.add_parser("deploy", help="deploy a cloud assembly on a new moto server")
    deploy.add_argument(
        "--assembly",
        type=Path,
        help="cloud assembly directory (cdk.out) synthesized for the emulator; default: "
        f"synthesize the dev stage for the emulator into {STATE_DIR}/cdk.out",
    )
    deploy.add_argument(
        "--keep-running",
        action="store_true",
        help=f"leave the server running (recorded in {STATE_FILE}); end it with destroy",
    )
    deploy.add_argument("--port", type=int, help="server port (default: a free one)")
    deploy.add_argument(
        "--stack-timeout", type=float, default=60.0, help="seconds per stack (default 60)"
    )
    deploy.add_argument("--dataset", default=None, help="dataset for the S3 data check")
    commands.add_parser("destroy", help="delete the kept stacks and stop the kept server")
    args = parser.parse_args(argv)
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    return deploy_command(args) if args.command == "deploy" else destroy_command()


def deploy_command(args: argparse.Namespace) -> int:
    from ml_data_platform.local.assembly import LocalDeployError
    from ml_data_platform.local.datacheck import run_data_check
    from ml_data_platform.local.deploy import deploy_assembly, synthesize_local
    from ml_data_platform.local.emulator import MotoServer

    started = time.monotonic()
    state = _read_state()
    if state is not None and _is_moto(state["pid"]):
        print(
            f"error: a local emulator is already running (pid {state['pid']}, "
            f"{state['endpoint_url']}); run destroy first",
            file=sys.stderr,
        )
        return 1
    assembly = args.assembly
    if assembly is None:
        try:
            assembly = synthesize_local(STATE_DIR / "cdk.out")
        except ConfigError as error:
            print(f"error: cdk.json: {error}", file=sys.stderr)
            return 2
        print(f"synthesized for the emulator into {assembly} in {time.monotonic() - started:.1f} s")
    server = MotoServer(port=args.port).start()
    keep = False
    try:
        try:
            report = deploy_assembly(
                server.client,
                assembly,
                region=server.region,
                stack_timeout_seconds=args.stack_timeout,
            )
        except LocalDeployError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(report.format())
        ok = report.ok
        if all(s.status == "CREATE_COMPLETE" for s in report.stacks):
            check = run_data_check(server.client, report, dataset=args.dataset or _dataset())
            print("Data check:")
            print("\n".join(f"  {line}" for line in check.lines))
            ok = ok and check.ok
        if args.keep_running:
            keep = True
            _write_state(server, [s.name for s in report.stacks], assembly)
        print(f"total wall time: {time.monotonic() - started:.1f} s")
        if keep:
            print(
                f"emulator left running at {server.endpoint_url} (pid {server.pid}); "
                f"state in {STATE_FILE}; end it with: python -m ml_data_platform.local destroy"
            )
        print("RESULT: " + ("OK" if ok else "FAILED (see MISMATCH/FAILED above)"))
        return 0 if ok else 1
    finally:
        if keep:
            server.detach()
        else:
            server.stop()


def destroy_command() -> int:
    from ml_data_platform.local.deploy import destroy_stacks

    state = _read_state()
    if state is None:
        print(f"nothing to destroy: no {STATE_FILE}")
        return 0
    if not _is_moto(state["pid"]):
        print(f"the recorded emulator (pid {state['pid']}) is not running; removing {STATE_FILE}")
        STATE_FILE.unlink()
        return 0
    client = _client_factory(state["endpoint_url"], state["region"])
    for name, status in destroy_stacks(client, state["stacks"]):
        print(f"  {name}: {status}")
    _stop(state["pid"])
    STATE_FILE.unlink()
    print(f"stopped the emulator (pid {state['pid']}); retained resources ended with it")
    return 0


def _dataset() -> str:
    """The first dataset of the dev environment in cdk.json, else ``clickstream``."""
    try:
        from ml_data_platform.config import settings_from_context

        context = json.loads(Path("cdk.json").read_text())["context"]
        return settings_from_context(context, "dev").datasets[0].name
    except Exception:
        return "clickstream"


def _client_factory(endpoint_url: str, region: str) -> Any:
    import boto3

    from ml_data_platform.local.emulator import DUMMY_CREDENTIALS

    session = boto3.session.Session(region_name=region, **DUMMY_CREDENTIALS)
    return lambda service: session.client(service, endpoint_url=endpoint_url)


def _write_state(server: Any, stacks: list[str], assembly: Path) -> None:
    STATE_DIR.mkdir(exist_ok=True)
    state = {
        "pid": server.pid,
        "port": int(server.endpoint_url.rsplit(":", 1)[1]),
        "endpoint_url": server.endpoint_url,
        "region": server.region,
        "stacks": stacks,
        "assembly": str(assembly),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    STATE_FILE.write_text(json.dumps(state, indent=2) + "\n")


def _read_state() -> dict[str, Any] | None:
    if not STATE_FILE.is_file():
        return None
    state: dict[str, Any] = json.loads(STATE_FILE.read_text())
    return state


def _is_moto(pid: int) -> bool:
    """True if ``pid`` is alive and is a moto_server (not a recycled pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True  # no /proc: trust the recorded pid
    return b"moto_server" in cmdline


def _stop(pid: int, timeout_seconds: float = 5.0) -> None:
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_seconds
    while _is_moto(pid) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.05)
    if _is_moto(pid):
        os.kill(pid, signal.SIGKILL)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):  # not our child: its parent reaps it
        os.waitpid(pid, os.WNOHANG)


if __name__ == "__main__":
    sys.exit(main())
