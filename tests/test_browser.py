"""The built book, read in a real browser (headless Debian Chromium via Playwright).

Run after ``make book`` (``make test-browser`` does both, and installs Chromium when it
is missing). Serves ``_build/html`` on localhost and checks, on every page in
``_toc.yml``: math is rendered by the book's own MathJax and no request leaves
localhost; every image loads; no cell output holds an error or a traceback; no
script error; the Colab button opens that chapter's source notebook; and on chapters
with framework cells, the PyTorch/TensorFlow tabs switch every block together, stay
switched on reload and on the next chapter, and without JavaScript both cells show.
Full-page screenshots go to ``_build/screenshots/`` (look at them).
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tools.notebook_rules import ROOT, config, framework_of, read, repository, toc_files

pytestmark = pytest.mark.browser

HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
STORAGE_KEY = "vaebook-framework"
TIMEOUT_MS = 30_000


def _pages() -> list[str]:
    """Every page of the TOC whose source exists (a chapter not written yet is not collected)."""
    return [f for f in toc_files()
            if (ROOT / f"{f}.ipynb").exists() or (ROOT / f"{f}.md").exists()]


def _is_notebook(entry: str) -> bool:
    return (ROOT / f"{entry}.ipynb").exists()


@functools.cache
def _has_pairs(entry: str) -> bool:
    return _is_notebook(entry) and any(
        framework_of(c) == "pytorch" for c in read(ROOT / f"{entry}.ipynb").cells)


PAGES = _pages()
NOTEBOOKS = [p for p in PAGES if _is_notebook(p)]
PAIRED = [p for p in NOTEBOOKS if _has_pairs(p)]


# --------------------------------------------------------------------------- fixtures

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output readable
        pass


@pytest.fixture(scope="session")
def base_url():
    if not (HTML / "index.html").exists():
        pytest.fail(f"{HTML.relative_to(ROOT)} is not built: run `make book` first")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `python tools/ensure_chromium.py`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


class Visit:
    """A browser context that records what each page did wrong."""

    def __init__(self, browser, base_url, **options):
        self.base_url = base_url
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.external: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        origin = base_url.rstrip("/")

        def on_request(request):
            url = request.url
            if not (url.startswith(origin) or url.startswith(("data:", "blob:", "about:"))):
                self.external.append(url)

        def on_response(response):
            if response.status >= 400 and not response.url.endswith("favicon.ico"):
                self.failed.append(f"{response.status} {response.url}")

        self.context.on("request", on_request)
        self.context.on("response", on_response)
        # Nothing may leave localhost; abort at once rather than wait for a timeout.
        self.context.route(re.compile(r"^(?!https?://127\.0\.0\.1[:/]).*"),
                           lambda route: route.abort())
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda err: self.errors.append(str(err)))

    def open(self, entry: str):
        self.page.goto(f"{self.base_url}{entry}.html", wait_until="load")
        return self.page

    def close(self):
        self.context.close()

    def assert_clean(self):
        assert not self.external, f"requests left localhost: {self.external}"
        assert not self.failed, f"requests failed: {self.failed}"
        assert not self.errors, f"script errors: {self.errors}"


@pytest.fixture
def visit(browser, base_url):
    v = Visit(browser, base_url)
    yield v
    v.close()


def _wait_for_tabs(page):
    page.wait_for_function("document.documentElement.classList.contains('vaebook-tabs-ready')")


def _screenshot(page, name: str):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _stem(entry: str) -> str:
    return Path(entry).name


# ------------------------------------------------------------------- every TOC page

def test_toc_pages_were_collected():
    assert PAGES and PAGES[0] == toc_files()[0], "the TOC's root page is missing"


def _check_math(page, base_url):
    page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise")
    page.evaluate("MathJax.startup.promise")
    math = page.evaluate("""() => {
        const nodes = [...document.querySelectorAll('.math, span.math, div.math')];
        return {
          version: window.MathJax.version || '',
          total: nodes.length,
          untypeset: nodes.filter(n => !n.querySelector('mjx-container')
                                       && !n.closest('mjx-container'))
                          .map(n => n.textContent.trim().slice(0, 80)),
          errors: [...document.querySelectorAll('mjx-merror')]
                     .map(n => (n.getAttribute('data-mjx-error') || n.textContent).slice(0, 120)),
          // At desktop width every display equation fits the text column: a wider one
          // would show with a scroll bar and its end out of sight (long ones are broken
          // into lines with aligned/gathered; on a phone, scrolling is the fallback).
          too_wide: [...document.querySelectorAll('div.math')].filter(d => {
              const c = d.querySelector('mjx-container');
              if (!c) return false;
              const width = Math.max(c.scrollWidth, c.firstElementChild ? c.firstElementChild
                                     .getBoundingClientRect().width : 0);
              return width > d.clientWidth + 1;
            }).map(d => d.textContent.trim().slice(0, 80)),
        };
    }""")
    assert math["version"].startswith("3"), f"MathJax 3 not loaded: {math}"
    assert not math["untypeset"], f"math left as TeX: {math['untypeset'][:5]}"
    assert not math["errors"], f"MathJax errors (bad TeX): {math['errors']}"
    assert not math["too_wide"], f"display math wider than the column: {math['too_wide']}"
    mathjax_src = page.evaluate(
        "[...document.scripts].map(s => s.src).filter(s => /mathjax/i.test(s))")
    assert mathjax_src and all(s.startswith(base_url) for s in mathjax_src), mathjax_src
    # One MathJax build per page (Jupyter Book would add every file of _static/mathjax).
    assert len(mathjax_src) == 1, f"{len(mathjax_src)} MathJax scripts: {mathjax_src[:5]} ..."


@pytest.mark.parametrize("entry", PAGES)
def test_page_renders_cleanly(visit, entry):
    page = visit.open(entry)
    # Math: MathJax 3 from the book's own _static, every formula typeset, none in error.
    # (Sphinx loads MathJax only on pages that have math.)
    if page.locator(".math").count():
        _check_math(page, visit.base_url)

    # Images: every <img> loaded (lazy ones forced to load first).
    broken = page.evaluate("""async () => {
        const imgs = [...document.images];
        imgs.forEach(i => { if (i.loading === 'lazy') i.loading = 'eager'; });
        await Promise.all(imgs.map(i => i.complete ? null :
            new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
        return imgs.filter(i => i.naturalWidth === 0).map(i => i.getAttribute('src'));
    }""")
    assert not broken, f"images that did not load: {broken}"

    # Outputs: no error output, no traceback, no log noise on stderr, no frozen widget.
    outputs = page.evaluate(r"""() => {
        const out = [];
        document.querySelectorAll('.cell_output .output, .cell_output').forEach(o => {
          const text = o.textContent || '';
          if (o.matches('.output.error, .output.traceback')) out.push('error output: ' + text.slice(0, 300));
          else if (text.includes('Traceback (most recent call last)')) out.push('traceback: ' + text.slice(0, 300));
          else if (o.matches('.output.stderr') && /(Warning|WARNING|absl|oneDNN|cpu_feature_guard|E0000|W0000|I0000)/.test(text))
            out.push('log noise on stderr: ' + text.slice(0, 300));
          else if (/(HBox|FloatProgress|IntProgress)\(children=|HBox\(|Widget Javascript not detected/.test(text))
            out.push('a widget saved as its text placeholder: ' + text.slice(0, 300));
        });
        return [...new Set(out)];
    }""")
    assert not outputs, "cell outputs with errors or noise:\n" + "\n".join(outputs)

    if not _has_pairs(entry):
        _screenshot(page, _stem(entry))
    visit.assert_clean()


@pytest.mark.parametrize("entry", NOTEBOOKS)
def test_colab_button_opens_the_source_notebook(browser, base_url, entry):
    url, branch = repository()
    owner_repo = urlparse(url).path.strip("/")
    path_to_book = config()["repository"].get("path_to_book", "").strip("/")
    path = "/".join(p for p in (path_to_book, f"{entry}.ipynb") if p)
    expected = f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{path}"
    assert (ROOT / path).exists(), f"the Colab URL would point at {path}, not in the repository"

    # The link is in the page itself (no need to run MathJax and friends to read it).
    v = Visit(browser, base_url, java_script_enabled=False)
    try:
        page = v.open(entry)
        links = page.locator('.dropdown-launch-buttons a[href^="https://colab.research.google.com/"]')
        assert links.count() == 1, f"{links.count()} Colab links in the launch menu"
        assert links.first.get_attribute("href") == expected
        assert page.locator('a[href^="https://colab.research.google.com/"]').count() == 1
    finally:
        v.close()


# ------------------------------------------------------------------ framework tabs

def _tab_state(page) -> list[dict]:
    return page.evaluate("""() => [...document.querySelectorAll('.vaebook-tabs')].map(b => {
        const vis = el => !!el && el.offsetParent !== null && getComputedStyle(el).display !== 'none';
        const pt = b.querySelector(':scope > .cell.tag_pytorch');
        const tf = b.querySelector(':scope > .cell.tag_tensorflow');
        const sel = [...b.querySelectorAll('[role=tab][aria-selected=true]')].map(t => t.textContent);
        return {pytorch: vis(pt), tensorflow: vis(tf), selected: sel};
    })""")


def _assert_all_show(page, framework: str):
    label = {"pytorch": "PyTorch", "tensorflow": "TensorFlow"}[framework]
    other = "tensorflow" if framework == "pytorch" else "pytorch"
    states = _tab_state(page)
    assert states, "no tabbed blocks on the page"
    wrong = [i for i, s in enumerate(states)
             if not s[framework] or s[other] or s["selected"] != [label]]
    assert not wrong, f"blocks {wrong} do not show only {label}: {[states[i] for i in wrong]}"
    # sphinx-design tab-sets in the prose (solutions) follow the same choice.
    design = page.evaluate("""fw => [...document.querySelectorAll('.sd-tab-label[data-sync-id]')]
        .filter(l => ['pytorch', 'tensorflow'].includes(l.dataset.syncId))
        .map(l => ({id: l.dataset.syncId, checked: document.getElementById(l.htmlFor).checked}))
        .filter(t => (t.id === fw) !== t.checked)""", framework)
    assert not design, f"sphinx-design tabs not on {label}: {design}"


@pytest.mark.parametrize("entry", PAIRED)
def test_framework_tabs(visit, entry):
    page = visit.open(entry)
    _wait_for_tabs(page)
    pairs = page.locator("div.cell.tag_pytorch").count()
    blocks = page.locator(".vaebook-tabs")
    assert blocks.count() == pairs, f"{pairs} pytorch cells but {blocks.count()} tabbed blocks"
    # Every block holds one pair, code and outputs together, as tabpanels.
    assert page.locator(".vaebook-tabs > .cell.vaebook-tab-panel[role=tabpanel]").count() == 2 * pairs

    # A fresh reader sees PyTorch.
    assert page.evaluate(f"localStorage.getItem('{STORAGE_KEY}')") is None
    _assert_all_show(page, "pytorch")
    page.evaluate("window.scrollTo(0, 0)")
    _screenshot(page, f"{_stem(entry)}-pytorch")

    # Clicking TensorFlow on the last block switches every block on the page.
    page.get_by_role("tab", name="TensorFlow").last.click()
    _assert_all_show(page, "tensorflow")
    assert page.evaluate(f"localStorage.getItem('{STORAGE_KEY}')") == "tensorflow"
    page.evaluate("window.scrollTo(0, 0)")
    _screenshot(page, f"{_stem(entry)}-tensorflow")

    # It stays chosen after a reload ...
    page.reload(wait_until="load")
    _wait_for_tabs(page)
    _assert_all_show(page, "tensorflow")

    # A framework chosen in a sphinx-design tab-set (in a solution) switches the blocks too.
    design = page.locator(".sd-tab-label[data-sync-id=pytorch]")
    if design.count():
        design.first.evaluate("l => { const d = l.closest('details'); if (d) d.open = true; }")
        design.first.click()
        _assert_all_show(page, "pytorch")
        assert page.evaluate(f"localStorage.getItem('{STORAGE_KEY}')") == "pytorch"

    # ... and from the keyboard: ArrowLeft on a focused tab goes back to PyTorch everywhere.
    page.get_by_role("tab", name="TensorFlow").first.focus()
    page.keyboard.press("ArrowLeft")
    _assert_all_show(page, "pytorch")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "PyTorch", f"focus went to {focused!r}"
    page.keyboard.press("End")
    _assert_all_show(page, "tensorflow")

    # ... and on the next page of the book.
    here = page.url
    page.locator("a.right-next").first.click()
    page.wait_for_url(lambda url: url != here)
    page.wait_for_load_state("load")
    assert page.evaluate(f"localStorage.getItem('{STORAGE_KEY}')") == "tensorflow"
    if page.locator("div.cell.tag_pytorch").count():
        _wait_for_tabs(page)
        _assert_all_show(page, "tensorflow")
    visit.assert_clean()


@pytest.mark.parametrize("entry", sorted(set(PAIRED[:1] + PAIRED[-1:]), key=PAIRED.index))
def test_dark_mode_screenshot(browser, base_url, entry):
    """Not an assertion on looks: the screenshot is there to be looked at."""
    v = Visit(browser, base_url, color_scheme="dark")
    try:
        v.context.add_init_script(f"localStorage.setItem('mode', 'dark');"
                                  f"localStorage.setItem('{STORAGE_KEY}', 'tensorflow');")
        page = v.open(entry)
        _wait_for_tabs(page)
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        _assert_all_show(page, "tensorflow")
        _screenshot(page, f"{_stem(entry)}-tensorflow-dark")
        v.assert_clean()
    finally:
        v.close()


@pytest.mark.parametrize("entry", PAIRED)
def test_without_javascript_both_cells_show(browser, base_url, entry):
    v = Visit(browser, base_url, java_script_enabled=False)
    try:
        page = v.open(entry)
        assert page.locator(".vaebook-tabs").count() == 0
        for tag in ("pytorch", "tensorflow"):
            cells = page.locator(f"div.cell.tag_{tag}")
            assert cells.count() > 0
            hidden = [i for i in range(cells.count()) if not cells.nth(i).is_visible()]
            assert not hidden, f"{tag} cells {hidden} hidden without JavaScript"
        if entry == PAIRED[0]:
            _screenshot(page, f"{_stem(entry)}-nojs")
        assert not v.external, v.external
    finally:
        v.close()
