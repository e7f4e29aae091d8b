"""Everything customers send is shown inert, on every page (issue 9).

The security world with hostile customer data (tests/security/hostile.py): names,
phone and email as typed, the service order's address, notes and reference, inbound
WhatsApp/SMS/email bodies, a note, the feedback comment and testimonial, a
document's type and file name, a task title and the case's text fields all carry
`<script>`, attribute-breaking `"><img onerror>`, `javascript:` URLs and template
syntax (`{{ 7*7 }}`, `{% raw %}`).

Every GET route of the authorization matrix is requested as every persona the
matrix lets in (with and without `HX-Request`, which some views answer with a
fragment), with the world's ids as the matrix fills them. PDFs and ZIPs are left
out. The answer must not be a server error, and:

- HTML: parsed with html.parser, it has no inline script, no script from outside
  /static/, no `on*` attribute, no `javascript:` URL and no `<img src=x>`; the raw
  payload markup never appears; `[[{{ 7*7 }}]]` never became `[[49]]`;
- JSON: valid JSON, served as application/json;
- CSV: parses as CSV.

`test_forms_show_what_was_typed_inert` posts every form of those pages back with
every field a person types filled with the payload: the answers that show it next
to an error must be inert too.

`test_every_hostile_value_reaches_a_page` makes sure the check is not vacuous: each
hostile value is shown (escaped) on at least one page.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any

import pytest
from django.http import HttpResponse

from tests.security.harness import (
    ALLOW,
    PERSONAS,
    Request,
    client_for,
    fill,
    perform,
    values_for,
)
from tests.security.hostile import (
    HOSTILE_EMAIL,
    HOSTILE_PHONE,
    IMG,
    SCRIPT,
    SSTI,
    SSTI_RENDERED,
    Hostile,
    make_hostile,
    payload,
)
from tests.security.matrix import MATRIX
from tests.security.world import NOW, World

# Attributes a browser follows as a URL (a `javascript:` value there runs).
URL_ATTRS = frozenset({"href", "src", "action", "formaction", "xlink:href", "hx-get", "hx-post"})
# Files, not pages: their escaping is not HTML's (tests/security/test_id_guessing.py
# covers who gets them).
BINARY_TYPES = ("application/pdf", "application/zip")
HTMX = {"HTTP_HX_REQUEST": "true"}
# Framework pages that bring their own scripts and show no customer data: there the
# check is only that no hostile value appears at all.
OWN_SCRIPTS = {
    "api/v1/docs": "django-ninja's Swagger UI (inline and CDN scripts, which our CSP blocks)",
}


@pytest.fixture(scope="module")
def hostile(world: World, django_db_blocker: Any) -> Hostile:
    """The hostile values, written once into the module's world (rolled back with it)."""
    from opsdesk.common import clock

    clock.set_now(NOW)
    with django_db_blocker.unblock():
        return make_hostile(world)


@pytest.fixture
def hw(hostile: Hostile, w: World) -> Iterator[World]:
    yield w


class _Inert(HTMLParser):
    """Collects everything in a page that a browser would run."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>: an event handler")
            # Browsers drop whitespace and control characters before the scheme.
            scheme = "".join(value.split()).lower()
            if name in URL_ATTRS and scheme.startswith(("javascript:", "vbscript:", "data:text")):
                self.problems.append(f"<{tag} {name}={value!r}>: a script URL")
        if tag == "script":
            self._in_script = True
            if not values.get("src", "").startswith("/static/"):
                self.problems.append(f"<script {values}>: not one of our static scripts")
        if tag == "img" and values.get("src") == "x":
            self.problems.append(f"<img {values}>: the payload's image")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._in_script = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"inline script {data.strip()[:80]!r}")


def html_problems(html: str) -> list[str]:
    """What in this page would run, or shows a template evaluated customer text."""
    parser = _Inert()
    parser.feed(html)
    parser.close()
    problems = list(parser.problems)
    for raw in (SCRIPT, IMG, "<img src=x"):
        if raw in html:
            problems.append(f"unescaped {raw!r}")
    if SSTI_RENDERED in html:
        problems.append(f"{SSTI!r} was rendered as a template")
    return problems


def _body(response: HttpResponse) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content


def answer_problems(response: HttpResponse, pattern: str = "") -> list[str]:
    """Why this answer is not inert (empty when it is)."""
    if response.status_code == 500:  # (a 503 is /readyz's own answer)
        return [f"HTTP {response.status_code}"]
    content_type = response.get("Content-Type", "").split(";")[0].strip()
    if content_type in BINARY_TYPES:
        return []
    body = _body(response)
    text = body.decode("utf-8")
    if pattern in OWN_SCRIPTS:
        return ["shows a hostile value"] if "XSS" in text else []
    if content_type == "text/html":
        return html_problems(text)
    if content_type == "application/json":
        try:
            json.loads(text)
        except ValueError as exc:
            return [f"not JSON: {exc}"]
        return [f"{SSTI!r} was rendered as a template"] if SSTI_RENDERED in text else []
    if content_type == "text/csv":
        list(csv.reader(io.StringIO(text)))  # raises on a broken file
        return [f"{SSTI!r} was rendered as a template"] if SSTI_RENDERED in text else []
    if body and response.status_code < 300:
        # Anything else shown to a browser must not be sniffed as a page.
        assert response.get("X-Content-Type-Options") == "nosniff", content_type
    return [f"{SSTI!r} was rendered as a template"] if SSTI_RENDERED in text else []


GETS = [
    pytest.param(pattern, persona, id=f"/{pattern} as {persona}")
    for (method, pattern), row in sorted(MATRIX.items())
    if method == "GET"
    for persona, code in zip(PERSONAS, row.expect, strict=True)
    if code == ALLOW
]


def _get(pattern: str, persona: str, w: World, **extra: str) -> tuple[str, HttpResponse]:
    from tests.security.test_authz_matrix import _filled

    values = values_for(persona, w)
    path = fill(pattern, values) + _filled(MATRIX[("GET", pattern)].query, values)
    client, headers = client_for(persona, w)
    return path, perform(client, {**headers, **extra}, Request("GET", path, None, False))


@pytest.mark.parametrize(("pattern", "persona"), GETS)
def test_page_shows_hostile_values_inert(pattern: str, persona: str, hw: World) -> None:
    for extra in ({}, HTMX):
        path, response = _get(pattern, persona, hw, **extra)
        problems = answer_problems(response, pattern)
        how = " (HX-Request)" if extra else ""
        assert not problems, f"GET {path}{how} as {persona}:\n  " + "\n  ".join(problems)


class _Forms(HTMLParser):
    """The POST forms of a page: (action, {field: the page's value for a hidden field,
    None for one a person fills in})."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, dict[str, str | None]]] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._open = values.get("method", "get").lower() == "post"
            if self._open:
                self.forms.append((values.get("action", ""), {}))
        elif self._open and tag in ("input", "textarea", "select") and values.get("name"):
            kind = values.get("type", "text")
            if kind in ("file", "submit") or values["name"] == "csrfmiddlewaretoken":
                return
            self.forms[-1][1][values["name"]] = values.get("value") if kind == "hidden" else None

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = False


def forms_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


PAGES = [
    pytest.param(pattern, persona, id=f"/{pattern} as {persona}")
    for (method, pattern), row in sorted(MATRIX.items())
    if method == "GET"
    for persona in ("admin", "technician", "customer")
    if row.expect[PERSONAS.index(persona)] == ALLOW
    and (persona != "technician" or pattern.startswith("my-day/"))
    and (persona == "customer") == pattern.startswith("c/")
]


@pytest.mark.parametrize(("pattern", "persona"), PAGES)
def test_forms_show_what_was_typed_inert(pattern: str, persona: str, hw: World) -> None:
    """Every form on the page, posted back with every field hostile (as a person
    pastes what a customer wrote): the answer, which shows what was typed next to
    the error, is inert."""
    path, page = _get(pattern, persona, hw)
    if not page.get("Content-Type", "").startswith("text/html"):
        return
    client, headers = client_for(persona, hw)
    for action, fields in forms_of(page.content.decode()):
        if action.rstrip("/").endswith("logout"):
            continue  # signing out would end the session for the next forms
        target = action or path
        data = {k: payload("XSSform") if v is None else v for k, v in fields.items()}
        for extra in ({}, HTMX):
            response = client.post(target, data, **headers, **extra)
            problems = answer_problems(response)
            where = f"POST {target} (a form on {path}) as {persona}"
            assert not problems, f"{where}:\n  " + "\n  ".join(problems)


def test_every_hostile_value_reaches_a_page(hostile: Hostile, hw: World) -> None:
    """Not vacuous: every hostile value is on some page or API answer, escaped in the
    pages (the marker followed by `&lt;script&gt;` or `&quot;&gt;&lt;img`)."""
    seen: dict[str, set[str]] = {marker: set() for marker in hostile.markers}
    for pattern, persona in (p.values for p in GETS):
        path, response = _get(pattern, persona, hw)
        if response.get("Content-Type", "").startswith(BINARY_TYPES):
            continue
        text = _body(response).decode("utf-8")
        for marker in seen:
            if marker in text:
                seen[marker].add(path)
    unseen = {m: hostile.markers[m] for m, paths in seen.items() if not paths}
    assert not unseen, f"hostile values no page shows: {unseen}"
    # The customer's workspace shows his names escaped, not dropped.
    _, response = _get("customers/<str:customer_id>/", "agent", hw)
    html = response.content.decode()
    assert "XSSgiven&lt;script&gt;alert(&quot;x1&quot;)&lt;/script&gt;" in html
    assert "[[{{ 7*7 }}]]" in html  # shown as typed


def test_the_hostile_world_is_the_matrix_world(hostile: Hostile, hw: World) -> None:
    """The hostile values change no outcome: the case is where the matrix has it."""
    from opsdesk.cases.models import Case

    case = Case.objects.get(pk=hw.case.pk)
    assert (case.state, case.status, case.team_id) == (
        hw.case.state,
        hw.case.status,
        hw.case.team_id,
    )


def test_the_checker_finds_what_it_looks_for() -> None:
    """The page check itself: each kind of breakout is reported."""
    assert html_problems("<p>&lt;script&gt;alert(1)&lt;/script&gt;[[{{ 7*7 }}]]</p>") == []
    assert html_problems('<script src="/static/web/htmx.min.js"></script>') == []
    for page in (
        "<p>" + payload("X") + "</p>",
        '<p title="' + IMG + '">',
        '<a href=" JaVaScRiPt:alert(3)">x</a>',
        "<script>alert(1)</script>",
        '<div onclick="x()">',
        "<p>[[49]]</p>",
    ):
        assert html_problems(page), page


def test_outbound_messages_keep_a_hostile_name_as_plain_text(hostile: Hostile, hw: World) -> None:
    """A playbook template renders the hostile name as it is: not evaluated
    (`{{ 7*7 }}` stays), and plain text, since no message has an HTML part: the email
    built for it is one text/plain part, the subject a single line."""
    from opsdesk.common.actors import Actor
    from opsdesk.comms.adapters.smtp import build_message
    from opsdesk.comms.services import message_send_template
    from opsdesk.customers.services import customer_update
    from opsdesk.runtime.outbox import _outbound

    # A phone to send to (the hostile world keeps the one typed, not a number).
    customer_update(hw.customer.pk, {"phone": HOSTILE_PHONE}, Actor("system"))
    message = message_send_template(hw.case.pk, "confirm_request", Actor.of_user(hw.users["agent"]))
    assert payload("XSSgiven") in message.body
    assert SSTI_RENDERED not in message.body
    outbound = replace(
        _outbound(message),
        channel="EMAIL",
        to=HOSTILE_EMAIL,
        subject="Order of " + payload("XSSgiven") + "\r\nBcc: x@example.com",
    )
    email = build_message(outbound, _sender(), "example.com", NOW)
    parts = [p.get_content_type() for p in email.walk()]
    assert parts == ["text/plain"], parts
    assert isinstance(email, EmailMessage)
    assert payload("XSSgiven") in email.get_content()
    assert "\n" not in str(email["Subject"]) and email["Bcc"] is None


def _sender() -> Any:
    from email.headerregistry import Address

    return Address(display_name="Opsdesk", addr_spec="desk@example.com")
