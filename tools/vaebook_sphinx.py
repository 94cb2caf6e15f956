"""Sphinx extension for the vaebook book: each script once, MathJax's included.

Jupyter Book 1.x adds *every* ``.js`` and ``.css`` file under ``_static/`` (recursively)
to every page. With MathJax served from ``_static/mathjax`` (so the book reads
offline) that is some seventy MathJax scripts per page, several complete MathJax
builds among them. This drops from ``html_js_files``/``html_css_files`` whatever lies
in the folder of ``mathjax_path`` (Sphinx's math extension still loads
``mathjax_path`` itself, deferred, on pages with math; MathJax loads what else it
needs) and removes duplicates.

It also drops duplicate inline scripts from each page. Sphinx 7.4 adds a body-only
script registered after the builder started (sphinx-thebe's, sphinx-togglebutton's)
twice, once with filename ``None`` and once with ``''``; thebe's declares ``const``s,
so the second copy is a SyntaxError in every page's console.

Enabled in ``_config.yml`` under ``sphinx.local_extensions``.
"""

from __future__ import annotations

import posixpath


def _name(entry) -> str:
    return str(entry[0] if isinstance(entry, (tuple, list)) else entry)


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


def setup(app):
    app.connect("config-inited", _prune)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
