"""The package as one contract in two frameworks: names, signatures, docstrings, imports.

``vaebook.torch`` and ``vaebook.tensorflow`` promise the same public names with the same
signatures and the same documentation; these tests hold them to it, so a change to one
framework that is not made to the other fails here, not in a reader's notebook.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import vaebook
from vaebook import _docs
from vaebook import tensorflow as vbtf
from vaebook import torch as vbt

PACKAGE = Path(vaebook.__file__).parent
# The framework's own entry points differ by design (nn.Module.forward, keras.Model.call).
FRAMEWORK_METHODS = {"forward", "call"}


def _public_methods(cls) -> dict[str, object]:
    """Methods a reader may call: defined in a vaebook class (not inherited from the framework)."""
    out = {}
    for klass in cls.__mro__:
        if not klass.__module__.startswith("vaebook"):
            continue
        for name, value in vars(klass).items():
            if name.startswith("_") or name in FRAMEWORK_METHODS or name in out:
                continue
            if inspect.isfunction(value):
                out[name] = value
    return out


def _comparable(sig: inspect.Signature) -> list[tuple]:
    """Names, kinds and defaults; a framework dtype default compares by its name."""
    params = []
    for p in sig.parameters.values():
        default = p.default
        if default is not inspect.Parameter.empty and type(default).__module__.split(".")[0] in (
                "torch", "tensorflow"):
            default = ("dtype", getattr(default, "name", None) or str(default).rsplit(".", 1)[-1])
        params.append((p.name, p.kind, default))
    return params


def test_public_api_is_all_of_each_module():
    assert list(vbt.__all__) == list(vaebook.PUBLIC_API)
    assert list(vbtf.__all__) == list(vaebook.PUBLIC_API)
    for name in vaebook.PUBLIC_API:
        assert hasattr(vbt, name) and hasattr(vbtf, name), name


@pytest.mark.parametrize("name", vaebook.PUBLIC_API)
def test_same_signature_in_both_frameworks(name):
    pt, tf_ = getattr(vbt, name), getattr(vbtf, name)
    assert inspect.isclass(pt) == inspect.isclass(tf_), name
    if not inspect.isclass(pt):
        assert _comparable(inspect.signature(pt)) == _comparable(inspect.signature(tf_)), name
        return
    assert _comparable(inspect.signature(pt.__init__)) == _comparable(
        inspect.signature(tf_.__init__)), f"{name}.__init__"
    pt_methods, tf_methods = _public_methods(pt), _public_methods(tf_)
    assert sorted(pt_methods) == sorted(tf_methods), name
    for method in pt_methods:
        assert _comparable(inspect.signature(pt_methods[method])) == _comparable(
            inspect.signature(tf_methods[method])), f"{name}.{method}"


def test_signature_comparison_can_fail():
    """The control: two signatures that differ only in a default are told apart."""
    def a(n, seed=None): ...
    def b(n, generator=None): ...
    def c(n, seed=0): ...
    assert _comparable(inspect.signature(a)) != _comparable(inspect.signature(b))
    assert _comparable(inspect.signature(a)) != _comparable(inspect.signature(c))


@pytest.mark.parametrize("name", vaebook.PUBLIC_API)
def test_same_complete_docstring_in_both_frameworks(name):
    pt, tf_ = getattr(vbt, name), getattr(vbtf, name)
    doc = inspect.getdoc(pt)
    assert doc and doc == inspect.getdoc(tf_), name
    if inspect.isclass(pt):
        for method, fn in _public_methods(pt).items():
            assert inspect.getdoc(fn), f"{name}.{method} has no docstring"
            assert inspect.getdoc(fn) == inspect.getdoc(_public_methods(tf_)[method]), method
    else:
        params = [p for p in inspect.signature(pt).parameters if p not in ("self",)]
        if params:
            assert "Args:" in doc, f"{name}: no Args section"
            for p in params:
                assert f"    {p}:" in doc, f"{name}: argument {p} is not documented"
    assert "chapter" in doc, f"{name}: does not say which chapter introduces it"


def test_every_docs_entry_is_used():
    """No stale text: every entry of vaebook._docs documents a public name or method."""
    used = set(vaebook.PUBLIC_API)
    for name in vaebook.PUBLIC_API:
        obj = getattr(vbt, name)
        if inspect.isclass(obj):
            used |= {f"{name}.{m}" for m in _public_methods(obj)}
    assert sorted(set(_docs.DOCS) - used) == []


def _imports(path: Path) -> set[str]:
    """Modules of vaebook that ``path`` imports (absolute names)."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if module.endswith(".__init__"):
        module = module[: -len(".__init__")]
        package = module
    else:
        package = module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("vaebook"):
                found.add(target)
                for alias in node.names:  # "from . import _validate" names a module
                    if (PACKAGE.parent / Path(*f"{target}.{alias.name}".split("."))).with_suffix(
                            ".py").exists():
                        found.add(f"{target}.{alias.name}")
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("vaebook")}
    found.discard(module)
    return found


def _import_graph() -> dict[str, set[str]]:
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        graph[module] = _imports(path)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import cycles, ignoring a package's import of its own submodules (its __init__)."""
    found, state, stack = [], {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if node.startswith(nxt + "."):  # a submodule importing its package's __init__
                continue
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_no_import_cycles():
    assert _cycles(_import_graph()) == []


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"a"}}) == [["a", "b", "a"]]


def test_framework_modules_import_only_their_framework():
    graph = _import_graph()
    for module, deps in graph.items():
        if module.startswith("vaebook.torch"):
            assert not any(d.startswith("vaebook.tensorflow") for d in deps), module
        if module.startswith("vaebook.tensorflow"):
            assert not any(d.startswith("vaebook.torch") for d in deps), module


def test_the_api_page_documents_every_public_name():
    page = (PACKAGE.parent / "chapters" / "api.md").read_text()
    documented = set(re.findall(r"\.\. auto(?:function|class):: (\w+)", page))
    assert sorted(set(vaebook.PUBLIC_API) - documented) == []
