"""Run the ```python blocks of the given pages, one fresh namespace and one fresh ``CDK_OUTDIR``
per page, and print ``{page: traceback or null}`` as JSON (``tests/e2e/test_docs_examples.py``
runs this in its own process, beside the rest of the suite)."""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
"""A fenced ```python block of a Markdown page (group 1: its code)."""


def python_blocks(page: Path) -> list[str]:
    return PYTHON_BLOCK.findall(page.read_text())


def run_page(page: Path) -> str | None:
    """``None`` when every block of ``page`` ran, else the traceback."""
    with tempfile.TemporaryDirectory(prefix="docs-example-") as outdir:
        os.environ["CDK_OUTDIR"] = outdir
        namespace: dict = {"__name__": f"docs_example_{page.stem}"}
        try:
            for index, block in enumerate(python_blocks(page)):
                code = compile(block, f"{page.relative_to(ROOT)}[block {index}]", "exec")
                exec(code, namespace)
        except BaseException:
            return traceback.format_exc()
    return None


if __name__ == "__main__":
    print(json.dumps({page: run_page(ROOT / page) for page in sys.argv[1:]}))
