"""The rules every chapter notebook follows (CONTRIBUTING.md, the ones marked "tested").

Each check is parametrised by the notebooks of ``_toc.yml`` that exist, so a chapter
not written yet is simply not collected; ``test_toc_complete_every_chapter_exists``
says which are still missing. The second half tests ``framework_problems`` itself on
small synthetic notebooks.
"""

from __future__ import annotations

import ast
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools.notebook_rules import (
    ROOT,
    framework_problems,
    install_cell,
    read,
    repository,
    tags,
    toc_files,
    toc_notebooks,
)
from vaebook import data

NOTEBOOKS = toc_notebooks()
IDS = [p.stem for p in NOTEBOOKS]
PARAMETERS = ("DATASET", "EPOCHS", "SEED")
NETWORK_DATASETS = tuple(d for d in data.DATASETS if d not in data.OFFLINE_DATASETS)


@pytest.fixture(params=NOTEBOOKS, ids=IDS)
def nb(request):
    return read(request.param)


def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def _assigned(source: str) -> dict[str, ast.expr]:
    """Names a (plain Python) cell assigns at top level, with the assigned expression."""
    names = {}
    for node in ast.parse(source).body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) and node.value else [])
        for target in targets:
            elts = target.elts if isinstance(target, ast.Tuple) else [target]
            values = (node.value.elts if isinstance(target, ast.Tuple)
                      and isinstance(node.value, ast.Tuple) else [node.value] * len(elts))
            for elt, value in zip(elts, values, strict=False):
                if isinstance(elt, ast.Name):
                    names[elt.id] = value
    return names


# ------------------------------------------------------------ the TOC is complete

def test_toc_complete_every_chapter_exists():
    """Every page in _toc.yml has a source. Fails while chapters are still being written."""
    missing = [f for f in toc_files()
               if not (ROOT / f"{f}.ipynb").exists() and not (ROOT / f"{f}.md").exists()]
    assert not missing, f"listed in _toc.yml but not written yet: {missing}"


# ------------------------------------------------------------ every chapter notebook

def test_committed_without_outputs(nb):
    with_outputs = [i for i, c in enumerate(nb.cells)
                    if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]
    assert not with_outputs, (
        f"cells {with_outputs} carry outputs or execution counts: clear them before committing "
        "(the build executes the notebook)")


def test_python3_kernel(nb):
    # Colab and papermill both look for the plain python3 kernel.
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", nb.metadata.get("kernelspec")


def test_first_code_cell_is_the_install_cell(nb):
    first = _code_cells(nb)[0]
    assert first.source.rstrip() == install_cell(), (
        "the first code cell must be exactly tools/notebook_rules.py:install_cell():\n"
        + install_cell())


def test_install_cell_matches_the_config(nb):
    url, branch = repository()
    first = _code_cells(nb)[0].source
    match = re.search(r'%pip install -q "vaebook @ git\+(\S+)@(\S+)"', first)
    assert match, first
    assert (match.group(1), match.group(2)) == (url, branch)
    pip_lines = [line for line in first.splitlines() if "pip" in line]
    assert not any(re.search(r"\b(torch|tensorflow|numpy)\b", line) for line in pip_lines), (
        "the install cell must not touch Colab's torch, tensorflow or numpy")


def test_parameters_cell(nb):
    cells = [c for c in _code_cells(nb) if "parameters" in tags(c)]
    assert len(cells) == 1, f"{len(cells)} cells tagged 'parameters' (papermill wants one)"
    assert _code_cells(nb).index(cells[0]) == 1, "the parameters cell comes right after the install cell"
    names = _assigned(cells[0].source)
    missing = [p for p in PARAMETERS if p not in names]
    assert not missing, f"the parameters cell does not define {missing}"
    dataset = names["DATASET"]
    if isinstance(dataset, ast.Constant):
        assert dataset.value not in NETWORK_DATASETS, (
            f"DATASET = {dataset.value!r} by default needs the network: default to offline data")


def test_framework_cells_are_paired(nb):
    problems = framework_problems(nb)
    assert not problems, "framework cells break the rules (CONTRIBUTING.md):\n" + "\n".join(problems)


def test_ends_with_exercises(nb):
    headings = [(i, m.group(1).strip()) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
                for m in re.finditer(r"^##\s+(.+)$", c.source, re.MULTILINE)]
    assert headings, "no ## sections"
    start, last = headings[-1]
    assert last == "Exercises", f"the last ## section is {last!r}, not 'Exercises'"
    checks = sum(c.source.count(".check(") for c in nb.cells[start:] if c.cell_type == "code")
    assert checks >= 3, f"the Exercises section has {checks} .check( calls, at least 3 expected"


# ------------------------------------------------- framework_problems, on synthetic notebooks

def _pt(src="# PyTorch\nx_pt = vbt.gaussian_kl(mu, logvar)"):
    return new_code_cell(src, metadata={"tags": ["pytorch"]})


def _tf(src="# TensorFlow\nx_tf = vbtf.gaussian_kl(mu, logvar)"):
    return new_code_cell(src, metadata={"tags": ["tensorflow"]})


def _notebook(*cells):
    return new_notebook(cells=[new_markdown_cell("# A chapter"), new_code_cell("import numpy as np"),
                               *cells])


def test_good_pair_has_no_problems():
    nb = _notebook(_pt(), _tf(), new_markdown_cell("Between pairs."), _pt(), _tf(),
                   new_code_cell("print(x_pt, x_tf)  # a framework-free comparison"))
    assert framework_problems(nb) == []


def test_unpaired_pytorch_cell_is_reported():
    problems = framework_problems(_notebook(_pt(), new_code_cell("y = 1")))
    assert any("cell 2" in p and "partner" in p for p in problems), problems


def test_unpaired_tensorflow_cell_is_reported():
    problems = framework_problems(_notebook(_tf()))
    assert any("cell 2" in p and "partner" in p for p in problems), problems


def test_tensorflow_first_pair_is_reported():
    problems = framework_problems(_notebook(_tf(), _pt()))
    assert any("cell 2" in p for p in problems) and any("cell 3" in p for p in problems), problems


def test_pair_split_by_markdown_is_reported():
    problems = framework_problems(_notebook(_pt(), new_markdown_cell("Not adjacent."), _tf()))
    assert len(problems) >= 2, problems


def test_cell_mixing_frameworks_is_reported():
    mixed = _pt("# PyTorch\nx_pt = vbt.gaussian_kl(mu, logvar)\nx_tf = tf.constant(1.0)")
    problems = framework_problems(_notebook(mixed, _tf()))
    assert any("cell 2" in p and "also uses" in p for p in problems), problems


def test_cell_tagged_with_both_frameworks_is_reported():
    both = new_code_cell("# PyTorch\nx = 1", metadata={"tags": ["pytorch", "tensorflow"]})
    problems = framework_problems(_notebook(both))
    assert any("both" in p for p in problems), problems


def test_untagged_cell_using_torch_is_reported():
    problems = framework_problems(_notebook(new_code_cell("import torch\nx = torch.zeros(3)")))
    assert any("cell 2" in p and "untagged" in p for p in problems), problems


def test_framework_cell_without_its_marker_is_reported():
    problems = framework_problems(_notebook(_pt("x_pt = vbt.gaussian_kl(mu, logvar)"), _tf()))
    assert any("cell 2" in p and "# PyTorch" in p for p in problems), problems


def test_tensorflow_cell_using_tf_nn_is_fine():
    tf_nn = _tf("# TensorFlow\nloss_tf = tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=l)")
    assert framework_problems(_notebook(_pt(), tf_nn)) == []


def test_round_trip_through_nbformat_keeps_the_verdict(tmp_path):
    # The rules read tags from cell metadata as nbformat writes them to disk.
    path = tmp_path / "nb.ipynb"
    nbformat.write(_notebook(_tf(), _pt()), path)
    assert framework_problems(read(path))
