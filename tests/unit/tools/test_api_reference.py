"""The API reference (`make docs`, tools/api_reference.py): every exported name is documented
and has its entry in the page pdoc renders."""

import importlib.util
import re
import sys
import textwrap

import pytest

import ml_data_platform
from tests.conftest import ROOT

SPEC = importlib.util.spec_from_file_location("api_reference", ROOT / "tools" / "api_reference.py")
api_reference = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(api_reference)


@pytest.fixture(scope="module")
def reference():
    """pdoc's model of the package root and the page `make docs` writes for it (rendered
    once; the search index is left out, it is not part of the page)."""
    api_reference.configure(search=False)
    doc = api_reference.module_doc(ml_data_platform)
    yield doc, api_reference.render_page(doc)
    api_reference.configure()


def _section(page: str, name: str) -> str:
    match = re.search(rf'<section id="{re.escape(name)}">(.*?)</section>', page, re.S)
    assert match, f"{name} has no entry in the reference"
    return match.group(1)


def test_every_exported_name_and_member_is_documented(reference):
    doc, _ = reference
    assert api_reference.undocumented(doc) == []


def test_every_exported_name_has_an_entry_with_its_docstring(reference):
    doc, page = reference
    assert set(doc.obj.__all__) == set(ml_data_platform.__all__)
    for name in ml_data_platform.__all__:
        section = _section(page, name)
        assert 'class="docstring"' in section, f"{name}: entry without its docstring"


def test_classes_list_their_public_members(reference):
    _, page = reference
    for entry in ("Dataset.table_name", "Lifecycle.to_cdk", "DataCatalog.database_arn"):
        assert f'id="{entry}"' in page, entry
    # Google-style sections render as such, not as plain text
    dataset = _section(page, "Dataset")
    assert "A dataset ingested into the lake" in dataset
    assert '<h6 id="arguments">Arguments:</h6>' in dataset


FAKE = textwrap.dedent(
    '''
    """A package with gaps."""
    import enum

    __all__ = ["Documented", "Bare", "bare_function", "Mode", "VERSION"]

    VERSION = "1"


    class Documented:
        """Documented.

        Attributes:
            named: In the class docstring.
        """

        def __init__(self):
            self.named = 1
            self.unnamed = 2

        def method(self):
            pass

        @property
        def prop(self):
            return 1


    class Bare(Exception):
        pass


    def bare_function():
        pass


    class Mode(enum.Enum):
        """Modes."""

        A = "a"
        """Documented member."""
        B = "b"
    '''
)


def test_the_check_names_each_gap(tmp_path, monkeypatch):
    """The check can fail: a module with every kind of gap gets every gap named (and an
    inherited docstring, Exception's here, does not count)."""
    (tmp_path / "fakepkg").mkdir()
    (tmp_path / "fakepkg" / "__init__.py").write_text(FAKE)
    (tmp_path / "fakepkg" / "sub.py").write_text('"""A submodule: no page of its own."""\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "fakepkg", raising=False)
    import fakepkg

    problems = api_reference.undocumented(api_reference.module_doc(fakepkg))
    assert sorted(problems) == [
        "Bare: no docstring",
        "Documented.method: no docstring",
        "Documented.prop: attribute with no docstring, not named in the class docstring",
        "Documented.unnamed: attribute with no docstring, not named in the class docstring",
        "Mode.B: member with no docstring, not named in the class docstring",
        "VERSION: no docstring",
        "bare_function: no docstring",
    ]
    page = api_reference.write(tmp_path / "out", fakepkg)
    assert page.name == "fakepkg.html"
    assert '<section id="Documented">' in page.read_text()
    assert sorted(p.name for p in (tmp_path / "out").rglob("*.html")) == [
        "fakepkg.html",
        "index.html",
    ]
