"""HTML reports (opsdesk.sim.report) and `opsdesk simulate --html / --compare`."""

from __future__ import annotations

import io
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from opsdesk.sim.compare import compare
from opsdesk.sim.report import html_comparison, html_report
from opsdesk.sim.runner import simulate
from tests.sim.test_compare import HALF_HOUR_SLA, HOUR_SLA, TIMED_YAML, scenario

VOID = {"meta", "br", "img", "hr", "input", "link"}
# SVG elements written self-closing (<rect .../>) are start-end tags to the parser.


class Checker(HTMLParser):
    """Collects tags, text and errors: every opened element must close, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with {self.stack[-3:]} open")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> Checker:
    checker = Checker()
    checker.feed(page)
    checker.close()
    assert checker.errors == []
    assert checker.stack == []
    return checker


def test_a_report_is_well_formed_self_contained_and_escaped() -> None:
    result = simulate(HOUR_SLA, scenario())
    assert len(result.queue_hourly) == 48
    result.utilisation["<script>alert(1)</script>"] = 0.5  # a hostile label
    page = html_report(result, "Week <b>one</b> & <script>x()</script>")
    checker = parse(page)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Week &lt;b&gt;one&lt;/b&gt; &amp; &lt;script&gt;x()&lt;/script&gt;" in page
    assert "script" not in checker.tags
    assert "Week <b>one</b> & <script>x()</script>" in "".join(checker.text)
    assert {"svg", "rect", "polyline"} <= set(checker.tags)
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "SLA attainment" in page and "done" in page


def test_a_comparison_report_is_well_formed() -> None:
    comparison = compare(HOUR_SLA, HALF_HOUR_SLA, scenario(), runs=3)
    page = html_comparison(comparison, "A <script> vs B")
    checker = parse(page)
    assert "<script" not in page.lower()
    assert "A &lt;script&gt; vs B" in page
    assert "sla.done.attainment" in "".join(checker.text)
    assert 'class="sig"' in page


def write(tmp_path: Path, minutes: int) -> Path:
    path = tmp_path / f"sla-{minutes}.yaml"
    path.write_text(TIMED_YAML.format(minutes=minutes), encoding="utf-8")
    return path


def write_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(
        "days: 2\nstart: 2026-11-02T09:00:00+03:00\nseed: 5\narrivals: {per_hour: 3}\n"
        "agents: [{team: null, count: 2}]\nhandling: {default: 25}\n",
        encoding="utf-8",
    )
    return path


def test_the_command_writes_html_and_prints_the_comparison(tmp_path: Path) -> None:
    a, b, sc = write(tmp_path, 60), write(tmp_path, 30), write_scenario(tmp_path)
    out_html = tmp_path / "cmp.html"
    out = io.StringIO()
    call_command(
        "simulate", str(a), scenario=str(sc), compare=str(b), runs=4, html=str(out_html), stdout=out
    )
    text = out.getvalue()
    assert "4 paired run(s), seeds 5..8" in text
    line = next(x for x in text.splitlines() if x.startswith("sla.done.attainment"))
    assert line.endswith("*")
    page = out_html.read_text(encoding="utf-8")
    parse(page)
    assert "sla-60.yaml vs" in page

    out = io.StringIO()
    call_command(
        "simulate", str(a), scenario=str(sc), compare=str(b), runs=2, json=True, stdout=out
    )
    data = json.loads(out.getvalue())
    assert data["runs"] == 2 and data["metrics"]["cases.closed"]["diff"] == 0


def test_the_command_writes_a_single_run_report(tmp_path: Path) -> None:
    a, sc = write(tmp_path, 60), write_scenario(tmp_path)
    out_html = tmp_path / "run.html"
    out = io.StringIO()
    call_command("simulate", str(a), scenario=str(sc), html=str(out_html), stdout=out)
    assert "SLA done:" in out.getvalue()
    page = out_html.read_text(encoding="utf-8")
    parse(page)
    assert "<title>Simulation of" in page


def test_the_command_refuses_zero_runs(tmp_path: Path) -> None:
    a, sc = write(tmp_path, 60), write_scenario(tmp_path)
    with pytest.raises(CommandError, match="--runs"):
        call_command("simulate", str(a), scenario=str(sc), compare=str(a), runs=0)


def test_reports_chart_the_milestones() -> None:
    from tests.sim.test_runner import SERVICE_ORDER, service_order_scenario

    sc = service_order_scenario(
        channels={"WHATSAPP": {"reply_probability": 1, "mean_delay_minutes": 20}},
        intents={"confirm": 1},
    )
    result = simulate(SERVICE_ORDER, sc)
    confirmed = result.milestones["confirmed"]
    text = "".join(parse(html_report(result, "orders")).text)
    charts = text.split("Milestones (cases that reached each)", 1)[1].split("Summary", 1)[0]
    assert f"confirmed{confirmed}" in charts
    comparison = compare(SERVICE_ORDER, SERVICE_ORDER, sc, runs=2)
    text = "".join(parse(html_comparison(comparison)).text)
    assert "Milestones (mean cases per run)" in text
    assert "confirmed (A)" in text and "confirmed (B)" in text
