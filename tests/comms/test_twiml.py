from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from opsdesk.comms.adapters.twiml import confirmation_twiml, outcome_twiml, parse_gather

ACTION = "https://ops.example.com/api/v1/webhooks/twilio/voice/msg_abc123?retries=1&x=y"
EN_SAY = {"language": "en-US", "voice": "Polly.Joanna"}
TR_SAY = {"language": "tr-TR", "voice": "Polly.Filiz"}
EN_MENU = "To confirm, press or say 1. To reject, press or say 2. To reschedule, press or say 3."
TR_MENU = (
    "Onaylamak için 1'e basın ya da bir deyin. Reddetmek için 2'ye basın ya da iki deyin. "
    "Ertelemek için 3'e basın ya da üç deyin."
)


def _tree(element: ET.Element) -> tuple[Any, ...]:
    """(tag, attributes, text, children) all the way down, for exact comparisons."""
    return (element.tag, element.attrib, element.text, [_tree(child) for child in element])


def _parse(twiml: str) -> tuple[Any, ...]:
    assert twiml.startswith('<?xml version="1.0" encoding="UTF-8"?><Response>')
    return _tree(ET.fromstring(twiml))


def _gather(language: str, hints: str, says: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    attributes = {
        "input": "dtmf speech",
        "numDigits": "1",
        "timeout": "6",
        "action": ACTION,
        "method": "POST",
        "language": language,
        "hints": hints,
    }
    return ("Gather", attributes, None, says)


EN_HINTS = "one, confirm, yes, two, reject, no, three, reschedule, change"
TR_HINTS = "bir, evet, onaylıyorum, iki, hayır, iptal, üç, ertele, değiştir"


def test_english_confirmation_with_a_retry_left_redirects_back() -> None:
    twiml = confirmation_twiml("en", "Your technician comes tomorrow at 14:00.", ACTION)

    assert _parse(twiml) == (
        "Response",
        {},
        None,
        [
            _gather(
                "en-US",
                EN_HINTS,
                [
                    ("Say", EN_SAY, "Your technician comes tomorrow at 14:00.", []),
                    ("Say", EN_SAY, EN_MENU, []),
                ],
            ),
            ("Redirect", {"method": "POST"}, ACTION, []),
        ],
    )


def test_turkish_confirmation_without_retries_says_goodbye_and_hangs_up() -> None:
    twiml = confirmation_twiml(
        "tr", "Teknisyeniniz yarın 14:00'te geliyor.", ACTION, retries_left=0
    )

    assert _parse(twiml) == (
        "Response",
        {},
        None,
        [
            _gather(
                "tr-TR",
                TR_HINTS,
                [
                    ("Say", TR_SAY, "Teknisyeniniz yarın 14:00'te geliyor.", []),
                    ("Say", TR_SAY, TR_MENU, []),
                ],
            ),
            ("Say", TR_SAY, "Yanıtınızı alamadık. İyi günler.", []),
            ("Hangup", {}, None, []),
        ],
    )


def test_english_goodbye() -> None:
    root = ET.fromstring(confirmation_twiml("en-US", "Hi.", ACTION, retries_left=-1))

    assert [child.tag for child in root] == ["Gather", "Say", "Hangup"]
    assert root[1].text == "We did not get your answer. Goodbye."


@pytest.mark.parametrize(
    ("language", "code"),
    [
        ("tr", "tr-TR"),
        ("tr-TR", "tr-TR"),
        ("tr_TR", "tr-TR"),
        ("TR", "tr-TR"),
        ("en", "en-US"),
        ("en_GB", "en-US"),
        ("de", "en-US"),
        ("", "en-US"),
    ],
)
def test_language_picks_the_locale(language: str, code: str) -> None:
    root = ET.fromstring(confirmation_twiml(language, "x", ACTION))

    assert root[0].get("language") == code
    assert {say.get("language") for say in root.iter("Say")} == {code}


def test_user_text_is_escaped_not_markup() -> None:
    prompt = 'Fatura <b>#12</b> & "ödeme" </Say><Hangup/>'
    action = 'https://ops.example.com/x?a=1&b="2"<'

    twiml = confirmation_twiml("tr", prompt, action)

    assert "<b>" not in twiml and "</Say><Hangup/>" not in twiml
    assert "&lt;b&gt;#12&lt;/b&gt; &amp;" in twiml
    root = ET.fromstring(twiml)
    assert root[0][0].text == prompt
    assert root[0].get("action") == action
    assert root[1].text == action
    assert [element.tag for element in root.iter()] == [
        "Response",
        "Gather",
        "Say",
        "Say",
        "Redirect",
    ]


def test_characters_xml_cannot_carry_are_dropped() -> None:
    twiml = confirmation_twiml("en", "Line\x00one\x1b\nline two\ttab", ACTION)

    assert ET.fromstring(twiml)[0][0].text == "Lineone\nline two\ttab"


def test_blank_prompt_says_only_the_menu() -> None:
    root = ET.fromstring(confirmation_twiml("en", "  ", ACTION))

    assert [(say.tag, say.text) for say in root[0]] == [("Say", EN_MENU)]


def test_outcome_says_and_hangs_up() -> None:
    twiml = outcome_twiml("tr", "Randevunuz onaylandı. <Teşekkürler> & iyi günler!")

    assert _parse(twiml) == (
        "Response",
        {},
        None,
        [
            ("Say", TR_SAY, "Randevunuz onaylandı. <Teşekkürler> & iyi günler!", []),
            ("Hangup", {}, None, []),
        ],
    )


@pytest.mark.parametrize(
    ("digits", "expected"),
    [("1", "confirm"), ("2", "reject"), ("3", "reschedule"), (" 1 ", "confirm")],
)
def test_digits(digits: str, expected: str) -> None:
    assert parse_gather({"Digits": digits}) == expected


@pytest.mark.parametrize("digits", ["0", "4", "9", "*", "#", "12", "x"])
def test_other_digits_are_none(digits: str) -> None:
    assert parse_gather({"Digits": digits}) is None


def test_digits_win_over_speech() -> None:
    assert parse_gather({"Digits": "2", "SpeechResult": "Yes."}) == "reject"
    assert parse_gather({"Digits": "7", "SpeechResult": "Yes."}) is None


@pytest.mark.parametrize(
    ("speech", "expected"),
    [
        ("One.", "confirm"),
        ("Yes", "confirm"),
        ("I confirm.", "confirm"),
        ("1", "confirm"),
        ("Two", "reject"),
        ("No, thank you.", "reject"),
        ("REJECT", "reject"),
        ("three", "reschedule"),
        ("I want to reschedule", "reschedule"),
        ("Change it please.", "reschedule"),
        ("Bir.", "confirm"),
        ("Evet", "confirm"),
        ("Evet, onaylıyorum.", "confirm"),
        ("ONAYLIYORUM", "confirm"),
        ("onayliyorum", "confirm"),
        ("İki", "reject"),
        ("iki", "reject"),
        ("Hayır", "reject"),
        ("HAYIR", "reject"),
        ("hayir", "reject"),
        ("İptal", "reject"),
        ("IPTAL", "reject"),
        ("iptal edin", "reject"),
        ("Üç", "reschedule"),
        ("uc", "reschedule"),
        ("ÜÇ", "reschedule"),
        ("Ertele", "reschedule"),
        ("Değiştir", "reschedule"),
        ("DEĞİŞTİR", "reschedule"),
        ("degistir", "reschedule"),
        ("3", "reschedule"),
    ],
)
def test_speech_in_english_and_turkish(speech: str, expected: str) -> None:
    assert parse_gather({"SpeechResult": speech, "Confidence": "0.9"}) == expected


@pytest.mark.parametrize(
    "speech",
    [
        "",
        "   ",
        "Hello?",
        "Yes, no.",
        "Evet... hayır, ertele.",
        "one two",
        "bonus",  # words are matched whole, not as substrings
        "nobody",
        "birazdan",
        "ikinci",
    ],
)
def test_unclear_speech_is_none(speech: str) -> None:
    assert parse_gather({"SpeechResult": speech}) is None


def test_no_answer_is_none() -> None:
    assert parse_gather({}) is None
    assert parse_gather({"Digits": "", "SpeechResult": ""}) is None
    assert parse_gather({"CallSid": "CA" + "0" * 32, "CallStatus": "in-progress"}) is None
