"""Customer profile checks from the intake SOP.

"Verify name matches the passport (spelling, middle names), phone complete with
country code and WhatsApp-capable, email valid, nationality recorded; if any
field is missing or suspicious, flag it."

Pure and cheap: this runs on every intake, so no regexes and no lookups beyond
one phonenumbers/email_validator parse in the normalizers.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email

PHONE_EXAMPLE = "+90 532 123 45 67"

# Punctuation that real passport names contain (O'Brien, Jean-Luc, D’Angelo).
_NAME_PUNCTUATION = frozenset("-'’ ")
_WORD_SEPARATORS = str.maketrans("-", " ")


@dataclass(frozen=True)
class ProfileProblem:
    code: str  # stable machine code
    field: str  # the customer field it concerns
    message: str  # what a staff member reads on the flag


def normalize_phone(raw: str) -> str | None:
    """E.164 form of `raw`, only if it carries an explicit country code and is a valid number."""
    text = raw.strip()
    if text.startswith("00"):
        # phonenumbers only understands "+" without a region; "00" is the usual dial-out prefix.
        text = "+" + text[2:]
    if not text.startswith("+"):
        return None
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str | None:
    text = raw.strip()
    if not text:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


@functools.cache
def _alpha2_codes() -> frozenset[str]:
    # One set lookup per call instead of pycountry's per-call index search.
    return frozenset(country.alpha_2 for country in pycountry.countries)


def valid_country(code: str) -> bool:
    """True for an upper-case ISO 3166-1 alpha-2 code ("TR"); stored codes are upper-case."""
    return code in _alpha2_codes()


def _name_issue(value: str) -> str | None:
    """Why `value` does not look like a name copied from a passport, or None."""
    # NFC so a decomposed "ş" (s + combining cedilla) counts as one letter.
    text = unicodedata.normalize("NFC", value)
    for char in text:
        if char.isalpha() or char in _NAME_PUNCTUATION:
            continue
        if unicodedata.category(char).startswith("M"):
            continue  # combining marks left over after NFC
        return "contains digits" if char.isdigit() else f"contains {char!r}"
    if not any(char.isalpha() for char in text):
        return "has no letters"
    if any(len(word) == 1 for word in text.translate(_WORD_SEPARATORS).split()):
        return "contains an initial; passports print full names"
    if text.islower():
        return "is all lower-case"  # ALL CAPS is fine: passports print names that way
    return None


def _name_problem(field: str, label: str, value: str, *, required: bool) -> ProfileProblem | None:
    value = value.strip()
    if not value:
        if not required:
            return None
        return ProfileProblem(
            "name_missing", field, f"{label} is missing; copy it from the passport"
        )
    issue = _name_issue(value)
    if issue is None:
        return None
    return ProfileProblem(
        "name_not_passport_like",
        field,
        f"{label} '{value}' {issue}; enter it exactly as printed in the passport",
    )


def _phone_problem(phone: str, phone_raw: str, whatsapp: bool) -> ProfileProblem | None:
    raw = phone_raw.strip()
    if phone:
        if whatsapp:
            return None
        return ProfileProblem(
            "phone_not_whatsapp",
            "phone",
            f"Phone {phone} is not marked as WhatsApp-capable; "
            "confirm with the customer or ask for a WhatsApp number",
        )
    if not raw:
        return ProfileProblem(
            "phone_missing",
            "phone",
            f"Phone is missing; ask for a WhatsApp number with country code, e.g. {PHONE_EXAMPLE}",
        )
    if not raw.startswith(("+", "00")):
        return ProfileProblem(
            "phone_no_country_code",
            "phone",
            f"Phone '{raw}' has no country code; ask for the full number, e.g. {PHONE_EXAMPLE}",
        )
    return ProfileProblem(
        "phone_invalid",
        "phone",
        f"Phone '{raw}' is not a valid number; check the digits with the customer",
    )


def _email_problem(email: str, email_raw: str) -> ProfileProblem | None:
    if email:
        return None
    raw = email_raw.strip()
    if not raw:
        return ProfileProblem(
            "email_missing", "email", "Email is missing; ask the customer for an email address"
        )
    return ProfileProblem(
        "email_invalid",
        "email",
        f"Email '{raw}' is not a valid address; check the spelling with the customer",
    )


def _nationality_problem(nationality: str) -> ProfileProblem | None:
    code = nationality.strip()
    if not code:
        return ProfileProblem(
            "nationality_missing",
            "nationality",
            "Nationality is missing; record it from the passport as a two-letter code, e.g. TR",
        )
    if not valid_country(code):
        return ProfileProblem(
            "nationality_invalid",
            "nationality",
            f"Nationality '{code}' is not an ISO country code; "
            "use the upper-case two-letter code, e.g. TR",
        )
    return None


def check_profile(
    *,
    given_name: str,
    middle_name: str,
    family_name: str,
    phone: str,
    phone_raw: str,
    whatsapp: bool,
    email: str,
    email_raw: str,
    nationality: str,
) -> list[ProfileProblem]:
    """Problems to flag, in a stable order: names, phone, email, nationality.

    `phone` and `email` are the stored normalized values (empty when the typed
    `*_raw` input could not be normalized); they are trusted as-is.
    """
    candidates = (
        _name_problem("given_name", "Given name", given_name, required=True),
        _name_problem("middle_name", "Middle name", middle_name, required=False),
        _name_problem("family_name", "Family name", family_name, required=True),
        _phone_problem(phone, phone_raw, whatsapp),
        _email_problem(email, email_raw),
        _nationality_problem(nationality),
    )
    return [problem for problem in candidates if problem is not None]
