"""`opsdesk translations check|update|compile`: the agent UI's translation catalogs.

The catalogs are opsdesk/locale/<lang>/LC_MESSAGES/django.po (edited by hand) and the
compiled django.mo beside it (committed, so no machine needs GNU gettext). Babel (a
test extra) reads and writes them; msgids come from every template (through Django's
own `templatize`, as `makemessages` does) and every Python module of opsdesk.

    check    every msgid of the code is in each .po, translated (not empty, not fuzzy),
             no unused entry is left, and each .mo is the compiled .po
    update   add the code's new msgids to each .po (empty: to translate), drop unused ones
    compile  write each .mo from its .po
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

PACKAGE = Path(__file__).resolve().parents[3]  # opsdesk/
LOCALE_DIR = PACKAGE / "locale"
DOMAIN = "django"
# gettext and friends as Django names them; (n, "c") marks the context argument.
KEYWORDS: dict[str, Any] = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}

Key = tuple[str, str | None]  # (msgid, context)


def languages() -> list[str]:
    """The UI's languages that need a catalog (all but the source language, English)."""
    return [code for code, _name in settings.LANGUAGES if code != "en"]


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _sources() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*")):
        if "migrations" in path.parts or "__pycache__" in path.parts:
            continue
        if path.suffix == ".py" or (path.suffix == ".html" and "templates" in path.parts):
            yield path


def extract() -> Any:
    """A babel Catalog of every msgid in opsdesk's templates and modules."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract as babel_extract
    from django.utils.translation.template import templatize

    catalog = Catalog(domain=DOMAIN, project="opsdesk", fuzzy=False)
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".html":
            if "i18n" not in text:
                continue
            text = templatize(text, origin=str(path))
        elif "gettext" not in text:
            continue
        where = str(path.relative_to(PACKAGE.parent))
        found = babel_extract("python", io.BytesIO(text.encode("utf-8")), keywords=KEYWORDS)
        for _lineno, message, comments, ctx in found:
            ids = message if isinstance(message, tuple) else (message,)
            flags = {"python-format"} if any("%" in m for m in ids) else set()
            catalog.add(
                message,
                locations=[(where, None)],
                flags=flags,
                auto_comments=comments,
                context=ctx,
            )
    return catalog


def _key(message: Any) -> Key:
    msgid = message.id[0] if isinstance(message.id, tuple) else message.id
    return msgid, message.context


def problems(language: str) -> list[str]:
    """What is wrong with one language's catalog, one line each (empty: all good)."""
    from babel.messages.pofile import read_po

    path = po_path(language)
    if not path.exists():
        return [f"{path}: missing (run `opsdesk translations update`)"]
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    code = {_key(m): m for m in extract() if m.id}
    have = {_key(m): m for m in catalog if m.id}
    out = [f"{language}: not in the catalog: {k[0]!r}" for k in code if k not in have]
    out += [f"{language}: no longer used: {k[0]!r}" for k in have if k not in code]
    for k, m in have.items():
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if m.fuzzy:
            out.append(f"{language}: fuzzy: {k[0]!r}")
        elif not all(strings):
            out.append(f"{language}: not translated: {k[0]!r}")
        elif k in code and isinstance(code[k].id, tuple) != isinstance(m.id, tuple):
            out.append(f"{language}: singular/plural differs from the code: {k[0]!r}")
    mo = path.with_suffix(".mo")
    if not mo.exists() or mo.read_bytes() != compiled(language):
        out.append(f"{mo}: not the compiled {path.name} (run `opsdesk translations compile`)")
    return out


def compiled(language: str) -> bytes:
    """The .mo bytes of the language's .po (translated entries only, as msgfmt)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path(language).open("rb") as fh:
        catalog = read_po(fh, locale=language)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def update(language: str) -> tuple[int, int]:
    """Merge the code's msgids into the .po; returns (added, removed)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    path = po_path(language)
    template = extract()
    if path.exists():
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=language)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(locale=language, domain=DOMAIN, project="opsdesk", fuzzy=False)
    before = {_key(m) for m in catalog if m.id}
    # No fuzzy matching: a changed English text is a new entry for a translator.
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
    catalog.obsolete.clear()
    after = {_key(m) for m in catalog if m.id}
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False, include_lineno=False)
    return len(after - before), len(before - after)


class Command(BaseCommand):
    help = "Check, update or compile the agent UI's translation catalogs (opsdesk/locale)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["check", "update", "compile"])

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            import babel  # noqa: F401
        except ImportError:
            raise CommandError("needs Babel: pip install -e '.[test]'") from None
        if action == "check":
            found = [line for lang in languages() for line in problems(lang)]
            for line in found:
                self.stdout.write(line)
            if found:
                raise CommandError(f"{len(found)} problem(s) in the translation catalogs")
            self.stdout.write("translations: every msgid translated, catalogs compiled")
        elif action == "update":
            for lang in languages():
                added, removed = update(lang)
                self.stdout.write(f"{po_path(lang)}: {added} new msgid(s), {removed} removed")
        else:
            for lang in languages():
                po_path(lang).with_suffix(".mo").write_bytes(compiled(lang))
                self.stdout.write(f"{po_path(lang).with_suffix('.mo')}: compiled")
