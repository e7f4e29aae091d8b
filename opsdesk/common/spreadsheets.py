"""CSV cells for spreadsheets."""

from __future__ import annotations

# A cell starting with one of these is a formula to Excel, LibreOffice and Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def no_formula(text: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula (customer names,
    comments, tags: anything people typed)."""
    return "'" + text if text[:1] in FORMULA_STARTS else text
