"""What a terminal would show of a cell's printed output: shared by the executor and the build.

A tqdm progress bar redraws its line with carriage returns, and the kernel sends what a
loop prints in many messages. Jupyter shows the final state of each line in one box;
these helpers make an executed notebook's outputs read the same way.
"""

from __future__ import annotations

import re

# A tqdm progress bar's line: "desc:  40%|████      | 12/30 [00:03<00:04, 4.1it/s]".
_BAR = re.compile(r"\d+%\|[^|\n]*\|\s*\d+/\d+ \[")


def settle(text: str) -> str:
    """Each line's last carriage-return redraw, as a terminal leaves it."""
    return "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in text.split("\n"))


def _join(before: str, after: str) -> str:
    """Two adjacent outputs of one stream, joined as a terminal shows them.

    A redrawn progress bar whose carriage return was already dropped (one state per
    output) still overwrites its line: the join puts the return back.
    """
    unfinished = before.rsplit("\n", 1)[-1]
    if unfinished and _BAR.search(unfinished) and _BAR.search(after.split("\n", 1)[0]):
        return before + "\r" + after
    return before + after


def merge_streams(nb) -> bool:
    """Join adjacent outputs of one stream and settle redrawn lines, in place.

    Unlike myst-nb's ``nb_merge_streams``, text printed after a figure stays after it.
    Returns whether anything changed.
    """
    changed = False
    for cell in nb.cells:
        merged = []
        for out in cell.get("outputs", []):
            last = merged[-1] if merged else None
            if (out.get("output_type") == "stream" and last is not None
                    and last.get("output_type") == "stream" and last.get("name") == out.get("name")):
                last["text"] = _join(last["text"], out["text"])
                changed = True
            else:
                merged.append(out)
        for out in merged:
            if out.get("output_type") == "stream" and "\r" in out["text"]:
                out["text"] = settle(out["text"])
                changed = True
        if "outputs" in cell:
            cell["outputs"] = merged
    return changed
