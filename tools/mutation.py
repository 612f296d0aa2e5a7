#!/usr/bin/env python3
"""Mutation testing of the validation modules with mutmut, one module at a time.

Usage: ``tools/mutation.py [MODULE ...]`` (default: every module in ``MODULES``);
``make mutation`` runs it, ``make mutation MODULES="lifecycle names"`` a few.

Each module is mutated in a scratch copy of the repository (``build/mutation/<module>``:
mutmut writes its ``mutants/`` tree and cache there, never in the checkout) and judged by its
fast test subset only, so one run fits the 2-core machine. The score is the share of
behaviour-changing mutants the subset kills: mutants listed in ``EQUIVALENT`` (they change
no behaviour, each with the reason) are left out; a surviving mutant, one no test reaches and
one that times out all count against the score. Prints one line per module and the surviving
mutants (``mutmut show <name>`` in the scratch copy prints the diff); exits 1 when a module
is below ``TARGET``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / "build" / "mutation"
TARGET = 0.95
# What a scratch copy needs: the package, the tests (conftest reads cdk.json), the config.
COPIED = ("ml_data_platform", "tests", "cdk.json", "pyproject.toml")


@dataclass(frozen=True)
class Module:
    """A validation module (or a few files validated together) and its fast tests.

    ``only``: mutmut name patterns (fnmatch) of the functions mutated and judged, for a file
    that mixes validation with construct wiring; default: every function of ``files``.
    """

    files: tuple[str, ...]
    tests: tuple[str, ...]
    only: tuple[str, ...] = ()


@dataclass(frozen=True)
class Equivalent:
    """A mutant that changes no behaviour: ``changed`` is a fragment of its mutated line (as
    ``mutmut show`` prints it after ``+``), checked on every run so that a mutant renumbered
    by an edit of its function is judged again instead of excused by an old reason."""

    changed: str
    why: str


MODULES = {
    "lifecycle": Module(
        ("ml_data_platform/storage/lifecycle.py",),
        ("tests/unit/storage/test_lifecycle.py", "tests/unit/storage/test_lifecycle_exact.py"),
    ),
    "buffering": Module(
        ("ml_data_platform/streaming/buffering.py",), ("tests/unit/streaming/test_buffering.py",)
    ),
    "names": Module(("ml_data_platform/core/names.py",), ("tests/unit/core/test_names.py",)),
    "inputs": Module(("ml_data_platform/core/inputs.py",), ("tests/unit/core/test_inputs.py",)),
    "config": Module(
        (
            "ml_data_platform/config/reader.py",
            "ml_data_platform/config/settings.py",
            "ml_data_platform/config/ingestion.py",
        ),
        # the dataset/partition-key config is tested with the layout's tests
        (
            "tests/unit/config",
            "tests/unit/storage/test_partition_keys.py",
            "tests/unit/test_dataset_inputs.py",
            # datasets[].volume is read by the config, priced by the planner
            "tests/unit/planning/test_config_volume.py",
        ),
    ),
    "services": Module(
        ("ml_data_platform/config/services.py",),
        ("tests/unit/config/test_services_config.py", "tests/unit/config/test_config_messages.py"),
    ),
    "deploy_guard": Module(
        ("ml_data_platform/deploy_guard/changes.py", "ml_data_platform/deploy_guard/cli.py"),
        ("tests/unit/deploy_guard",),
    ),
    # The acknowledgement checks; attaching the plugin (enable_control_tower_checks) is wiring
    # that tests/nag/test_control_tower.py checks through cfn-guard.
    "control_tower": Module(
        ("ml_data_platform/compliance/control_tower.py",),
        ("tests/unit/compliance/test_control_tower_keys.py",),
        only=tuple(
            f"ml_data_platform.compliance.control_tower.x_{function}__mutmut_*"
            for function in (
                "acknowledge_control_tower",
                "acknowledge_cross_stack_keys",
                "_property",
                "_key_resource",
            )
        ),
    ),
    # Only the validation functions: the constructs' wiring is pinned by template assertions.
    "replication": Module(
        ("ml_data_platform/storage/replication.py",),
        ("tests/unit/storage/test_replication_inputs.py", "tests/unit/storage/test_replication.py"),
        only=tuple(
            f"ml_data_platform.storage.replication.x_{function}__mutmut_*"
            for function in (
                "validate_region",
                "replica_key_alias_arn",
                "_zone_id",
                "_check_source",
                "_check_key_arn",
            )
        ),
    ),
}

# Mutants that change no behaviour, by mutmut name, with the line they change and why.
EQUIVALENT: dict[str, dict[str, Equivalent]] = {
    "buffering": {
        "ml_data_platform.streaming.buffering.x_static_part__mutmut_4": Equivalent(
            'split("!{", )[0]',
            'split("!{")[0] instead of split("!{", 1)[0]: the first piece is the same',
        ),
        "ml_data_platform.streaming.buffering.x_static_part__mutmut_7": Equivalent(
            'split("!{", 2)[0]',
            'split("!{", 2)[0] instead of split("!{", 1)[0]: the first piece is the same',
        ),
        **{
            f"ml_data_platform.streaming.buffering.x_validate_prefixes__mutmut_{number}": (
                Equivalent(
                    changed,
                    "another split of '!{partitionKeyFromQuery:<key>}' at ':': they differ only "
                    "for a key containing ':', which the expression pattern refuses before "
                    "([A-Za-z0-9_]+)",
                )
            )
            for number, changed in (
                (71, 'e.split(":", )[1]'),
                (72, 'e.rsplit(":", 1)[1]'),
                (74, 'e.split(":", 2)[1]'),
            )
        },
        "ml_data_platform.streaming.buffering.x_validate_prefixes__mutmut_41": Equivalent(
            "allow_empty=None",
            "allow_empty=None instead of False: both are falsy, validate_key_prefix only tests it",
        ),
    },
    "inputs": {
        "ml_data_platform.core.inputs.x__is_kind__mutmut_7": Equivalent(
            "hasattr(type(None)",
            "hasattr(type(None), ...) instead of hasattr(type(value), ...): the instance check "
            "that follows finds every class attribute too; only slower on jsii objects (a "
            "call into Node per check), which is why it times out",
        ),
        "ml_data_platform.core.inputs.x__is_kind__mutmut_3": Equivalent(
            "hasattr(None,",
            "hasattr(None, ...) instead of hasattr(type(value), ...): same as above, the "
            "instance check finds class attributes too",
        ),
        "ml_data_platform.core.inputs.x_require_kind__mutmut_48": Equivalent(
            "split(None)",
            "label.split(None) instead of label.split(' '): every Kind label has single spaces "
            "only, so both give the same first word",
        ),
    },
    "config": {
        "ml_data_platform.config.reader.xǁReaderǁchild__mutmut_4": Equivalent(
            "value = self._get(key, None)",
            "_get(key, None) instead of _get(key, _MISSING): the next line treats a missing "
            "key and a null alike",
        ),
        "ml_data_platform.config.settings.x__zone_lifecycle__mutmut_20": Equivalent(
            "preset = cast(None,",
            "cast(None, ...) instead of cast(LifecyclePreset, ...): typing.cast returns its "
            "value unchanged at run time",
        ),
        **{
            f"ml_data_platform.config.ingestion.x_read_ingestion_request__mutmut_{n}": Equivalent(
                changed,
                "another key in reader.at(...).rsplit('.', 1)[0]: the split cuts the key off "
                "again, so the request's path is the dataset's whatever the key",
            )
            for n, changed in (
                (70, "reader.at(None).rsplit"),
                (71, 'reader.at("XXingestionXX").rsplit'),
                (72, 'reader.at("INGESTION").rsplit'),
            )
        },
        "ml_data_platform.config.ingestion.x_resolve_ingestion__mutmut_9": Equivalent(
            "dataclasses.replace(volumes[d.name], )",
            "replace() without group=: _dataset built each volume with its request's group "
            "already, so the copy is the same",
        ),
        "ml_data_platform.config.settings.x__analytics__mutmut_4": Equivalent(
            'enabled = reader.optional("enabled", bool, None)',
            "None instead of False as the default of analytics.enabled: only its truth is "
            "used (features if enabled else None)",
        ),
        "ml_data_platform.config.settings.x__positive_number__mutmut_7": Equivalent(
            "raise ValueError(None)",
            "ValueError(None) instead of ValueError(value): Reader.convert replaces it with its "
            "own message, which names the value (the ValueError is only the cause)",
        ),
        **{
            f"ml_data_platform.config.settings.x__environment__mutmut_{number}": Equivalent(
                changed,
                "the reader.wrap('datasets', datasets_by_name(...)) check cannot fail there: "
                "name_collision just above already rejects equal and colliding names, and "
                "every item is a Dataset built by _dataset; so its key name and the call "
                "itself make no difference",
            )
            for number, changed in (
                (55, "reader.wrap(None, lambda: datasets_by_name(datasets))"),
                (59, 'reader.wrap("XXdatasetsXX", lambda: datasets_by_name(datasets))'),
                (60, 'reader.wrap("DATASETS", lambda: datasets_by_name(datasets))'),
                (61, 'reader.wrap("datasets", lambda: None)'),
            )
        },
    },
    "replication": {
        "ml_data_platform.storage.replication.x_validate_region__mutmut_4": Equivalent(
            "cdk.Token.is_unresolved(None)",
            "is_unresolved(None) instead of is_unresolved(region): a token's string form "
            "(${Token[...]}) never matches the region pattern, so it is refused with the same "
            "message",
        ),
        **{
            f"ml_data_platform.storage.replication.x__check_key_arn__mutmut_{number}": Equivalent(
                changed,
                "another split of an alias ARN at ':alias/': they differ only when the alias "
                "name itself contains ':alias/', and KMS alias names have no ':'",
            )
            for number, changed in (
                (20, 'arn.split(":alias/", )[0]'),
                (21, 'arn.rsplit(":alias/", 1)[0]'),
                (24, 'arn.split(":alias/", 2)[0]'),
                (30, 'arn.split(":alias/", )[1]'),
                (31, 'arn.rsplit(":alias/", 1)[1]'),
                (34, 'arn.split(":alias/", 2)[1]'),
            )
        },
    },
    "deploy_guard": {
        "ml_data_platform.deploy_guard.changes.x_data_loss_changes__mutmut_8": Equivalent(
            'line = _ANSI.sub("", raw).lstrip()',
            "lstrip() instead of rstrip(): the line patterns end in \\s*$ (trailing blanks "
            "match either way), and the CLI never indents a resource line or a stack header",
        ),
        **{
            f"ml_data_platform.deploy_guard.cli.x__cdk_diff__mutmut_{number}": Equivalent(
                changed,
                "check=None or no check instead of check=False: subprocess.run's default, and "
                "only its truth is used",
            )
            for number, changed in ((13, "check=None"), (18, "env=env, )"))
        },
        **{
            f"ml_data_platform.deploy_guard.cli.x_stack_templates__mutmut_{number}": Equivalent(
                changed,
                "no {} default for an artifact's properties: only a stack or nested-assembly "
                "artifact's properties are read, and those always have them (cloud-assembly "
                "schema); without, both versions fail (KeyError or TypeError)",
            )
            for number, changed in (
                (14, 'artifact.get("properties", None)'),
                (16, 'artifact.get("properties", )'),
            )
        },
    },
    "control_tower": {
        "ml_data_platform.compliance.control_tower.x__key_resource__mutmut_1": Equivalent(
            "not isinstance(value, str) and not cdk.Token.is_unresolved(value)",
            "'and' instead of 'or': differs for a literal string (reverse_string finds no "
            "token, None either way) and for a non-string (the key properties the rules read "
            "are strings; jsii refuses anything else)",
        ),
    },
    "services": {
        "ml_data_platform.config.services.x__trigger__mutmut_36": Equivalent(
            "allow_empty=None",
            "allow_empty=None instead of False: both are falsy, validate_key_prefix only tests it",
        ),
    },
}

JSII_SHARED_KERNEL = """mutmut forks every mutant's test run from one process, so all the runs
share that process's jsii kernel (one Node process, one pipe): two runs at once interleave their
calls and fail for that reason alone, which mutmut counts as killed (seen: 11 of 11 mutants of
replication._check_source 'killed' with two at once, 6 of them survive alone or with
process_isolation = "forkserver"). One at a time is exact and leaves the second core free."""

_RESULT = re.compile(r"^\s*(\S+): (\w[\w ]*)$")


def run(name: str, module: Module, max_children: int) -> tuple[float, list[str]]:
    """Mutate ``module`` in its scratch copy; return its score and the mutants not killed."""
    work = SCRATCH / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for item in COPIED:
        source = ROOT / item
        if source.is_dir():
            shutil.copytree(
                source, work / item, ignore=shutil.ignore_patterns("__pycache__", "snapshots")
            )
        else:
            shutil.copy2(source, work / item)
    with (work / "pyproject.toml").open("a") as config:
        config.write(
            "\n[tool.mutmut]\n"
            'source_paths = ["ml_data_platform"]\n'
            f"only_mutate = {list(module.files)!r}\n"
            f"pytest_add_cli_args_test_selection = {list(module.tests)!r}\n"
            'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q"]\n'
            'also_copy = ["cdk.json"]\n'
        )
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    subprocess.run(
        [mutmut, "run", "--max-children", str(max_children), *module.only],
        cwd=work,
        check=False,
        stdout=subprocess.DEVNULL,
    )
    listing = subprocess.run(
        [mutmut, "results", "--all", "true"],
        cwd=work,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    statuses = {
        mutant: status
        for mutant, status in (m.groups() for m in map(_RESULT.match, listing.splitlines()) if m)
        if not module.only or any(fnmatch(mutant, pattern) for pattern in module.only)
    }
    if not statuses:
        raise SystemExit(f"{name}: mutmut produced no mutants; see {work}")
    equivalent, stale = _equivalents(name, statuses, work, mutmut)
    judged = {k: v for k, v in statuses.items() if k not in equivalent}
    killed = [k for k, v in judged.items() if v == "killed"]
    not_killed = sorted(f"{k}: {v}" for k, v in judged.items() if v != "killed")
    not_killed += [f"{k}: listed as equivalent, but {why}" for k, why in stale.items()]
    score = len(killed) / len(judged)
    print(
        f"{name}: {len(killed)}/{len(judged)} behaviour-changing mutants killed "
        f"({score:.1%}); {len(equivalent)} equivalent excluded; {len(statuses)} generated"
    )
    return score, not_killed


def _equivalents(
    name: str, statuses: dict[str, str], work: Path, mutmut: str
) -> tuple[set[str], dict[str, str]]:
    """The listed equivalent mutants that still change their listed line, and the stale ones
    (gone, or renumbered by an edit: another line changed) with why they are not excluded."""
    excluded: set[str] = set()
    stale: dict[str, str] = {}
    for mutant, equivalent in EQUIVALENT.get(name, {}).items():
        if mutant not in statuses:
            stale[mutant] = "mutmut no longer generates it"
            continue
        diff = subprocess.run(
            [mutmut, "show", mutant], cwd=work, check=True, capture_output=True, text=True
        ).stdout
        added = [line for line in diff.splitlines() if line.startswith("+") and "+++" not in line]
        if any(equivalent.changed in line for line in added):
            excluded.add(mutant)
        else:
            stale[mutant] = f"it changes {added} (renumbered?): judge it again"
    return excluded, stale


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", choices=[[], *MODULES], default=[])
    parser.add_argument(
        "--max-children",
        type=int,
        default=1,
        help="mutants run at once (default 1: see JSII_SHARED_KERNEL)",
    )
    args = parser.parse_args(argv)
    below = []
    for name in args.modules or list(MODULES):
        score, not_killed = run(name, MODULES[name], args.max_children)
        for line in not_killed:
            print(f"  not killed: {line}")
        if score < TARGET:
            below.append(name)
    if below:
        print(f"below {TARGET:.0%}: {', '.join(below)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
