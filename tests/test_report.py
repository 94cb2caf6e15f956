"""Reporting helpers: tables that render as tables, claims, one-framework results."""

from __future__ import annotations

import pytest

from vaebook.report import Claims, Table, both, ran


def test_table_renders_markdown_and_text():
    t = Table(["run", "log p(x)", "units"], [["VAE", -86.7612, 20], ["IWAE", -84.78, 13]],
              formats=[None, ".2f", None])
    md = t._repr_markdown_()
    assert md.splitlines()[0] == "| run | log p(x) | units |"
    assert md.splitlines()[1] == "|:--|--:|--:|"
    assert "| VAE | -86.76 | 20 |" in md
    text = str(t).splitlines()
    assert text[1].startswith("VAE") and text[1].endswith("20")
    assert len({len(line) for line in text}) == 1  # aligned


def test_table_renders_html_rows_aligned_and_escaped():
    from html.parser import HTMLParser

    t = Table(["run", "a < b"], [["VAE & IWAE", 1.5], ["<script>", 2.0]], formats=[None, ".1f"])

    class Cells(HTMLParser):
        def __init__(self):
            super().__init__()
            self.cells, self.styles, self.tags = [], [], []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            if tag in ("td", "th"):
                self.styles.append(dict(attrs)["style"])
                self.cells.append("")

        def handle_data(self, data):
            if self.cells:
                self.cells[-1] += data

    parser = Cells()
    parser.feed(t._repr_html_())
    assert parser.cells == ["run", "a < b", "VAE & IWAE", "1.5", "<script>", "2.0"]
    assert parser.styles[1] == "text-align: right" and parser.styles[2] == "text-align: left"
    assert "script" not in parser.tags  # text is escaped, not markup
    assert parser.tags[:2] == ["div", "table"]  # a box that scrolls on a phone


def test_table_formats_numpy_numbers_as_numbers():
    import numpy as np

    t = Table(["a", "b"], [[np.float32(1.23456), np.int64(3)]], formats=[".2f", None])
    assert t.cells == [["1.23", "3"]] and t.align == "rr"
    assert Table(["a"], [[np.float32(0.1234567)]]).cells == [["0.1235"]]


def test_table_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"Table: argument `rows` must have 2 values.*row 1"):
        Table(["a", "b"], [[1, 2], [3]])
    with pytest.raises(ValueError, match="Table: argument `align`"):
        Table(["a"], [[1]], align="c")
    assert "\\|" in Table(["a"], [["x|y"]])._repr_markdown_()


def test_claims_assert_on_the_default_and_note_elsewhere(capsys):
    on_default = Claims("digits", checked_on="digits")
    assert on_default(True, "fine")
    with pytest.raises(AssertionError, match="the text claims: bigger"):
        on_default(False, "bigger")
    elsewhere = Claims("mnist", checked_on=("digits", "font_digits"))
    assert elsewhere(False, "bigger") is False
    assert "note: on 'mnist' this claim of the text does not hold: bigger" in capsys.readouterr().out


def test_claims_on_parameters_assert_only_on_the_default_run(capsys):
    checked = {"DATASET": "font_digits", "EPOCHS": 20}
    default = Claims({"DATASET": "font_digits", "EPOCHS": 20, "SEED": 3}, checked)
    assert default.enforced
    with pytest.raises(AssertionError, match="the text claims: bigger"):
        default(False, "bigger")
    short = Claims({"DATASET": "font_digits", "EPOCHS": 1}, checked)
    assert not short.enforced
    assert short(False, "bigger") is False
    out = capsys.readouterr().out
    assert "note: with EPOCHS = 1 this claim of the text does not hold: bigger" in out
    assert short(True, "fine") and capsys.readouterr().out == ""


def test_claims_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"Claims: argument `run` must give .*\['EPOCHS'\]"):
        Claims({"DATASET": "digits"}, {"DATASET": "digits", "EPOCHS": 3})
    with pytest.raises(ValueError, match="Claims: arguments `run` and `checked_on` must both"):
        Claims("digits", {"DATASET": "digits"})


def test_both_and_ran():
    assert both({"PyTorch": 1, "TensorFlow": 2})
    assert not both({"TensorFlow": 2})
    assert ran({"TensorFlow": 2, "PyTorch": 1, "other": 3}) == ["PyTorch", "TensorFlow"]
