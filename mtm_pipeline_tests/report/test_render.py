"""Look at the report as a reader would: PDF pages rendered by pdftoppm, the HTML in headless Chromium."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from mtm_pipeline_tests.report.test_build import q1_inputs
from mtm_pipeline_tests.ui.browser import SKIP_REASON, chromium_page, chromium_path


@pytest.fixture(scope="module")
def q1_report(tmp_path_factory):
    from mtm_pipeline.report.build import build_quarterly_report

    return build_quarterly_report(q1_inputs(), tmp_path_factory.mktemp("render") / "reports" / "2024-Q1")


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_every_pdf_page_renders_with_pdftoppm(q1_report, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm not installed: apt-get install poppler-utils")
    info = subprocess.run(["pdfinfo", str(q1_report.pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(q1_report.pdf), str(tmp_path / "page")], check=True)
    rendered = sorted(tmp_path.glob("page-*.png"))
    assert pages >= 10 and len(rendered) == pages
    for png in rendered:
        width, height = _png_size(png.read_bytes())
        assert height > width  # A4 portrait
    text = subprocess.run(
        ["pdftotext", str(q1_report.pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for phrase in ("2,975,788", "Migration Inflow", "Table 1", "Annex A"):
        assert phrase in text, phrase


def test_html_report_opens_offline_in_headless_chromium(q1_report, tmp_path):
    executable = chromium_path()
    if executable is None:
        pytest.skip(SKIP_REASON)
    pytest.importorskip("playwright.sync_api", reason="playwright not installed: pip install -e '.[dev]'")
    requests = []
    with chromium_page(executable, width=1200, height=1600) as page:
        page.on("request", lambda request: requests.append(request.url))
        page.goto(q1_report.html.as_uri())
        page.wait_for_load_state("load")
        images = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth])")
        heading = page.inner_text("h1")
        body = page.inner_text("body")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=False)
    assert images and all(complete and width > 0 for complete, width in images), images
    assert "Kazakhstan" in heading
    assert "2,975,788" in body and "Annex A" in body
    assert [url for url in requests if not url.startswith(("file:", "data:"))] == []
    assert _png_size((tmp_path / "report.png").read_bytes()) == (1200, 1600)
