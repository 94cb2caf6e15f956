/*
 * vaebook: PyTorch / TensorFlow tabs for paired notebook cells.
 *
 * myst-nb renders each code cell as <div class="cell tag_pytorch ..."> (its tags
 * become classes). Every adjacent (pytorch, tensorflow) pair is wrapped here in one
 * tabbed block, code and outputs together. All blocks on a page follow one choice,
 * which is stored in localStorage so it holds across pages, reloads and other open
 * tabs of the book. Without JavaScript nothing is hidden: both cells show, one after
 * the other. `?framework=tensorflow` in a URL selects (and remembers) a framework.
 *
 * sphinx-design tab-sets in the prose (hints, solutions: `:sync: pytorch` /
 * `:sync: tensorflow`) follow the same choice, and choosing a framework there
 * switches the cell blocks too.
 */
(function () {
  "use strict";

  var KEY = "vaebook-framework";
  var FRAMEWORKS = [
    { id: "pytorch", label: "PyTorch" },
    { id: "tensorflow", label: "TensorFlow" },
  ];
  var IDS = FRAMEWORKS.map(function (f) { return f.id; });
  var root = document.documentElement;

  function valid(value) {
    return IDS.indexOf(value) >= 0 ? value : null;
  }

  function stored() {
    try { return valid(window.localStorage.getItem(KEY)); } catch (e) { return null; }
  }

  function store(value) {
    try { window.localStorage.setItem(KEY, value); } catch (e) { /* private mode: page only */ }
  }

  function fromQuery() {
    try { return valid(new URLSearchParams(window.location.search).get("framework")); }
    catch (e) { return null; }
  }

  var current = fromQuery() || stored() || IDS[0];
  if (fromQuery()) { store(current); }
  // Set before the body is parsed, so the stylesheet can hide the other cell of each
  // pair from the first paint (no jump when the tabs are built a moment later).
  root.classList.add("vaebook-js");
  root.setAttribute("data-vaebook-framework", current);

  var blocks = [];
  var counter = 0;
  var SD_STORAGE_PREFIX = "sphinx-design-tab-id-";
  var ALIASES = { pytorch: "pytorch", torch: "pytorch", pt: "pytorch",
                  tensorflow: "tensorflow", tf: "tensorflow", keras: "tensorflow" };

  // The framework a sphinx-design tab label stands for (by its sync id, else its text).
  function sdFramework(label) {
    if (!label || !label.classList || !label.classList.contains("sd-tab-label")) { return null; }
    var id = (label.getAttribute("data-sync-id") || "").toLowerCase();
    var text = (label.textContent || "").trim().toLowerCase();
    return ALIASES[id] || ALIASES[text] || null;
  }

  function sdInput(label) {
    var forId = label.getAttribute("for");
    var el = forId ? document.getElementById(forId) : label.previousElementSibling;
    return el && el.tagName === "INPUT" ? el : null;
  }

  function syncDesignTabs(framework) {
    var labels = document.querySelectorAll(".sd-tab-label");
    Array.prototype.forEach.call(labels, function (label) {
      if (sdFramework(label) !== framework) { return; }
      var input = sdInput(label);
      // Setting `checked` fires no `change` event: no loop with sphinx-design's own sync.
      if (input && !input.checked) { input.checked = true; }
      var group = label.getAttribute("data-sync-group");
      var id = label.getAttribute("data-sync-id");
      if (group && id) {
        try { window.localStorage.setItem(SD_STORAGE_PREFIX + group, id); } catch (e) { /* ignore */ }
      }
    });
  }

  function select(framework, options) {
    framework = valid(framework);
    if (!framework) { return; }
    options = options || {};
    var anchor = options.keepInView;
    var before = anchor ? anchor.getBoundingClientRect().top : 0;
    current = framework;
    root.setAttribute("data-vaebook-framework", framework);
    blocks.forEach(function (block) { block.show(framework); });
    syncDesignTabs(framework);
    if (options.remember) { store(framework); }
    if (anchor) {
      // Blocks above the clicked one change height: keep the clicked tab where it was.
      var shift = anchor.getBoundingClientRect().top - before;
      if (Math.abs(shift) > 1) { window.scrollBy(0, shift); }
    }
  }

  function makeBlock(cells) {
    var n = ++counter;
    var wrapper = document.createElement("div");
    wrapper.className = "vaebook-tabs";
    var list = document.createElement("div");
    list.className = "vaebook-tablist";
    list.setAttribute("role", "tablist");
    list.setAttribute("aria-label", "Framework");
    cells[0].parentNode.insertBefore(wrapper, cells[0]);
    wrapper.appendChild(list);

    var buttons = FRAMEWORKS.map(function (fw, i) {
      var cell = cells[i];
      var button = document.createElement("button");
      button.type = "button";
      button.className = "vaebook-tab vaebook-tab-" + fw.id;
      button.id = "vaebook-tab-" + n + "-" + fw.id;
      button.textContent = fw.label;
      button.setAttribute("role", "tab");
      button.setAttribute("data-framework", fw.id);
      if (!cell.id) { cell.id = "vaebook-panel-" + n + "-" + fw.id; }
      button.setAttribute("aria-controls", cell.id);
      cell.classList.add("vaebook-tab-panel");
      cell.setAttribute("role", "tabpanel");
      cell.setAttribute("aria-labelledby", button.id);
      list.appendChild(button);
      wrapper.appendChild(cell);
      button.addEventListener("click", function () {
        select(fw.id, { remember: true, keepInView: button });
      });
      return button;
    });

    list.addEventListener("keydown", function (event) {
      var i = buttons.indexOf(document.activeElement);
      if (i < 0) { return; }
      var next = null;
      if (event.key === "ArrowRight" || event.key === "ArrowDown") { next = (i + 1) % buttons.length; }
      else if (event.key === "ArrowLeft" || event.key === "ArrowUp") { next = (i - 1 + buttons.length) % buttons.length; }
      else if (event.key === "Home") { next = 0; }
      else if (event.key === "End") { next = buttons.length - 1; }
      if (next === null) { return; }
      event.preventDefault();
      select(FRAMEWORKS[next].id, { remember: true, keepInView: buttons[next] });
      buttons[next].focus();
    });

    return {
      show: function (framework) {
        FRAMEWORKS.forEach(function (fw, i) {
          var on = fw.id === framework;
          buttons[i].setAttribute("aria-selected", on ? "true" : "false");
          buttons[i].tabIndex = on ? 0 : -1;
          buttons[i].classList.toggle("is-active", on);
          if (on) { cells[i].removeAttribute("hidden"); } else { cells[i].setAttribute("hidden", ""); }
        });
        wrapper.setAttribute("data-framework", framework);
      },
    };
  }

  function isCell(el, tag) {
    return el && el.classList && el.classList.contains("cell") && el.classList.contains("tag_" + tag);
  }

  function build() {
    try {
      var cells = document.querySelectorAll("div.cell.tag_pytorch");
      Array.prototype.forEach.call(cells, function (torchCell) {
        var tfCell = torchCell.nextElementSibling;
        if (isCell(tfCell, "tensorflow") && !isCell(torchCell, "tensorflow")) {
          blocks.push(makeBlock([torchCell, tfCell]));
        }
      });
      select(current);
      root.classList.add("vaebook-tabs-ready");
    } catch (err) {
      // Never leave a reader with half the code hidden: fall back to showing both.
      root.classList.remove("vaebook-js");
      Array.prototype.forEach.call(document.querySelectorAll(".vaebook-tab-panel[hidden]"),
        function (cell) { cell.removeAttribute("hidden"); });
      if (window.console) { window.console.error("vaebook framework tabs:", err); }
    }
  }

  // A framework chosen in a sphinx-design tab-set (a solution, say) switches everything.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input || input.tagName !== "INPUT" || !input.checked) { return; }
    var framework = sdFramework(input.nextElementSibling);
    if (framework && framework !== current) {
      select(framework, { remember: true, keepInView: input.nextElementSibling });
    }
  });

  // Another open tab of the book changed the choice: follow it.
  window.addEventListener("storage", function (event) {
    if (event.key === KEY && valid(event.newValue)) { select(event.newValue); }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", build);
  } else {
    build();
  }
})();
