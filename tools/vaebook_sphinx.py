"""Sphinx extension for the vaebook book (enabled in ``_config.yml``, ``local_extensions``).

1. **Exercise help from one source.** The directive ``exercise-help`` (``ch3 q1``) turns
   into folded "Hint" and "Solution" boxes generated from ``vaebook.exercises`` at build
   time: the solution's code in PyTorch and TensorFlow tabs that follow the reader's
   framework choice. A notebook holds only the directive, which Jupyter and Colab show as
   a line naming ``ex.q1.hint()`` and ``ex.q1.solution()``: no solution is ever in plain
   view there, and the book's text cannot drift from the package's.
2. **Figures numbered per chapter** (Fig. 4.2): Sphinx numbers figures across the whole
   book unless the toctree is section-numbered, which would renumber the chapters'
   own headings. Each page's figures are renumbered ``(chapter, n)``, the chapter taken
   from its title ("4. The reparameterization trick"); an unnumbered page keeps its own
   count with a letter ("A" for the appendix, from ``vaebook_figure_prefixes``).
3. **Each script once, MathJax's included.** Jupyter Book 1.x adds *every* ``.js`` and
   ``.css`` file under ``_static/`` (recursively) to every page. With MathJax served from
   ``_static/mathjax`` (so the book reads offline) that is some seventy MathJax scripts
   per page. This drops from ``html_js_files``/``html_css_files`` whatever lies in the
   folder of ``mathjax_path`` and removes duplicates. It also drops duplicate inline
   scripts: Sphinx 7.4 adds a body-only script registered after the builder started
   (sphinx-thebe's, sphinx-togglebutton's) twice, and thebe's declares ``const``s.
4. **Bibliography labels in the text's style.** The text cites author-year
   (``bibtex_reference_style: author_year``), but pybtex's formatting styles label the
   list with alpha keys ("[KW14]"). The style ``vaebook`` (``bibtex_default_style``) is
   pybtex's ``unsrt`` sorted by author, year and title, labelled the way the text cites:
   "Kingma and Welling, 2014", "Burda et al., 2016". pybtex has no such label style.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter

from docutils import nodes
from docutils.statemachine import StringList
from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx.util.docutils import SphinxDirective

_LABELS = {"torch": ("PyTorch", "pytorch"), "tensorflow": ("TensorFlow", "tensorflow")}
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def _literal(text: str) -> str:
    """``text`` escaped so that MyST renders it as plain text (CommonMark: any ASCII
    punctuation may be backslash-escaped)."""
    return _PUNCTUATION.sub(r"\\\1", text)


def _fence(code: str) -> list[str]:
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    ticks = "`" * max(3, longest + 1)
    return [f"{ticks}python", *code.strip("\n").splitlines(), ticks]


def exercise_help_markdown(chapter: str, key: str) -> list[str]:
    """The MyST source of an exercise's folded hint and solution boxes."""
    from vaebook.exercises import FRAMEWORKS, load

    exercise = getattr(load(chapter), key)
    lines = [":::::{dropdown} Hint", ":class-container: vaebook-hint", ""]
    for i, hint in enumerate(exercise.hints, 1):
        lines += [f"{i}. {_literal(hint)}"]
    lines += [":::::", "", ":::::{dropdown} Solution", ":class-container: vaebook-solution", ""]
    if "any" in exercise.solutions:
        lines += _fence(exercise.solutions["any"])
    else:
        lines += ["::::{tab-set}"]
        for fw in FRAMEWORKS:
            label, sync = _LABELS[fw]
            lines += [f":::{{tab-item}} {label}", f":sync: {sync}", "", *_fence(
                exercise.solutions[fw]), ":::"]
        lines += ["::::"]
    lines += [":::::"]
    return lines


class ExerciseHelp(SphinxDirective):
    """``exercise-help`` with two arguments, the chapter key and the exercise key."""

    required_arguments = 2
    has_content = True  # the line Jupyter shows; replaced here

    def run(self) -> list[nodes.Node]:
        chapter, key = self.arguments
        try:
            source = exercise_help_markdown(chapter, key)
        except (ValueError, AttributeError) as err:
            raise self.error(f"exercise-help {chapter} {key}: {err}") from None
        container = nodes.container(classes=["vaebook-exercise-help"])
        self.state.nested_parse(StringList(source, source=self.get_source_info()[0]),
                                self.content_offset, container)
        return [container]


# ----------------------------------------------------------------------------- figures

_CHAPTER_TITLE = re.compile(r"^\s*(\d+)\.\s")


def _chapter_prefix(app, env, docname: str):
    title = env.titles.get(docname)
    text = title.astext() if title is not None else ""
    match = _CHAPTER_TITLE.match(text)
    if match:
        return int(match.group(1))
    return app.config.vaebook_figure_prefixes.get(docname.rsplit("/", 1)[-1])


def _number_figures_per_chapter(app, env):
    """Rewrite ``env.toc_fignumbers`` to (chapter, n) per page, after Sphinx made them."""
    for docname, by_type in env.toc_fignumbers.items():
        prefix = _chapter_prefix(app, env, docname)
        if prefix is None:
            continue
        for figtype, numbers in by_type.items():
            ordered = sorted(numbers.items(), key=lambda item: item[1])
            by_type[figtype] = {ident: (prefix, i) for i, (ident, _) in
                                enumerate(ordered, 1)}
    return []


# ----------------------------------------------------------------------------- scripts


def _name(entry) -> str:
    return str(entry[0] if isinstance(entry, tuple | list) else entry)


def _prune(app, config) -> None:
    mathjax = config.mathjax_path or ""
    folder = posixpath.dirname(mathjax)
    if "://" in mathjax or not folder:
        return
    prefix = folder.rstrip("/") + "/"
    for option in ("html_js_files", "html_css_files"):
        kept, seen = [], set()
        for entry in getattr(config, option) or []:
            name = _name(entry)
            if name.startswith(prefix) or name in seen:
                continue
            seen.add(name)
            kept.append(entry)
        setattr(config, option, kept)


def _dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        attrs = getattr(js, "attributes", {}) or {}
        key = (getattr(js, "filename", None) or None, tuple(sorted(attrs.items())))
        if key in seen:
            continue
        seen.add(key)
        unique.append(js)
    scripts[:] = unique  # the builder restores its own list after each page


def _last_names(entry) -> list[str]:
    """The authors' (or editors') last names, LaTeX accents decoded ("Sønderby")."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    return ["".join(str(part.render_as("text")) for part in p.rich_last_names)
            for p in people]


class AuthorYearLabels(BaseLabelStyle):
    """Labels as the text cites: one or two authors named, three or more "et al."."""

    def format_labels(self, sorted_entries):
        entries = list(sorted_entries)
        labels = []
        for entry in entries:
            names = _last_names(entry)
            who = (" and ".join(names) if len(names) <= 2 else f"{names[0]} et al.")
            labels.append(f"{who}, {entry.fields.get('year', 'n.d.')}")
        # Two papers with the same label get a, b, ... after the year, in list order.
        counts, seen = Counter(labels), Counter()
        for label in labels:
            if counts[label] > 1:
                seen[label] += 1
                yield label + "abcdefghijklmnopqrstuvwxyz"[seen[label] - 1]
            else:
                yield label


class AuthorYearStyle(UnsrtStyle):
    default_label_style = "vaebook_author_year"
    default_sorting_style = "author_year_title"


register_plugin("pybtex.style.labels", "vaebook_author_year", AuthorYearLabels)
register_plugin("pybtex.style.formatting", "vaebook", AuthorYearStyle)


def setup(app):
    app.add_config_value("vaebook_figure_prefixes", {}, "env")
    app.add_directive("exercise-help", ExerciseHelp)
    app.connect("config-inited", _prune)
    # After Sphinx's own TocTreeCollector (priority 500) has numbered the figures.
    app.connect("env-get-updated", _number_figures_per_chapter, priority=900)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"version": "2", "parallel_read_safe": True, "parallel_write_safe": True}
