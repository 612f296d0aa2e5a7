"""Every ```python block in README.md and docs/ runs (one fresh namespace per page)."""

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(page: Path) -> list[str]:
    return _BLOCK.findall(page.read_text())


@pytest.mark.parametrize("page", [p for p in PAGES if python_blocks(p)], ids=lambda p: p.name)
def test_documented_examples_run(page, tmp_path, monkeypatch):
    monkeypatch.setenv("CDK_OUTDIR", str(tmp_path))
    namespace: dict = {"__name__": f"docs_example_{page.stem}"}
    for index, block in enumerate(python_blocks(page)):
        code = compile(block, f"{page.relative_to(ROOT)}[block {index}]", "exec")
        exec(code, namespace)


def test_docs_have_examples_for_every_construct_page():
    for page in (ROOT / "docs" / "constructs").glob("*.md"):
        assert python_blocks(page), f"{page.name} has no runnable example"
