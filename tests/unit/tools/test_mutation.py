"""`make mutation` (tools/mutation.py): its module table points at real files and tests, each
equivalent mutant carries the line it changes and why, a stale one is judged again, and the
target stays out of `make test`. (The mutation run itself is not run here: minutes of CPU.)"""

import importlib.util
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

SPEC = importlib.util.spec_from_file_location("mutation", ROOT / "tools" / "mutation.py")
mutation = importlib.util.module_from_spec(SPEC)
sys.modules["mutation"] = mutation  # dataclasses resolve their module by name
SPEC.loader.exec_module(mutation)


@pytest.mark.parametrize("name", sorted(mutation.MODULES))
def test_every_module_names_existing_files_and_tests(name):
    module = mutation.MODULES[name]
    assert module.files and module.tests
    for path in (*module.files, *module.tests):
        assert (ROOT / path).exists(), path
    for pattern in module.only:
        # A pattern selects functions of the module's own files.
        dotted = {f.removesuffix(".py").replace("/", ".") for f in module.files}
        assert any(pattern.startswith(f"{d}.") for d in dotted), pattern


def test_every_equivalent_mutant_belongs_to_a_module_and_says_what_and_why():
    assert set(mutation.EQUIVALENT) <= set(mutation.MODULES)
    for name, mutants in mutation.EQUIVALENT.items():
        dotted = {f.removesuffix(".py").replace("/", ".") for f in mutation.MODULES[name].files}
        for mutant, equivalent in mutants.items():
            assert re.fullmatch(r"[\w.ǁ]+__mutmut_\d+", mutant), mutant
            assert any(mutant.startswith(f"{d}.") for d in dotted), mutant
            assert equivalent.changed.strip() and len(equivalent.why) > 20


def test_a_renumbered_equivalent_is_judged_again(monkeypatch, tmp_path):
    """An equivalent whose mutant now changes another line (an edit renumbered it), or that
    is no longer generated, is not excluded from the score."""
    monkeypatch.setitem(
        mutation.EQUIVALENT,
        "demo",
        {
            "pkg.mod.x_f__mutmut_1": mutation.Equivalent("split(None)", "labels: single spaces"),
            "pkg.mod.x_f__mutmut_2": mutation.Equivalent("split(None)", "labels: single spaces"),
            "pkg.mod.x_f__mutmut_9": mutation.Equivalent("split(None)", "labels: single spaces"),
        },
    )
    diffs = {
        "pkg.mod.x_f__mutmut_1": "--- a\n+++ b\n-    return label.split(' ')[0]\n"
        "+    return label.split(None)[0]\n",
        "pkg.mod.x_f__mutmut_2": "--- a\n+++ b\n-    return label.split(' ')[0]\n"
        "+    return label.split(' ')[1]\n",
    }

    def show(command, **_):
        return subprocess.CompletedProcess(command, 0, stdout=diffs[command[-1]])

    monkeypatch.setattr(mutation.subprocess, "run", show)
    statuses = {"pkg.mod.x_f__mutmut_1": "survived", "pkg.mod.x_f__mutmut_2": "survived"}
    excluded, stale = mutation._equivalents("demo", statuses, tmp_path, "mutmut")
    assert excluded == {"pkg.mod.x_f__mutmut_1"}
    assert stale == {
        "pkg.mod.x_f__mutmut_2": "it changes [\"+    return label.split(' ')[1]\"] "
        "(renumbered?): judge it again",
        "pkg.mod.x_f__mutmut_9": "mutmut no longer generates it",
    }


def _make_dry_run(*targets):
    """What make would run for ``targets``, printed, nothing run."""
    return subprocess.run(
        ["make", "--no-print-directory", "-n", *targets],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout


def test_make_test_does_not_run_mutation():
    assert "tools/mutation.py" in _make_dry_run("mutation")
    printed = _make_dry_run("test", "unit", "userapps")
    assert "pytest" in printed
    assert "tools/mutation.py" not in printed and "mutmut" not in printed
