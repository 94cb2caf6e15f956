"""Progress bars for the training loops: a widget on Colab and Jupyter, text elsewhere.

When a notebook is executed for the book (papermill sets ``VAEBOOK_PROGRESS=text``),
a widget would be saved as its frozen "0%" placeholder, so the bar is drawn as text
on stdout instead; the build keeps only its final state, as a terminal would.
"""

from __future__ import annotations

import os
import sys


def progress_bar(iterable, desc: str, disable: bool = False):
    """``tqdm`` over ``iterable``: ``tqdm.auto`` normally, plain text when executed for the book."""
    if os.environ.get("VAEBOOK_PROGRESS") == "text":
        from tqdm.std import tqdm

        return tqdm(iterable, desc=desc, disable=disable, file=sys.stdout, ascii=False,
                    ncols=80, mininterval=0.5)
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, disable=disable)
