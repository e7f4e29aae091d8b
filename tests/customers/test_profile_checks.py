"""Customer profile checks: normalizers and the exact problems flagged per SOP."""

from __future__ import annotations

from typing import Any

import pytest

from opsdesk.customers.profile import (
    ProfileProblem,
    check_profile,
    normalize_email,
    normalize_phone,
    valid_country,
)

GOOD: dict[str, Any] = {
    "given_name": "Ayşe",
    "middle_name": "",
    "family_name": "Yılmaz",
    "phone": "+905321234567",
    "phone_raw": "+90 532 123 45 67",
    "whatsapp": True,
    "email": "ayse.yilmaz@gmail.com",
    "email_raw": "ayse.yilmaz@gmail.com",
    "nationality": "TR",
}


def codes(**overrides: Any) -> list[str]:
    return [problem.code for problem in check_profile(**{**GOOD, **overrides})]


# --- normalizers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+90 532 123 45 67", "+905321234567"),
        ("00905321234567", "+905321234567"),
        ("  +90 (532) 123-45-67 ", "+905321234567"),
        ("+49 30 123456", "+4930123456"),
        ("+1 202 555 0123", "+12025550123"),
        ("5321234567", None),  # no country code
        ("05321234567", None),  # national format
        ("905321234567", None),  # country digits but no "+"
        ("+90 123", None),  # too short
        ("+90 532 123 45 6", None),
        ("+", None),
        ("call me", None),
        ("", None),
    ],
)
def test_normalize_phone(raw: str, expected: str | None) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ayse@gmail.com", "ayse@gmail.com"),
        (" Ahmet.Yilmaz@GMAIL.com ", "Ahmet.Yilmaz@gmail.com"),  # domain lower-cased only
        ("ayşe@örnek.com.tr", "ayşe@örnek.com.tr"),
        ("ayse@", None),
        ("ayse@gmail", None),
        ("ayse gmail.com", None),
        ("a@@b.com", None),
        ("", None),
        ("   ", None),
    ],
)
def test_normalize_email(raw: str, expected: str | None) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("TR", True),
        ("DE", True),
        ("GB", True),
        ("XX", False),
        ("UK", False),  # common, but not ISO
        ("tr", False),
        ("TUR", False),
        ("", False),
    ],
)
def test_valid_country(code: str, valid: bool) -> None:
    assert valid_country(code) is valid


# --- names ---------------------------------------------------------------------------------


def test_clean_profile_has_no_problems() -> None:
    assert check_profile(**GOOD) == []


@pytest.mark.parametrize(
    "names",
    [
        {"given_name": "Şükrü", "family_name": "Çağlayan"},
        {"given_name": "İbrahim", "middle_name": "Gökhan", "family_name": "Öztürk"},
        {"given_name": "ILKNUR", "family_name": "DOĞAN"},  # ALL CAPS as printed
        {"given_name": "Işık", "family_name": "Ünal"},  # dotted/dotless I
        {"given_name": "Mary Jane", "family_name": "O'Brien"},
        {"given_name": "Jean-Luc", "family_name": "D’Angelo"},
        {"given_name": "Anna", "family_name": "van der Berg"},
        {"given_name": "Ays\u0327e", "family_name": "Yılmaz"},  # decomposed ş
    ],
)
def test_passport_like_names_accepted(names: dict[str, str]) -> None:
    assert codes(**names) == []


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ({"given_name": "J.", "family_name": "Smith"}, ["name_not_passport_like"]),
        ({"given_name": "J. Smith", "family_name": "Smith"}, ["name_not_passport_like"]),
        ({"given_name": "J", "family_name": "Smith"}, ["name_not_passport_like"]),
        ({"given_name": "Mary J", "family_name": "Smith"}, ["name_not_passport_like"]),
        ({"given_name": "john", "family_name": "Smith"}, ["name_not_passport_like"]),
        ({"given_name": "Ahmet2", "family_name": "Yılmaz"}, ["name_not_passport_like"]),
        ({"given_name": "Ahmet", "family_name": "Yılmaz!"}, ["name_not_passport_like"]),
        ({"given_name": "Ahmet", "family_name": "-"}, ["name_not_passport_like"]),
        (
            {"given_name": "Ahmet", "middle_name": "K.", "family_name": "Yılmaz"},
            ["name_not_passport_like"],
        ),
        ({"given_name": "", "family_name": "Yılmaz"}, ["name_missing"]),
        ({"given_name": "Ahmet", "family_name": "  "}, ["name_missing"]),
        ({"given_name": "", "family_name": ""}, ["name_missing", "name_missing"]),
        ({"given_name": "", "family_name": "yılmaz"}, ["name_missing", "name_not_passport_like"]),
    ],
)
def test_suspicious_names_flagged(names: dict[str, str], expected: list[str]) -> None:
    assert codes(**names) == expected


def test_name_problem_fields_and_messages() -> None:
    problems = check_profile(
        **{**GOOD, "given_name": "Ahmet2", "middle_name": "k", "family_name": ""}
    )
    assert problems == [
        ProfileProblem(
            "name_not_passport_like",
            "given_name",
            "Given name 'Ahmet2' contains digits; enter it exactly as printed in the passport",
        ),
        ProfileProblem(
            "name_not_passport_like",
            "middle_name",
            "Middle name 'k' contains an initial; passports print full names; "
            "enter it exactly as printed in the passport",
        ),
        ProfileProblem(
            "name_missing", "family_name", "Family name is missing; copy it from the passport"
        ),
    ]
    [lower] = check_profile(**{**GOOD, "given_name": "john"})
    assert lower.message == (
        "Given name 'john' is all lower-case; enter it exactly as printed in the passport"
    )
    [symbol] = check_profile(**{**GOOD, "given_name": "J."})
    assert symbol.message == (
        "Given name 'J.' contains '.'; enter it exactly as printed in the passport"
    )


# --- phone ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+90 532 123 45 67", []),
        ("00905321234567", []),
        ("5321234567", ["phone_no_country_code"]),
        ("0532 123 45 67", ["phone_no_country_code"]),
        ("+90 123", ["phone_invalid"]),
        ("0090 123", ["phone_invalid"]),
        ("", ["phone_missing"]),
        ("   ", ["phone_missing"]),
    ],
)
def test_phone_from_raw_input(raw: str, expected: list[str]) -> None:
    # The stored value is whatever the normalizer made of the raw input.
    assert codes(phone=normalize_phone(raw) or "", phone_raw=raw) == expected


def test_phone_messages() -> None:
    [no_code] = check_profile(**{**GOOD, "phone": "", "phone_raw": "5321234567"})
    assert no_code == ProfileProblem(
        "phone_no_country_code",
        "phone",
        "Phone '5321234567' has no country code; ask for the full number, e.g. +90 532 123 45 67",
    )
    [invalid] = check_profile(**{**GOOD, "phone": "", "phone_raw": " +90 123 "})
    assert invalid.message == (
        "Phone '+90 123' is not a valid number; check the digits with the customer"
    )
    [missing] = check_profile(**{**GOOD, "phone": "", "phone_raw": ""})
    assert missing.message == (
        "Phone is missing; ask for a WhatsApp number with country code, e.g. +90 532 123 45 67"
    )


def test_phone_not_whatsapp() -> None:
    assert check_profile(**{**GOOD, "whatsapp": False}) == [
        ProfileProblem(
            "phone_not_whatsapp",
            "phone",
            "Phone +905321234567 is not marked as WhatsApp-capable; "
            "confirm with the customer or ask for a WhatsApp number",
        )
    ]
    # Without a usable number the WhatsApp flag is moot: fix the number first.
    assert codes(phone="", phone_raw="5321234567", whatsapp=False) == ["phone_no_country_code"]
    assert codes(phone="", phone_raw="", whatsapp=False) == ["phone_missing"]


# --- email and nationality -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ayse@gmail.com", []),
        ("Ayse@GMAIL.COM", []),
        ("ayse@gmail", ["email_invalid"]),
        ("ayse.gmail.com", ["email_invalid"]),
        ("", ["email_missing"]),
    ],
)
def test_email_from_raw_input(raw: str, expected: list[str]) -> None:
    assert codes(email=normalize_email(raw) or "", email_raw=raw) == expected


def test_email_messages() -> None:
    assert check_profile(**{**GOOD, "email": "", "email_raw": "ayse@gmail"}) == [
        ProfileProblem(
            "email_invalid",
            "email",
            "Email 'ayse@gmail' is not a valid address; check the spelling with the customer",
        )
    ]
    assert check_profile(**{**GOOD, "email": "", "email_raw": ""}) == [
        ProfileProblem(
            "email_missing", "email", "Email is missing; ask the customer for an email address"
        )
    ]


@pytest.mark.parametrize(
    ("nationality", "expected"),
    [
        ("TR", []),
        ("DE", []),
        (" TR ", []),
        ("XX", ["nationality_invalid"]),
        ("TUR", ["nationality_invalid"]),
        ("Turkish", ["nationality_invalid"]),
        ("tr", ["nationality_invalid"]),
        ("", ["nationality_missing"]),
    ],
)
def test_nationality(nationality: str, expected: list[str]) -> None:
    assert codes(nationality=nationality) == expected


def test_nationality_messages() -> None:
    assert check_profile(**{**GOOD, "nationality": "XX"}) == [
        ProfileProblem(
            "nationality_invalid",
            "nationality",
            "Nationality 'XX' is not an ISO country code; "
            "use the upper-case two-letter code, e.g. TR",
        )
    ]
    assert check_profile(**{**GOOD, "nationality": ""}) == [
        ProfileProblem(
            "nationality_missing",
            "nationality",
            "Nationality is missing; record it from the passport as a two-letter code, e.g. TR",
        )
    ]


# --- everything at once --------------------------------------------------------------------


def test_empty_profile_reports_every_field_in_order() -> None:
    problems = check_profile(
        given_name="",
        middle_name="",
        family_name="",
        phone="",
        phone_raw="",
        whatsapp=False,
        email="",
        email_raw="",
        nationality="",
    )
    assert [(p.code, p.field) for p in problems] == [
        ("name_missing", "given_name"),
        ("name_missing", "family_name"),
        ("phone_missing", "phone"),
        ("email_missing", "email"),
        ("nationality_missing", "nationality"),
    ]


def test_typical_sloppy_intake() -> None:
    assert codes(
        given_name="john",
        family_name="Smith",
        phone="",
        phone_raw="5321234567",
        email="",
        email_raw="john@",
        nationality="XX",
    ) == ["name_not_passport_like", "phone_no_country_code", "email_invalid", "nationality_invalid"]
