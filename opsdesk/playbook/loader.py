"""Parse a playbook YAML document into a checked `Playbook`, or every problem in it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from opsdesk.playbook.model import Playbook


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. YAML 1.1 reads `on:` as True, and
    `on` is the natural key for "the event a transition waits for"."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


@dataclass(frozen=True)
class Problem:
    path: str  # e.g. "states.onboarding.on_enter[1].send"
    message: str
    line: int | None = None
    # A warning is listed by `check` but does not stop the playbook from loading.
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.path or '<document>'}"
        if self.line is not None:
            where += f" (line {self.line})"
        return f"{where}: {'warning: ' if self.warning else ''}{self.message}"


class PlaybookError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def format_path(parts: tuple[Any, ...] | list[Any]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _line_of(root: yaml.Node | None, parts: tuple[Any, ...]) -> int | None:
    """Walk the composed YAML tree along `parts`; the deepest node found gives the line."""
    node, line = root, None
    for part in parts:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if part < len(node.value) else None
        else:
            node = None
    if node is not None:
        line = node.start_mark.line + 1
    return line


def _pydantic_problems(exc: ValidationError, root: yaml.Node | None) -> list[Problem]:
    problems = []
    for err in exc.errors():
        # Tagged unions add the tag as a path part; drop it so paths match the YAML.
        parts = tuple(
            p
            for p in err["loc"]
            if not (isinstance(p, str) and p.startswith(("function-", "tagged-union")))
        )
        problems.append(Problem(format_path(parts), err["msg"], _line_of(root, parts)))
    return problems


def parse(text: str) -> tuple[Playbook | None, list[Problem]]:
    """Parse and validate the types; semantic checks are in `checks.check`."""
    try:
        root = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        return None, [Problem("", f"not valid YAML: {getattr(exc, 'problem', exc)}", line)]
    if not isinstance(data, dict):
        return None, [Problem("", "a playbook is a mapping (key: value) at the top level", 1)]
    try:
        return Playbook.model_validate(data), []
    except ValidationError as exc:
        return None, _pydantic_problems(exc, root)


def line_index(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return None


def _check(text: str) -> tuple[Playbook | None, list[Problem]]:
    """The playbook (None when it does not parse) and every problem, warnings included."""
    from opsdesk.playbook.checks import check

    playbook, problems = parse(text)
    if playbook is not None:
        problems = with_lines(text, check(playbook))
    return playbook, problems


def with_lines(text: str, problems: list[Problem]) -> list[Problem]:
    """The problems with the line of their path in `text`."""
    root = line_index(text)
    return [Problem(p.path, p.message, _line_of(root, _split(p.path)), p.warning) for p in problems]


def load(text: str) -> Playbook:
    """The checked playbook, or PlaybookError listing every problem (warnings do not stop it)."""
    playbook, problems = _check(text)
    errors = [p for p in problems if not p.warning]
    if errors:
        raise PlaybookError(errors)
    assert playbook is not None
    return playbook


def load_file(path: str | Path) -> Playbook:
    return load(Path(path).read_text(encoding="utf-8"))


def problems_in(text: str) -> list[Problem]:
    """Every problem in the document, warnings included."""
    return _check(text)[1]


def _split(path: str) -> tuple[Any, ...]:
    parts: list[Any] = []
    for chunk in path.split("."):
        name, *indexes = chunk.split("[")
        if name:
            parts.append(name)
        parts.extend(int(i.rstrip("]")) for i in indexes)
    return tuple(parts)
