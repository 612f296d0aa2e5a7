"""Every ```python block in README.md and docs/ runs (one fresh namespace per page), in a
process of its own started after collection (``tests.early``)."""

import json
import subprocess
import sys

import pytest

from tests import early
from tests.conftest import ROOT
from tests.e2e.run_doc_examples import python_blocks

PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
EXAMPLE_PAGES = [p.relative_to(ROOT).as_posix() for p in PAGES if python_blocks(p)]


@early.start_after_collection("doc_examples")
def _run_examples() -> dict[str, str | None]:
    result = subprocess.run(
        [sys.executable, "-m", "tests.e2e.run_doc_examples", *EXAMPLE_PAGES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,  # a hang guard, not a time limit
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.splitlines()[-1])


@pytest.fixture(scope="session")
def doc_examples() -> dict[str, str | None]:
    """``{page: traceback or None}`` for every page with examples."""
    return early.result("doc_examples")


@pytest.mark.parametrize("page", EXAMPLE_PAGES, ids=lambda p: p.rsplit("/", 1)[-1])
def test_documented_examples_run(doc_examples, page):
    assert doc_examples[page] is None, doc_examples[page]


def test_docs_have_examples_for_every_construct_page():
    for page in (ROOT / "docs" / "constructs").glob("*.md"):
        assert python_blocks(page), f"{page.name} has no runnable example"
