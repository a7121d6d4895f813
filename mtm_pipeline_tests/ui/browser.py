"""Headless Chromium (the OS package, not a Playwright download) driven by Playwright.

`playwright install` cannot download browsers here: Playwright is pointed at Debian's chromium.
On a closed network Chromium hangs at start without these flags; every launch gets a fresh profile.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SKIP_REASON = "chromium not installed: apt-get install chromium"


def chromium_path() -> str | None:
    for candidate in (shutil.which("chromium"), "/usr/bin/chromium", shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def chromium_version(path: str) -> str:
    try:
        out = subprocess.run(
            [path, "--version"], check=False, capture_output=True, text=True, timeout=30
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown version"
    return out.strip().splitlines()[-1] if out.strip() else "unknown version"


@contextmanager
def chromium_page(executable: str, width: int = 1440, height: int = 900) -> Iterator:
    """A Playwright page in headless Chromium with a fresh user-data dir (removed afterwards)."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="mtm-chromium-")
    try:
        with sync_playwright() as playwright:
            # launch_persistent_context is how Playwright takes an explicit --user-data-dir
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=executable,
                args=CHROMIUM_FLAGS,
                headless=True,
                timeout=60_000,
                viewport={"width": width, "height": height},
            )
            try:
                page = context.pages[0] if context.pages else context.new_page()
                page.set_default_timeout(60_000)
                yield page
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def save_screenshot(page, path: Path) -> Path:
    """A screenshot of the page as a small PNG (128-colour palette: about a third of the bytes).

    The PNGs are committed (docs/ui-screenshots/); a UI has few colours, so the palette loses nothing
    visible. Without Pillow (a matplotlib dependency) the full-colour PNG is kept.
    """
    import io

    raw = page.screenshot()
    try:
        from PIL import Image
    except ImportError:
        path.write_bytes(raw)
        return path
    image = Image.open(io.BytesIO(raw)).convert("RGB")
    palette = image.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    palette.save(path, optimize=True)
    return path
