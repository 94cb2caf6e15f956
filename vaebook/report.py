"""Reporting helpers for the chapters: results tables, claims, and one-framework readers.

* :class:`Table` shows results as a real table: in the book and in Jupyter it renders as
  Markdown (the book's own table style, fitting the column), in a terminal as aligned
  text. It is written here rather than taken from pandas because a DataFrame renders
  as HTML with its own index and styles, and as wide text in nbval's comparisons;
  a Markdown table is what the prose tables of the book already are.
* :class:`Claims` checks a statement the text makes about the chapter's default run:
  an assertion there, a printed note on other runs (MNIST, fewer epochs, say), where
  the numbers differ and the text may not hold.
* :func:`both` tells a shared cell whether both frameworks ran: a reader on Colab often
  runs one framework's cells only, so results are kept in dicts keyed by framework name
  (``"PyTorch"``, ``"TensorFlow"``), and a comparison runs only when both are there.
"""

from __future__ import annotations

import html
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["FRAMEWORK_NAMES", "Table", "Claims", "both", "ran"]

FRAMEWORK_NAMES = ("PyTorch", "TensorFlow")


def ran(results: dict) -> list[str]:
    """The framework names among ``results``' keys, in the book's order."""
    return [name for name in FRAMEWORK_NAMES if name in results]


def both(results: dict) -> bool:
    """Whether ``results`` holds an entry for each framework (both cells ran)."""
    return len(ran(results)) == len(FRAMEWORK_NAMES)


def _number(value: Any) -> bool:
    """A real number, Python's or NumPy's (np.float32 too), and not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _cell(value: Any, fmt: str | Callable[[Any], str] | None) -> str:
    if callable(fmt):
        return fmt(value)
    if fmt and _number(value):
        return format(float(value) if isinstance(value, np.floating) else value, fmt)
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    return str(value)


class Table:
    """A results table.

    Args:
        columns: column headers.
        rows: one sequence of values per row, as many as ``columns``.
        formats: per column, a format spec (``".3f"``) or a function of the value, or
            None for the default (``.4g`` for floats).
        align: per column ``"l"`` or ``"r"``; by default numbers right, text left.

    Displayed in a notebook or in the book, it renders as an HTML table (with a Markdown
    table for front ends that show only Markdown); ``str(table)`` is aligned plain text.
    """

    def __init__(self, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                 formats: Sequence[str | Callable | None] | None = None,
                 align: str | None = None):
        self.columns = [str(c) for c in columns]
        self.rows = [list(r) for r in rows]
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(
                    f"Table: argument `rows` must have {len(self.columns)} values per row "
                    f"(one per column); row {i} has {len(row)}."
                )
        formats = list(formats) if formats is not None else [None] * len(self.columns)
        if len(formats) != len(self.columns):
            raise ValueError(f"Table: argument `formats` must have {len(self.columns)} "
                             f"entries; got {len(formats)}.")
        self.cells = [[_cell(v, f) for v, f in zip(row, formats, strict=True)]
                      for row in self.rows]
        if align is None:
            numeric = [all(_number(r[j]) for r in self.rows) and bool(self.rows)
                       for j in range(len(self.columns))]
            align = "".join("r" if n else "l" for n in numeric)
        if len(align) != len(self.columns) or set(align) - {"l", "r"}:
            raise ValueError(f"Table: argument `align` must be {len(self.columns)} letters l "
                             f"or r; got {align!r}.")
        self.align = align

    def _repr_markdown_(self) -> str:
        def line(cells):
            return "| " + " | ".join(c.replace("|", r"\|") for c in cells) + " |"

        rule = "|" + "|".join(":--" if a == "l" else "--:" for a in self.align) + "|"
        return "\n".join([line(self.columns), rule, *(line(r) for r in self.cells)])

    def _repr_html_(self) -> str:
        # Jupyter, Colab and the book (myst-nb prefers text/html to text/markdown, and
        # renders markdown outputs without table syntax) all show this one. The wrapper
        # lets a table wider than a phone scroll inside its own box.
        def row(tag, cells):
            return "<tr>" + "".join(
                f'<{tag} style="text-align: {"left" if a == "l" else "right"}">'
                f"{html.escape(c)}</{tag}>"
                for c, a in zip(cells, self.align, strict=True)) + "</tr>"

        body = "".join(row("td", r) for r in self.cells)
        return (f'<div class="vaebook-table" style="overflow-x: auto"><table>'
                f"<thead>{row('th', self.columns)}</thead><tbody>{body}</tbody>"
                "</table></div>")

    def __str__(self) -> str:
        widths = [max(len(c), *(len(r[j]) for r in self.cells)) if self.cells else len(c)
                  for j, c in enumerate(self.columns)]

        def line(cells):
            return "  ".join(c.ljust(w) if a == "l" else c.rjust(w)
                             for c, w, a in zip(cells, widths, self.align, strict=True)).rstrip()

        return "\n".join([line(self.columns), *(line(r) for r in self.cells)])

    def __repr__(self) -> str:
        return str(self)


class Claims:
    """Statements the text makes about the chapter's default run, checked.

    Args:
        run: what this run is: the notebook's ``DATASET``, or a dict of the parameters
            the text's numbers depend on (``{"DATASET": DATASET, "EPOCHS": EPOCHS}``).
        checked_on: what the prose was written for: a data set name (or several), or a
            dict of the default values of those parameters.

    ``claims(holds, what)`` asserts ``holds`` when the run is one the text was written
    for: the same data set, or, given dicts, every parameter of ``checked_on`` at its
    value in ``run``. On another run (MNIST, a 1-epoch test run, a reader's own
    settings) it prints a note when the claim does not hold, and the run goes on.
    """

    def __init__(self, run: str | Mapping[str, Any],
                 checked_on: str | Sequence[str] | Mapping[str, Any]):
        if isinstance(run, Mapping) != isinstance(checked_on, Mapping):
            raise ValueError(
                "Claims: arguments `run` and `checked_on` must both be dicts of parameters "
                f"or both data set names; got {type(run).__name__} and "
                f"{type(checked_on).__name__}.")
        if isinstance(checked_on, Mapping):
            unknown = sorted(set(checked_on) - set(run))
            if unknown:
                raise ValueError(f"Claims: argument `run` must give every parameter of "
                                 f"`checked_on`; missing {unknown}.")
            self.run, self.checked_on = dict(run), dict(checked_on)
        else:
            self.run = run
            self.checked_on = (checked_on,) if isinstance(checked_on, str) else tuple(checked_on)

    @property
    def enforced(self) -> bool:
        if isinstance(self.checked_on, dict):
            return all(self.run[k] == v for k, v in self.checked_on.items())
        return self.run in self.checked_on

    def _this_run(self) -> str:
        if not isinstance(self.checked_on, dict):
            return f"on {self.run!r}"
        changed = [f"{k} = {self.run[k]!r}" for k, v in self.checked_on.items()
                   if self.run[k] != v]
        return "with " + ", ".join(changed)

    def __call__(self, holds: bool, what: str) -> bool:
        holds = bool(holds)
        if self.enforced:
            assert holds, f"the text claims: {what}"
        elif not holds:
            print(f"note: {self._this_run()} this claim of the text does not hold: {what}")
        return holds
