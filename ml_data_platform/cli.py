"""The ``ml-data-platform`` command: ``plan`` (workload planner), ``send`` (producer), ``guard``
(refuses a deploy that would lose data) and ``restore`` (archive restores with S3 Batch
Operations)."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

# Sub-command name -> module exposing ``register(subparsers)``; imported lazily so that
# optional dependencies (boto3 for ``send``) are only needed by the command that uses them.
_COMMANDS = {
    "plan": "ml_data_platform.planning.cli",
    "plan-ingestion": "ml_data_platform.planning.ingestion_cli",
    "send": "ml_data_platform.producer.cli",
    "guard": "ml_data_platform.deploy_guard.cli",
    "restore": "ml_data_platform.restore.cli",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code."""
    # The CLI's users did not choose the jsii runtime's Node version: keep its banner quiet.
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    parser = argparse.ArgumentParser(prog="ml-data-platform", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module_name in _COMMANDS.values():
        importlib.import_module(module_name).register(subparsers)
    args = parser.parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
