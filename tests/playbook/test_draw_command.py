"""`opsdesk playbook draw FILE`: Mermaid or SVG to stdout or a file; problems and
missing files exit non-zero."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from opsdesk.playbook.diagram import mermaid, svg
from opsdesk.playbook.loader import load
from tests.playbook.test_diagram import SMALL


@pytest.fixture
def small_file(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def draw(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("playbook", "draw", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_mermaid_to_stdout_by_default(small_file: Path) -> None:
    out, err = draw(str(small_file))
    assert out == mermaid(load(SMALL))
    assert err == ""


def test_svg_to_stdout(small_file: Path) -> None:
    out, _ = draw(str(small_file), "--format", "svg")
    assert out == svg(load(SMALL))
    ET.fromstring(out)


def test_output_file(small_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "small.svg"
    out, _ = draw(str(small_file), "--format", "svg", "--output", str(target))
    assert target.read_text(encoding="utf-8") == svg(load(SMALL))
    assert out == f"{small_file}: svg written to {target}\n"


def test_a_file_with_problems_lists_them_and_fails(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(
        SMALL.replace(
            "      - to: working\n        on: manual", "      - to: nowhere\n        on: manual"
        )
    )
    target = tmp_path / "out.mmd"
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="fix the problems before drawing"):
        call_command("playbook", "draw", str(path), "--output", str(target), stdout=out, stderr=err)
    lines = err.getvalue().splitlines()
    assert lines[0] == f"{path}: 1 problem(s)"
    assert lines[1].startswith("  states.new.transitions[0].to (line ")
    assert "nowhere" in lines[1]
    assert out.getvalue() == ""
    assert not target.exists()


def test_a_missing_file_fails_with_a_clear_message(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(CommandError, match=rf"^{missing}: No such file or directory$"):
        draw(str(missing))


def test_an_unknown_format_is_refused(small_file: Path) -> None:
    with pytest.raises(CommandError, match="invalid choice: 'png'"):
        draw(str(small_file), "--format", "png")
