#!/usr/bin/env python3
"""Generate the API reference of every exported name from the docstrings, with pdoc.

Usage: ``tools/api_reference.py [OUT_DIR]`` (default ``build/api``; ``make docs`` runs it).

The reference is one page, ``OUT_DIR/ml_data_platform.html``: the package root with every name
of ``ml_data_platform/__init__.pyi`` (the one export list), each with its docstring, signature
and public members. Submodules get no pages of their own: what users import is the root.
The run fails (exit 1, listing them) when an exported name, a public method of an exported
class, or a public attribute has no documentation (see ``undocumented``); the test suite runs
the same check and renders the same page (tests/unit/test_api_reference.py).
"""

from __future__ import annotations

import contextlib
import enum
import re
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pdoc
import pdoc.doc
import pdoc.doc_ast
import pdoc.render

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "ml_data_platform"
DEFAULT_OUT = ROOT / "build" / "api"
# jsii-generated packages: each is one multi-megabyte module that Python 3.11's
# ``inspect.getsource`` re-parses for every class looked up in it (~12 s for the bases of our
# constructs). pdoc reads source only for attribute docstrings and annotations; those of these
# packages' classes are properties whose docstrings pdoc takes from the objects themselves.
_NO_SOURCE_PACKAGES = frozenset({"aws_cdk", "constructs", "cdk_nag", "jsii"})
_read_source = pdoc.doc_ast._get_source


def _source(obj: object) -> str:
    module = obj.__name__ if isinstance(obj, ModuleType) else getattr(obj, "__module__", None)
    if isinstance(module, str) and module.split(".")[0] in _NO_SOURCE_PACKAGES:
        return ""
    return _read_source(obj)


def configure(*, search: bool = True) -> None:
    """pdoc's settings, named once: Google-style sections (``Args:``, ``Attributes:``), no
    source listings (they would triple the page and hide the docs)."""
    pdoc.render.configure(
        docformat="google",
        show_source=False,
        search=search,
        footer_text=f"{PACKAGE} API reference",
    )
    pdoc.doc_ast._get_source = _source  # see _NO_SOURCE_PACKAGES


def module_doc(module: ModuleType) -> pdoc.doc.Module:
    """pdoc's model of ``module``; every name of its ``__all__`` is loaded first (the package
    root loads its exports lazily)."""
    for name in getattr(module, "__all__", ()):
        getattr(module, name)
    return pdoc.doc.Module(module)


def render_page(doc: pdoc.doc.Module) -> str:
    """The HTML page ``make docs`` writes for ``doc``."""
    with _quiet_jsii_annotations():
        return pdoc.render.html_module(doc, {doc.modulename: doc})


@contextlib.contextmanager
def _quiet_jsii_annotations() -> Iterator[None]:
    """jsii annotates inherited members with its private module aliases
    (``_constructs_77d1e7e8.IMixin``), resolvable only in the sources we do not read; pdoc
    then shows the annotation as written (the page is the same) and warns: silence only that."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message=r"Error parsing type annotation .* Import of _\w+_[0-9a-f]{8} failed",
            category=UserWarning,
        )
        yield


def _own(member: pdoc.doc.Doc, package: str) -> bool:
    """Defined in ``package``, not inherited from aws-cdk-lib, constructs or the stdlib."""
    return member.taken_from[0].split(".")[0] == package


def undocumented(doc: pdoc.doc.Module) -> list[str]:
    """Every documentation gap in ``doc``'s exports, as ``"Name: what is missing"``.

    - an exported class or function without a docstring of its own (an inherited docstring,
      such as ``Enum``'s or ``Exception``'s, does not count);
    - an exported variable (``__version__``) without a docstring;
    - a public method defined in this package on an exported class without a docstring;
    - a public attribute, property or enum member defined in this package that neither has a
      docstring nor is named in its class's docstring (the ``Attributes:``/``Args:`` lists).
    """
    with _quiet_jsii_annotations():
        return _undocumented(doc)


def _undocumented(doc: pdoc.doc.Module) -> list[str]:
    package = doc.modulename.split(".")[0]
    problems: list[str] = []
    for name in doc.obj.__all__:
        member = doc.members.get(name)
        if member is None:
            problems.append(f"{name}: not in the reference")
            continue
        if isinstance(member, pdoc.doc.Variable):
            if not member.docstring.strip():
                problems.append(f"{name}: no docstring")
            continue
        own_doc = member.obj.__dict__.get("__doc__") if isinstance(member.obj, type) else None
        if isinstance(member, pdoc.doc.Function):
            own_doc = member.obj.__doc__
        if not (own_doc or "").strip():
            problems.append(f"{name}: no docstring")
        if isinstance(member, pdoc.doc.Class):
            problems += _undocumented_members(member, package)
    return problems


def _undocumented_members(cls: pdoc.doc.Class, package: str) -> list[str]:
    problems = []
    is_enum = issubclass(cls.obj, enum.Enum)
    for name, member in cls.members.items():
        if name.startswith("_") or not _own(member, package):
            continue
        if member.docstring.strip():
            continue
        if isinstance(member, pdoc.doc.Function):
            problems.append(f"{cls.qualname}.{name}: no docstring")
            continue
        if not re.search(rf"\b{re.escape(name)}\b", cls.docstring):
            kind = "member" if is_enum else "attribute"
            problems.append(
                f"{cls.qualname}.{name}: {kind} with no docstring, not named in the class docstring"
            )
    return problems


def write(out: Path, module: ModuleType) -> Path:
    """Render the reference of ``module`` into ``out``; returns the page written."""
    configure()
    out.mkdir(parents=True, exist_ok=True)
    with _quiet_jsii_annotations():
        pdoc.pdoc(module.__name__, f"!{re.escape(module.__name__)}\\..*", output_directory=out)
    return out / f"{module.__name__}.html"


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else DEFAULT_OUT
    sys.path.insert(0, str(ROOT))
    import ml_data_platform

    problems = undocumented(module_doc(ml_data_platform))
    if problems:
        print("undocumented:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    page = write(out, ml_data_platform)
    print(f"API reference: {page.relative_to(ROOT) if page.is_relative_to(ROOT) else page}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
