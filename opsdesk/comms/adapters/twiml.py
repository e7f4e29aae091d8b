"""TwiML for voice confirmation calls, and reading the caller's answer. Pure: no Django, no I/O.

The call asks one question: press or say 1 to confirm, 2 to reject, 3 to
reschedule. Documents are built with ElementTree so text from playbooks and
customers is always escaped, never pasted into markup.
Verbs: https://www.twilio.com/docs/voice/twiml/gather, .../say, .../redirect, .../hangup
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

GatherChoice = Literal["confirm", "reject", "reschedule"]

_DIGITS: dict[str, GatherChoice] = {"1": "confirm", "2": "reject", "3": "reschedule"}


@dataclass(frozen=True)
class _Locale:
    code: str  # BCP-47 tag for <Say> and <Gather> speech recognition
    # Twilio's default voice ("man") speaks only a few languages; a voice that cannot
    # speak `code` fails the <Say>, so each locale names one that can.
    voice: str
    menu: str
    goodbye: str
    words: Mapping[str, GatherChoice]  # what a caller may say, as written


_EN = _Locale(
    code="en-US",
    voice="Polly.Joanna",
    menu="To confirm, press or say 1. To reject, press or say 2. To reschedule, press or say 3.",
    goodbye="We did not get your answer. Goodbye.",
    words={
        "one": "confirm",
        "confirm": "confirm",
        "yes": "confirm",
        "two": "reject",
        "reject": "reject",
        "no": "reject",
        "three": "reschedule",
        "reschedule": "reschedule",
        "change": "reschedule",
    },
)
_TR = _Locale(
    code="tr-TR",
    voice="Polly.Filiz",
    menu=(
        "Onaylamak için 1'e basın ya da bir deyin. Reddetmek için 2'ye basın ya da iki deyin. "
        "Ertelemek için 3'e basın ya da üç deyin."
    ),
    goodbye="Yanıtınızı alamadık. İyi günler.",
    words={
        "bir": "confirm",
        "evet": "confirm",
        "onaylıyorum": "confirm",
        "iki": "reject",
        "hayır": "reject",
        "iptal": "reject",
        "üç": "reschedule",
        "ertele": "reschedule",
        "değiştir": "reschedule",
    },
)

# Characters XML 1.0 cannot carry at all; ElementTree would write them and Twilio
# would then fail to parse the document, ending the call.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def confirmation_twiml(
    language: str, prompt: str, action_url: str, *, retries_left: int = 1
) -> str:
    """Say `prompt` and the menu while listening for one digit or a spoken answer.

    Twilio POSTs the answer (`Digits` or `SpeechResult`) to `action_url`. With no
    answer it moves past the <Gather>: while `retries_left` > 0 it POSTs to
    `action_url` again without an answer (encode the remaining retries in the URL
    if the view needs them), otherwise it says goodbye and hangs up.
    """
    locale = _locale(language)
    action = _xml_text(action_url)
    response = ET.Element("Response")
    gather = ET.SubElement(
        response,
        "Gather",
        {
            "input": "dtmf speech",
            "numDigits": "1",
            "timeout": "6",
            "action": action,
            "method": "POST",
            "language": locale.code,
            # Biases speech recognition towards the answers we can read.
            "hints": ", ".join(locale.words),
        },
    )
    if prompt.strip():
        _say(gather, locale, prompt)
    _say(gather, locale, locale.menu)
    if retries_left > 0:
        ET.SubElement(response, "Redirect", {"method": "POST"}).text = action
    else:
        _say(response, locale, locale.goodbye)
        ET.SubElement(response, "Hangup")
    return _document(response)


def outcome_twiml(language: str, text: str) -> str:
    """Say `text` and hang up: the last words of a call."""
    locale = _locale(language)
    response = ET.Element("Response")
    _say(response, locale, text)
    ET.SubElement(response, "Hangup")
    return _document(response)


def parse_gather(params: Mapping[str, str]) -> GatherChoice | None:
    """The caller's answer from a <Gather> action POST, or None when it is not one of ours.

    Keys pressed win over speech. Speech is matched word by word against both
    languages' tables, whatever the call's language; an answer naming two
    different choices ("no... yes") is None rather than a guess.
    """
    digits = (params.get("Digits") or "").strip()
    if digits:
        return _DIGITS.get(digits)
    found = {_SPOKEN[word] for word in _words(params.get("SpeechResult") or "") if word in _SPOKEN}
    return found.pop() if len(found) == 1 else None


def _fold(text: str) -> str:
    """Lower case without accents, with Turkish İ/I/ı/i all read as "i".

    Speech engines capitalise freely: "HAYIR".lower() is "hayir" and "İptal".lower()
    is "i̇ptal" (i plus a combining dot), so plain lower() misses Turkish words.
    """
    text = text.replace("İ", "i").replace("I", "i").replace("ı", "i")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


_SPOKEN: dict[str, GatherChoice] = {
    **{_fold(word): choice for locale in (_EN, _TR) for word, choice in locale.words.items()},
    **_DIGITS,  # recognisers often write "1" for a spoken "one"
}


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", _fold(text))


def _locale(language: str) -> _Locale:
    return _TR if language.strip().lower().replace("_", "-").split("-")[0] == "tr" else _EN


def _say(parent: ET.Element, locale: _Locale, text: str) -> None:
    say = ET.SubElement(parent, "Say", {"language": locale.code, "voice": locale.voice})
    say.text = _xml_text(text)


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def _document(root: ET.Element) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="unicode")
