"""The book's Sphinx extension: bibliography labels in the style the text cites by."""

from __future__ import annotations

from pybtex.database import parse_string

from tools.vaebook_sphinx import AuthorYearLabels

BIB = r"""
@article{a, author = {Kingma, Diederik P. and Welling, Max}, title = {A}, year = {2014}}
@article{b, author = {Burda, Yuri and Grosse, Roger and Salakhutdinov, Ruslan},
            title = {B}, year = {2016}}
@article{c, author = {S{\o}nderby, Casper Kaae}, title = {C}, year = {2016}}
@article{d, author = {Arjovsky, Martin and Bottou, L{\'e}on}, title = {D1}, year = {2017}}
@article{e, author = {Arjovsky, Martin and Bottou, L{\'e}on}, title = {D2}, year = {2017}}
"""


def test_labels_name_authors_and_year_as_the_text_cites():
    entries = list(parse_string(BIB, "bibtex").entries.values())
    assert list(AuthorYearLabels().format_labels(entries)) == [
        "Kingma and Welling, 2014",
        "Burda et al., 2016",
        "Sønderby, 2016",  # LaTeX accents decoded
        "Arjovsky and Bottou, 2017a",  # two papers, one label: a, b
        "Arjovsky and Bottou, 2017b",
    ]
