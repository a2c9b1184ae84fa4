"""The HTML and Markdown reports: what they show, that they escape everything, and (in a real headless
Chromium, Debian's package at /usr/bin/chromium, which `.ci/run` installs) that the page reads as it should
and loads nothing from outside. Screenshots of three SSc example patients' reports are written to
``artifacts/reports/`` (or ``$ELIG_ARTIFACTS/reports/``) for people to look at."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from eligibility_dsl import compile_file, compile_source
from eligibility_dsl.explain.canonical import load_strict
from eligibility_dsl.explain.html import record_html, show
from eligibility_dsl.explain.markdown import md, record_markdown
from eligibility_dsl.explain.record import RecordBuilder

ROOT = Path(__file__).parent.parent
SSC = ROOT / "trials" / "ssc_telitacicept.elig"
ANCHORS = {"screening": "2025-09-11", "first_dose": "2025-09-25"}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
REPORTED = ("example", "ineligible_two_reasons", "indeterminate_missing_fvc")
ARTIFACTS = Path(os.environ.get("ELIG_ARTIFACTS") or ROOT / "artifacts") / "reports"


@pytest.fixture(scope="module")
def ssc():
    trial = compile_file(SSC)
    return trial, RecordBuilder(trial.checked)


def record_of(ssc, name: str) -> dict:
    trial, builder = ssc
    raw = load_strict((ROOT / "trials" / "patients" / f"{name}.json").read_text("utf-8"))
    return builder.build(trial.evaluate(raw, ANCHORS), raw, view="fails",
                         metadata={"evaluated_at": "2025-09-11T09:30:00+00:00"})


HOSTILE = compile_source('''trial NCT00000666 "<b>Bold</b> & <script>alert('title')</script>"
anchor screening
fact x: boolean "<img src=x onerror=alert(1)>"
include I1 "Adults <18> & *all* | `ticks` </blockquote><script>alert(1)</script>": x
''', "hostile.elig")


def test_everything_from_the_criteria_and_the_record_is_escaped():
    raw = {"id": "<script>alert('id')</script>", "facts": {"x": None}}
    record = RecordBuilder(HOSTILE.checked).build(HOSTILE.evaluate(raw, {"screening": "2025-09-11"}), raw,
                                                  view="full")
    html = record_html(record)
    assert "<script" not in html and "onerror=" not in html.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;Bold&lt;/b&gt; &amp;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # the fact's description, in the worklist
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing to fetch
    markdown = record_markdown(record)
    assert "Adults &lt;18\\> &amp; \\*all\\* \\| \\`ticks\\`" in markdown and "<script" not in markdown


def test_markdown_escapes_table_cells_and_emphasis():
    assert md("a|b *c* _d_ [e](f) <g> & `h`") == "a\\|b \\*c\\* \\_d\\_ \\[e\\](f) &lt;g\\> &amp; \\`h\\`"


def test_values_read_as_the_language_writes_them():
    assert show({"value": "48", "unit": "%"}) == "48 %"
    assert show({"at_least": "11", "at_most": "14"}) == "between 11 and 14"
    assert show(True) == "true" and show(None) == "unknown"
    assert show({"system": "LOINC", "code": "8061-4", "display": "ANA"}) == "LOINC 8061-4 (ANA)"


def test_the_report_shows_criteria_evidence_timeline_and_hashes(ssc):
    record = record_of(ssc, "ineligible_two_reasons")
    html = record_html(record)
    c = record["content"]
    assert '<div class="outcome INELIGIBLE">INELIGIBLE</div>' in html
    for criterion in c["criteria"]:
        assert f'id="criterion-{criterion["id"]}"' in html
    assert "B cell-targeted therapies such as rituximab" in html  # protocol text
    assert '<span class="ev-id">m3</span>' in html  # evidence by event id
    assert "<svg" in html and html.count('class="band') == sum(len(x.get("evidence", [])) for x in c["criteria"])
    assert record["id"] in html and c["criteria_files"][1]["sha256"] in html and c["record"]["sha256"] in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html


def test_the_markdown_report_has_the_same_parts(ssc):
    record = record_of(ssc, "indeterminate_missing_fvc")
    text = record_markdown(record)
    assert text.startswith("# INDETERMINATE: NCT06546540 v1.0")
    assert "## To decide this patient, find" in text and "FVC, percent of predicted measured between" in text
    assert "| I3 | include | UNKNOWN |" in text and record["id"] in text


# ------------------------------------------------------------------ in a real browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "the browser tests need Debian's chromium: apt-get install -y chromium"
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1100, "height": 900})
        yield context
        context.close()


@pytest.mark.parametrize("name", REPORTED)
def test_the_report_in_headless_chromium(ssc, browser, tmp_path, name):
    record = record_of(ssc, name)
    page_file = tmp_path / f"{name}.html"
    page_file.write_text(record_html(record), "utf-8")
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(page_file.as_uri())
    page.wait_for_load_state("networkidle")
    assert requested == [page_file.as_uri()], f"the report loaded more than itself: {requested}"
    text = page.inner_text("body")
    c = record["content"]
    assert text.startswith(c["outcome"])
    assert "NCT06546540" in text and c["record"]["id"] in text and re.search(r"screening\s+2025-09-11", text)
    for criterion in c["criteria"]:
        assert criterion["text"] in text and criterion["status"] in text
    assert record["id"] in text and f"sha256:{c['criteria_sha256']}" in text
    assert page.locator("svg rect.band").count() > 10 and page.locator("svg line").count() >= 2
    # the timeline fits the page: no horizontal scrolling
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    (ARTIFACTS / f"{name}.json").write_text(json.dumps(record, indent=2, ensure_ascii=False), "utf-8")
    page.close()
