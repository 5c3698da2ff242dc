"""The extension documentation is part of the product, and these tests keep it true.

* every hook in ``oms_core.hookspecs`` has a ``### hook_name`` section in ``docs/plugin_hooks.md`` with a runnable
  example, and every reaction hook's section names every key of its payload;
* every public method of each driver base class has a ``### Class.method`` section in ``docs/drivers.md``;
* no section documents a hook or a method that does not exist;
* every fenced block is valid Python (or TOML), and every Python block whose first line is ``# runnable`` runs,
  in a fresh namespace, in a temporary directory (so ``sqlite:///oms.db`` is a throw-away SQLite database).
"""

from __future__ import annotations

import inspect
import re
import textwrap
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pluggy
import pytest

from oms_core import OMS, hookimpl, hookspecs
from oms_core.drivers import Carrier, Channel, Driver, ErpAdapter, PaymentGateway
from oms_core.testing import draft, seed_catalogue

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
HOOKS_DOC = DOCS / "plugin_hooks.md"
DRIVERS_DOC = DOCS / "drivers.md"
EMBEDDING_DOC = DOCS / "embedding.md"
RUNNABLE_DOCS = (HOOKS_DOC, DRIVERS_DOC, EMBEDDING_DOC)
RUNNABLE = "# runnable"
DRIVER_CLASSES = (Channel, PaymentGateway, Carrier, ErpAdapter)

FENCE = re.compile(r"^( *)```(\w*)[^\n]*\n(.*?)^\1```[ \t]*$", re.MULTILINE | re.DOTALL)


class Block(NamedTuple):
    doc: str
    line: int  # line of the first line of code in the document
    lang: str
    code: str

    @property
    def runnable(self) -> bool:
        return self.lang == "python" and self.code.lstrip().startswith(RUNNABLE)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""  # a missing file fails test_the_docs_exist


def blocks(path: Path) -> list[Block]:
    text = read(path)
    return [
        Block(path.name, text.count("\n", 0, m.start(3)) + 1, m.group(2), textwrap.dedent(m.group(3)))
        for m in FENCE.finditer(text)
    ]


def sections(path: Path, level: str = "###") -> dict[str, str]:
    """``{heading: text up to the next heading of the same or a higher level}``."""
    found: dict[str, str] = {}
    current: str | None = None
    depth = len(level)
    in_fence = False
    for line in read(path).splitlines(keepends=True):
        if line.startswith("```"):
            in_fence = not in_fence
        if not in_fence and line.startswith("#"):
            hashes = len(line) - len(line.lstrip("#"))
            if hashes <= depth:
                current = None
            if hashes == depth and line[hashes] == " ":
                current = line[hashes:].strip()
                assert current not in found, f"{path.name}: heading {current!r} appears twice"
                found[current] = ""
                continue
        if current is not None:
            found[current] += line
    return found


def hookspec_names() -> list[str]:
    """Every hook, found the way pluggy finds them (the ``oms_spec`` marker) and cross-checked with a manager."""
    marked = [name for name, obj in vars(hookspecs).items() if callable(obj) and hasattr(obj, "oms_spec")]
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    registered = sorted(name for name in vars(pm.hook) if not name.startswith("_"))
    assert sorted(marked) == registered
    return marked


def driver_methods(cls: type[Driver]) -> list[str]:
    """The abstract methods and the public methods a driver kind declares (not those of ``Driver`` itself)."""
    own = [name for name, obj in vars(cls).items() if inspect.isfunction(obj) and not name.startswith("_")]
    return sorted(set(own) | set(cls.__abstractmethods__))


def payload_keys(hook: str) -> list[str]:
    doc = getattr(hookspecs, hook).__doc__ or ""
    described = doc.split("Payload:", 1)[1].split(":param", 1)[0] if "Payload:" in doc else ""
    return re.findall(r"``(\w+)``", described)


# -- every hook and every driver method is documented ----------------------------------------------------------


@pytest.mark.parametrize("path", RUNNABLE_DOCS, ids=lambda p: p.name)
def test_the_docs_exist(path):
    assert path.exists(), f"docs/{path.name} is missing"


def test_the_hookspecs_are_the_ones_the_docs_expect():
    names = hookspec_names()
    assert set(hookspecs.REACTION_HOOKS) <= set(names)
    assert len(hookspecs.REACTION_HOOKS) == 18
    assert "register_drivers" in names


@pytest.mark.parametrize("hook", hookspec_names())
def test_every_hook_has_a_section_with_a_runnable_example(hook):
    found = sections(HOOKS_DOC)
    assert hook in found, f"docs/plugin_hooks.md has no '### {hook}' section"
    body = found[hook]
    assert f"```python\n{RUNNABLE}" in body, f"the '### {hook}' section has no runnable example"
    assert "hookimpl" in body, f"the example of '### {hook}' does not implement the hook"
    assert re.search(rf"\bdef {hook}\(", body), f"the example of '### {hook}' does not define {hook}()"


@pytest.mark.parametrize("hook", hookspecs.REACTION_HOOKS)
def test_every_reaction_section_names_its_payload(hook):
    body = sections(HOOKS_DOC)[hook]
    keys = payload_keys(hook)
    assert keys, f"the hookspec of {hook} lists no payload"
    missing = [key for key in keys if f"`{key}`" not in body]
    assert not missing, f"the '### {hook}' section does not name payload keys {missing}"


def test_no_section_documents_a_hook_that_does_not_exist():
    hooks = set(hookspec_names())
    stale = [h for h in sections(HOOKS_DOC) if re.fullmatch(r"[a-z_]+", h) and h not in hooks]
    assert not stale, f"docs/plugin_hooks.md documents unknown hooks {stale}"


@pytest.mark.parametrize("qualname", [f"{cls.__name__}.{m}" for cls in DRIVER_CLASSES for m in driver_methods(cls)])
def test_every_driver_method_has_a_section(qualname):
    found = sections(DRIVERS_DOC)
    assert qualname in found, f"docs/drivers.md has no '### {qualname}' section"
    body = found[qualname]
    method = qualname.split(".")[1]
    assert re.search(rf"\bdef {method}\(", body), f"the '### {qualname}' section shows no implementation"


def test_no_section_documents_a_driver_method_that_does_not_exist():
    known = {f"{cls.__name__}.{m}" for cls in DRIVER_CLASSES for m in driver_methods(cls)}
    stale = [h for h in sections(DRIVERS_DOC) if re.fullmatch(r"\w+\.\w+", h) and h not in known]
    assert not stale, f"docs/drivers.md documents unknown methods {stale}"


@pytest.mark.parametrize("cls", DRIVER_CLASSES, ids=lambda c: c.__name__)
def test_every_driver_kind_has_a_runnable_example_and_its_namespace(cls):
    kinds = sections(DRIVERS_DOC, "##")
    title = next((t for t in kinds if t.split()[0] == cls.__name__), None)
    assert title is not None, f"docs/drivers.md has no '## {cls.__name__} ...' section"
    body = kinds[title]
    assert f"`{cls.namespace}`" in body, f"the {cls.__name__} section does not name its namespace"
    assert f"```python\n{RUNNABLE}" in body, f"the {cls.__name__} section has no runnable example"


# -- every example is valid, and the runnable ones run ---------------------------------------------------------


def all_blocks() -> Iterator[Block]:
    for path in RUNNABLE_DOCS:
        yield from blocks(path)


def _id(block: Block) -> str:
    return f"{block.doc}:{block.line}"


@pytest.mark.parametrize("block", [b for b in all_blocks() if b.lang in ("python", "toml")], ids=_id)
def test_every_block_is_valid(block):
    if block.lang == "toml":
        tomllib.loads(block.code)
    else:
        compile(block.code, _id(block), "exec")


def test_the_docs_have_runnable_examples():
    counts = {path.name: sum(b.runnable for b in blocks(path)) for path in RUNNABLE_DOCS}
    assert counts[HOOKS_DOC.name] >= len(hookspec_names())
    assert all(counts.values()), counts


@pytest.mark.parametrize("block", [b for b in all_blocks() if b.runnable], ids=_id)
def test_runnable_example(block, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OMS_TRACE_HOOKS", raising=False)
    # pad so that a traceback names the line in the document
    code = compile("\n" * (block.line - 1) + block.code, f"docs/{block.doc}", "exec")
    namespace = {"__name__": f"docs_example_{block.line}"}
    exec(code, namespace)
    for value in list(namespace.values()):
        if isinstance(value, OMS):
            value.close()


# -- what the introduction promises ----------------------------------------------------------------------------


class MaxQuantity:
    oms_plugin_name = "max_quantity"

    @hookimpl
    def validate_order(self, draft):
        return None

    @hookimpl
    def order_placed(self, event):
        pass


def test_trace_hooks_writes_each_decision_and_reaction_call(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OMS_TRACE_HOOKS", "1")
    oms = OMS.open(f"sqlite:///{tmp_path / 'oms.db'}", plugins=[MaxQuantity()])
    seed_catalogue(oms, {"SKU-1": {"WH1": 5}})
    oms.confirm_order(oms.place_order(draft("1")).id)
    oms.close()
    err = capsys.readouterr().err
    assert "validate_order [max_quantity]" in err
    assert "finish validate_order [max_quantity] --> None" in err
    assert "order_placed [max_quantity]" in err
    assert "choose_sources [default_sourcing]" in err


def test_without_the_switch_nothing_is_traced(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("OMS_TRACE_HOOKS", raising=False)
    oms = OMS.open(f"sqlite:///{tmp_path / 'oms.db'}", plugins=[MaxQuantity()])
    seed_catalogue(oms, {"SKU-1": {"WH1": 5}})
    oms.place_order(draft("1"))
    oms.close()
    assert "[hook]" not in capsys.readouterr().err
