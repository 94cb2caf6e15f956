"""Rules every chapter notebook follows, shared by the tests and the build tools.

Kept in one place so that the install cell, the framework pairing and the list of
notebooks are defined once.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORK_TAGS = ("pytorch", "tensorflow")
MARKERS = {"pytorch": "# PyTorch", "tensorflow": "# TensorFlow"}
# Import lines that give a cell away as framework code.
_FRAMEWORK_WORDS = {
    "pytorch": re.compile(r"\b(import torch|from torch|vaebook import torch|vbt\.|torch\.|(?<![\w.])nn\.)"),
    "tensorflow": re.compile(
        r"\b(import tensorflow|from tensorflow|vaebook import tensorflow|vbtf\.|tf\.|keras\.)"
    ),
}


# Seconds each chapter may take with its default parameters on a 2-core CPU.
BUDGETS = {
    "01_autoencoders": 90,
    "02_mse_vs_cross_entropy": 90,
    "03_elbo": 60,
    "04_reparameterization": 120,
    "05_vae_vs_gan": 150,
    "06_kl_in_practice": 120,
    "07_disentanglement": 150,
    "08_iwae_flows_priors": 150,
    "09_diffusion": 180,
    "appendix_mistakes": 120,
}
# ... and the whole book, one notebook after another (issue 10's goal).
BOOK_BUDGET = 300


def config() -> dict:
    """The book's ``_config.yml``."""
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def repository() -> tuple[str, str]:
    """(repository URL, branch) from ``_config.yml``: the one place they are set."""
    repo = config()["repository"]
    return repo["url"].rstrip("/"), repo.get("branch", "main")


def install_cell(url: str | None = None, branch: str | None = None) -> str:
    """The first code cell of every notebook: install vaebook when it is missing.

    If the install fails (no network, the repository out of reach), the cell raises at
    once with the cause and what to do, so that "Run all" stops there and not, cells
    later, at a ModuleNotFoundError that names no cause. ``url`` and ``branch`` default
    to ``_config.yml``'s (the tests pass an unreachable one).
    """
    default_url, default_branch = repository()
    url, branch = url or default_url, branch or default_branch
    return (
        "# Colab and fresh environments: install the book's helper package if it is\n"
        "# missing. It brings no torch, tensorflow or numpy pins: Colab's own stay.\n"
        "import importlib.util\n"
        "\n"
        'if importlib.util.find_spec("vaebook") is None:\n'
        f'    PACKAGE = "vaebook @ git+{url}@{branch}"\n'
        '    %pip install -q "{PACKAGE}"\n'
        "    importlib.invalidate_caches()\n"
        '    if importlib.util.find_spec("vaebook") is None:\n'
        "        raise RuntimeError(\n"
        "            f\"could not install {PACKAGE!r}: pip's message above says why. \"\n"
        '            "Check that this runtime has internet access (Colab has, by "\n'
        '            "default), then run this cell again."\n'
        "        )"
    )


def run_parameters(nb, kind: str) -> dict:
    """A notebook's ``long_run`` or ``test_run`` parameters, from ``metadata.vaebook``.

    ``long_run`` is what a reader sets for the full-size run (``DATASET = "mnist"``, more
    epochs); ``test_run`` is that run pointed at the offline 28 x 28 data with fewer
    epochs, which ``make test`` executes, so that the long run's code has run. The test
    run's values override the long run's.
    """
    meta = nb.metadata.get("vaebook", {})
    long_run = dict(meta.get("long_run", {}))
    if kind == "long_run":
        return long_run
    if kind == "test_run":
        return {**long_run, **meta.get("test_run", {})}
    raise ValueError(f"run_parameters: argument `kind` must be 'long_run' or 'test_run'; "
                     f"got {kind!r}.")


def exercise_help(chapter: str, key: str) -> str:
    """The markdown cell under an exercise: how to get help in Jupyter, folded help in HTML.

    In Jupyter and Colab the fenced block shows as a line saying which calls print the
    hints and the solution; the book's ``exercise-help`` directive (tools/vaebook_sphinx.py)
    replaces it with folded hint and solution boxes generated from ``vaebook.exercises``,
    so that no solution is ever in a notebook, and the two cannot differ.
    """
    return (f"```{{exercise-help}} {chapter} {key}\n"
            f"Stuck? ex.{key}.hint() prints a hint; ex.{key}.solution() prints a solution.\n"
            "```")


def toc_files() -> list[str]:
    """Every file listed in ``_toc.yml`` (without suffix), in reading order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


def toc_notebooks() -> list[Path]:
    """The notebooks listed in ``_toc.yml`` that exist, in reading order."""
    paths = [ROOT / f"{f}.ipynb" for f in toc_files()]
    return [p for p in paths if p.exists()]


def tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def framework_of(cell) -> str | None:
    """'pytorch', 'tensorflow' or None, from the cell's tags."""
    found = [t for t in FRAMEWORK_TAGS if t in tags(cell)]
    if len(found) > 1:
        return "both"
    return found[0] if found else None


def uses(cell) -> set[str]:
    """Frameworks the source of a code cell visibly uses."""
    src = "\n".join(
        line for line in cell.source.splitlines() if not line.lstrip().startswith("#")
    )
    return {fw for fw, pattern in _FRAMEWORK_WORDS.items() if pattern.search(src)}


def framework_problems(nb) -> list[str]:
    """Everything wrong with a notebook's framework cells, as messages (empty: fine).

    Rules: tagged cells come in adjacent (pytorch, tensorflow) pairs; a tagged cell
    starts with its marker comment and uses only its own framework; an untagged code
    cell uses neither.
    """
    problems = []
    cells = nb.cells
    i = 0
    while i < len(cells):
        cell = cells[i]
        fw = framework_of(cell)
        where = f"cell {i}"
        if fw == "both":
            problems.append(f"{where}: tagged both pytorch and tensorflow")
        elif fw == "pytorch":
            nxt = cells[i + 1] if i + 1 < len(cells) else None
            if nxt is None or framework_of(nxt) != "tensorflow":
                problems.append(f"{where}: pytorch cell without a tensorflow partner right after it")
            else:
                i += 1
        elif fw == "tensorflow":
            problems.append(f"{where}: tensorflow cell without a pytorch partner right before it")
        i += 1
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            if framework_of(cell):
                problems.append(f"cell {i}: a markdown cell carries a framework tag")
            continue
        fw = framework_of(cell)
        used = uses(cell)
        if fw in FRAMEWORK_TAGS:
            if not cell.source.lstrip().startswith(MARKERS[fw]):
                problems.append(f"cell {i}: {fw} cell must start with {MARKERS[fw]!r}")
            other = set(FRAMEWORK_TAGS) - {fw}
            if used & other:
                problems.append(f"cell {i}: {fw} cell also uses {sorted(used & other)}")
        elif fw is None and used and "skip-framework-check" not in tags(cell):
            problems.append(f"cell {i}: untagged cell uses {sorted(used)}; tag it and pair it")
    return problems


def read(path: Path):
    import nbformat  # here, so the TOC helpers work where only PyYAML is installed

    return nbformat.read(path, as_version=4)


# ----------------------------------------------------------- links to the API page
# Modules whose names are the book's own machinery rather than the lesson: the
# exercise checkers (named by each exercise's help line) are not linked name by name.
_UNLINKED_MODULES = ("vaebook.exercises",)
_ROLE = re.compile(r"\{py:(?:func|class|meth|mod|data|obj|attr)\}`~?([\w.]+)`")


def documented_api() -> set[str]:
    """Full names the API page (``chapters/api.md``) documents.

    ``autofunction``/``autoclass`` entries under ``currentmodule:: vaebook.torch`` (the
    page documents each framework name once, from PyTorch), and the ``__all__`` of
    every ``automodule``.
    """
    import importlib

    text = (ROOT / "chapters" / "api.md").read_text()
    names, module = set(), None
    for line in text.splitlines():
        if m := re.match(r"\.\. currentmodule:: ([\w.]+)", line.strip()):
            module = m.group(1)
        elif m := re.match(r"\.\. auto(?:function|class):: ([\w.]+)", line.strip()):
            name = m.group(1)
            names.add(name if name.startswith("vaebook.") else f"{module}.{name}")
    # automodule: the names its `:members:` option lists (continued on indented lines),
    # or the module's __all__ when the option lists none.
    for m in re.finditer(r"\.\. automodule:: ([\w.]+)\n((?:[ \t]+\S.*\n)*)", text):
        listed = re.search(r":members:(.*(?:\n[ \t]{4,}[^:\s].*)*)", m.group(2))
        members = re.findall(r"\w+", listed.group(1)) if listed else []
        if listed and not members:
            members = getattr(importlib.import_module(m.group(1)), "__all__", ())
        names.update(f"{m.group(1)}.{n}" for n in members)
    return {n for n in names if not n.startswith(_UNLINKED_MODULES)}


def _canonical(name: str) -> str:
    """``vaebook.tensorflow.fit`` -> ``vaebook.torch.fit``: the page documents it once."""
    return re.sub(r"^vaebook\.tensorflow\.", "vaebook.torch.", name)


def api_names_used(source: str) -> set[str]:
    """Full names of vaebook objects a (plain Python) code cell uses.

    Follows the cell's own imports and the chapters' usual aliases (``vbt``, ``vbtf``,
    and ``from vaebook import report``-style module imports made in earlier cells are
    resolved by :func:`api_first_uses`, which passes them in).
    """
    return _names_used(source, dict(_DEFAULT_ALIASES))[0]


_DEFAULT_ALIASES = {"vbt": "vaebook.torch", "vbtf": "vaebook.tensorflow",
                    "vaebook": "vaebook"}


def _names_used(source: str, aliases: dict[str, str]) -> tuple[set[str], dict[str, str]]:
    import ast

    text = "\n".join(line for line in source.splitlines()
                     if not line.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return set(), aliases
    aliases = dict(aliases)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("vaebook"):
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("vaebook"):
                    aliases[a.asname or a.name.split(".")[0]] = (
                        a.name if a.asname else a.name.split(".")[0])
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            parts, inner = [node.attr], node.value
            while isinstance(inner, ast.Attribute):
                parts.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id in aliases:
                full = aliases[inner.id]
                for part in reversed(parts):
                    full = f"{full}.{part}"
                    used.add(_canonical(full))
        elif isinstance(node, ast.Name) and node.id in aliases:
            used.add(_canonical(aliases[node.id]))
    return used, aliases


def api_first_uses(nb) -> dict[str, int]:
    """{documented vaebook name: index of the first code cell that uses it}."""
    documented, aliases, first = documented_api(), dict(_DEFAULT_ALIASES), {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        used, aliases = _names_used(cell.source, aliases)
        for name in sorted(used & documented):
            first.setdefault(name, i)
    return first


def unlinked_api_names(nb) -> list[str]:
    """Documented vaebook names a chapter uses without linking them on first use.

    A name is linked on first use when a ``{py:func}``/``{py:class}``/... role naming it
    (either framework's spelling) is in a markdown cell before the first code cell that
    uses it, or in the first markdown cell after that code cell.
    """
    missing = []
    for name, i in api_first_uses(nb).items():
        after = next((j for j in range(i + 1, len(nb.cells))
                      if nb.cells[j].cell_type == "markdown"), len(nb.cells))
        linked = {_canonical(m) for c in nb.cells[: after + 1] if c.cell_type == "markdown"
                  for m in _ROLE.findall(c.source)}
        if name not in linked:
            missing.append(f"{name} (first used in cell {i})")
    return missing
