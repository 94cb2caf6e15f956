"""Make sure Debian's Chromium is at ``/usr/bin/chromium`` for the browser tests.

Playwright's own browser download cannot work here (no network beyond package
registries), so the tests drive the distribution's Chromium instead. When it is
missing this installs it with apt (through sudo when not root) and fails with a
clear message when that is not possible.

    python tools/ensure_chromium.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")


def _apt_prefix() -> list[str] | None:
    """How to call apt-get with root rights, or None when we cannot."""
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(
        ["sudo", "-n", "true"], capture_output=True
    ).returncode == 0:
        return ["sudo", "-n"]
    return None


def ensure() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    if not shutil.which("apt-get"):
        raise SystemExit(
            f"{CHROMIUM} is missing and there is no apt-get to install it: "
            "install Chromium from your distribution and link it there."
        )
    prefix = _apt_prefix()
    if prefix is None:
        raise SystemExit(
            f"{CHROMIUM} is missing and installing it needs root: run\n"
            "    sudo apt-get update && sudo apt-get install -y chromium\n"
            "and then the browser tests again."
        )
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print("installing Debian's chromium with apt-get (once) ...", flush=True)
    for cmd in (["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"]):
        result = subprocess.run(prefix + cmd, env=env)
        if result.returncode != 0:
            raise SystemExit(f"`{' '.join(prefix + cmd)}` failed (exit {result.returncode}); "
                             f"the browser tests need {CHROMIUM}.")
    if not CHROMIUM.exists():
        raise SystemExit(f"apt-get installed chromium but {CHROMIUM} is still missing.")
    return CHROMIUM


def main() -> int:
    path = ensure()
    version = subprocess.run([str(path), "--version"], capture_output=True, text=True)
    print(f"chromium: {path} ({(version.stdout or version.stderr).strip()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
