"""opsdesk.comms.intent: free-text replies read as confirm / reject / reschedule and a date.

Pure: no database, no clock. `now` is Wednesday 18 November 2026, 15:00 in Istanbul.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest

from opsdesk.comms.intent import Confidence, Intent, PartOfDay, ReadReply, read_reply

TZ = "Europe/Istanbul"
ISTANBUL = ZoneInfo(TZ)
NOW = dt.datetime(2026, 11, 18, 15, 0, tzinfo=ISTANBUL)


def istanbul(local: str) -> dt.datetime:
    """'2026-11-19 10:00' in Istanbul, as UTC."""
    return dt.datetime.fromisoformat(local).replace(tzinfo=ISTANBUL).astimezone(dt.UTC)


class Case(NamedTuple):
    text: str
    intent: Intent | None
    when: str | None  # local time in Istanbul
    confidence: Confidence
    reason: str
    date_only: bool = False
    part: PartOfDay | None = None

    def expected(self) -> ReadReply:
        return ReadReply(
            intent=self.intent,
            when=istanbul(self.when) if self.when else None,
            when_is_date_only=self.date_only,
            part_of_day=self.part,
            confidence=self.confidence,
            reason=self.reason,
        )


CASES = [
    # Turkish, with and without diacritics
    Case("Evet", "confirm", None, "high", 'confirm; read "Evet" (yes)'),
    Case("EVET", "confirm", None, "high", 'confirm; read "EVET" (yes)'),
    Case("evet", "confirm", None, "high", 'confirm; read "evet" (yes)'),
    Case(
        "tamam onaylıyorum",
        "confirm",
        None,
        "high",
        'confirm; read "tamam" (yes), "onaylıyorum" (yes)',
    ),
    Case("onayliyorum", "confirm", None, "high", 'confirm; read "onayliyorum" (yes)'),
    Case("Tamamdır, teşekkürler", "confirm", None, "high", 'confirm; read "Tamamdır" (yes)'),
    Case(
        "Tamam, görüşürüz",
        "confirm",
        None,
        "high",
        'confirm; read "Tamam" (yes), "görüşürüz" (yes)',
    ),
    Case(
        "İyi akşamlar, evet geleceğim",
        "confirm",
        None,
        "high",
        'confirm; read "evet" (yes), "geleceğim" (yes)',
    ),
    Case("sorun yok", "confirm", None, "high", 'confirm; read "sorun yok" (yes)'),
    Case("TAMAM MI?", "confirm", None, "low", 'confirm; read "TAMAM" (yes)'),
    Case(
        "evet ama biraz gecikebilirim",
        "confirm",
        None,
        "low",
        'confirm; read "evet" (yes), "ama" (but)',
    ),
    Case("İptal edin lütfen", "reject", None, "high", 'reject; read "İptal" (refusal)'),
    Case("İPTAL", "reject", None, "high", 'reject; read "İPTAL" (refusal)'),
    Case(
        "hayır istemiyorum",
        "reject",
        None,
        "high",
        'reject; read "hayır" (no), "istemiyorum" (refusal)',
    ),
    Case("hayir", "reject", None, "high", 'reject; read "hayir" (no)'),
    Case("vazgectim", "reject", None, "high", 'reject; read "vazgectim" (refusal)'),
    Case("Kabul etmiyorum", "reject", None, "high", 'reject; read "Kabul etmiyorum" (refusal)'),
    Case("ertele", "reschedule", None, "high", 'reschedule; read "ertele" (reschedule)'),
    Case(
        "baska gun olur mu",
        "reschedule",
        None,
        "high",
        'reschedule; read "baska gun" (reschedule), "olur mu" (question)',
    ),
    Case("başka gün", "reschedule", None, "high", 'reschedule; read "başka gün" (reschedule)'),
    Case(
        "değiştirmek istiyorum",
        "reschedule",
        None,
        "high",
        'reschedule; read "değiştirmek" (reschedule)',
    ),
    Case(
        "yarın 10:00 olur mu",
        "reschedule",
        "2026-11-19 10:00",
        "high",
        'reschedule; proposed Thu 19 Nov 2026 10:00 ("yarın 10:00"); read "olur mu" (question)',
    ),
    Case(
        "yarin 10",
        "reschedule",
        "2026-11-19 10:00",
        "low",
        'reschedule (a date or time, no keyword); proposed Thu 19 Nov 2026 10:00 ("yarin 10")',
    ),
    Case(
        "yarın öğleden sonra",
        "reschedule",
        "2026-11-19 14:00",
        "low",
        (
            "reschedule (a date or time, no keyword); proposed Thu 19 Nov 2026 afternoon 14:00 "
            '("yarın öğleden sonra")'
        ),
        part="afternoon",
    ),
    Case(
        "haftaya pazartesi sabah",
        "reschedule",
        "2026-11-23 09:00",
        "low",
        (
            "reschedule (a date or time, no keyword); proposed Mon 23 Nov 2026 morning 09:00 "
            '("haftaya pazartesi sabah")'
        ),
        part="morning",
    ),
    Case(
        "cuma günü saat 14",
        "reschedule",
        "2026-11-20 14:00",
        "low",
        (
            'reschedule (a date or time, no keyword); proposed Fri 20 Nov 2026 14:00 ("cuma günü '
            'saat 14")'
        ),
    ),
    Case(
        "25.11 saat 11",
        "reschedule",
        "2026-11-25 11:00",
        "low",
        (
            'reschedule (a date or time, no keyword); proposed Wed 25 Nov 2026 11:00 ("25.11 saat '
            '11")'
        ),
    ),
    Case(
        "25 Kasım'da saat on buçukta",
        "reschedule",
        "2026-11-25 10:30",
        "low",
        (
            'reschedule (a date or time, no keyword); proposed Wed 25 Nov 2026 10:30 ("25 '
            "Kasım'da saat on buçukta\")"
        ),
    ),
    Case(
        "5 Ocak",
        "reschedule",
        "2027-01-05 00:00",
        "low",
        'reschedule (a date or time, no keyword); proposed Tue 5 Jan 2027, no time ("5 Ocak")',
        date_only=True,
    ),
    Case(
        "öbür gün saat 3",
        "reschedule",
        "2026-11-20 15:00",
        "low",
        (
            'reschedule (a date or time, no keyword); proposed Fri 20 Nov 2026 15:00 ("öbür gün '
            'saat 3")'
        ),
    ),
    Case(
        "bu akşam 7'de",
        "reschedule",
        "2026-11-18 19:00",
        "low",
        (
            'reschedule (a date or time, no keyword); proposed Wed 18 Nov 2026 19:00 ("bu akşam '
            "7'de\")"
        ),
    ),
    Case(
        "sabah olur mu",
        "reschedule",
        "2026-11-19 09:00",
        "high",
        'reschedule; proposed Thu 19 Nov 2026 morning 09:00 ("sabah"); read "olur mu" (question)',
        part="morning",
    ),
    Case(
        "yarın sabah 8 gibi uygunum",
        "reschedule",
        "2026-11-19 08:00",
        "high",
        (
            'reschedule; proposed Thu 19 Nov 2026 08:00 ("yarın sabah 8 gibi"); read "uygunum" '
            "(offer)"
        ),
    ),
    Case(
        "Onaylıyorum, cuma 14:30'da görüşmek üzere",
        "confirm",
        "2026-11-20 14:30",
        "high",
        (
            'confirm, naming a time; proposed Fri 20 Nov 2026 14:30 ("cuma 14:30\'da"); read '
            '"Onaylıyorum" (yes), "görüşmek üzere" (yes)'
        ),
    ),
    Case(
        "Haftaya Salı öğleden sonra 3 gibi uygun musunuz?",
        "reschedule",
        "2026-11-24 15:00",
        "high",
        (
            'reschedule; proposed Tue 24 Nov 2026 15:00 ("Haftaya Salı öğleden sonra 3 gibi"); '
            'read "uygun musunuz" (question)'
        ),
    ),
    Case(
        "pazartesiye alabilir miyiz",
        "reschedule",
        "2026-11-23 00:00",
        "high",
        (
            'reschedule; proposed Mon 23 Nov 2026, no time ("pazartesiye"); read "alabilir miyiz" '
            "(question)"
        ),
        date_only=True,
    ),
    Case(
        "yarın olmaz, cuma olur mu?",
        "reschedule",
        "2026-11-20 00:00",
        "high",
        (
            'reschedule; cannot make Thu 19 Nov 2026, no time ("yarın"); proposed Fri 20 Nov 2026, '
            'no time ("cuma"); read "olmaz" (not yes), "olur mu" (question)'
        ),
        date_only=True,
    ),
    Case(
        "cuma yerine cumartesi sabah",
        "reschedule",
        "2026-11-21 09:00",
        "high",
        (
            'reschedule; cannot make Fri 20 Nov 2026, no time ("cuma"); proposed Sat 21 Nov 2026 '
            'morning 09:00 ("cumartesi sabah"); read "yerine" (reschedule)'
        ),
        part="morning",
    ),
    Case(
        "yarın müsait değilim",
        "reschedule",
        None,
        "low",
        (
            "reschedule (cannot come, no other time); cannot make Thu 19 Nov 2026, no time "
            '("yarın"); read "müsait değilim" (cannot come)'
        ),
    ),
    Case(
        "İyi günler, İSTANBUL'da değilim, haftaya salı?",
        "reschedule",
        "2026-11-24 00:00",
        "high",
        (
            'reschedule; proposed Tue 24 Nov 2026, no time ("haftaya salı"); read "İSTANBUL\'da '
            'değilim" (cannot come)'
        ),
        date_only=True,
    ),
    Case(
        "Merhaba, Salih ben",
        None,
        None,
        "low",
        "unclear: no yes, no, refusal, reschedule or date recognised",
    ),
    Case(
        "adresimi değiştirmek istiyorum",
        None,
        None,
        "low",
        'unclear: asks for something else; read "adresimi değiştirmek" (other request)',
    ),
    Case(
        "Evet, yarın",
        "confirm",
        "2026-11-19 00:00",
        "high",
        'confirm, naming a time; proposed Thu 19 Nov 2026, no time ("yarın"); read "Evet" (yes)',
        date_only=True,
    ),
    # the voice menu's digits
    Case("1", "confirm", None, "high", 'confirm; menu choice "1"'),
    Case("2", "reject", None, "high", 'reject; menu choice "2"'),
    Case("3", "reschedule", None, "high", 'reschedule; menu choice "3"'),
    Case("1️⃣", "confirm", None, "high", 'confirm; menu choice "1"'),
    # English
    Case("Yes", "confirm", None, "high", 'confirm; read "Yes" (yes)'),
    Case(
        "Good morning, yes confirmed",
        "confirm",
        None,
        "high",
        'confirm; read "yes" (yes), "confirmed" (yes)',
    ),
    Case("ok see you then", "confirm", None, "high", 'confirm; read "ok" (yes), "see you" (yes)'),
    Case("no problem", "confirm", None, "high", 'confirm; read "no problem" (yes)'),
    Case("👍", "confirm", None, "high", 'confirm; read "👍" (yes)'),
    Case(
        "see you tomorrow at 10",
        "confirm",
        "2026-11-19 10:00",
        "high",
        (
            'confirm, naming a time; proposed Thu 19 Nov 2026 10:00 ("tomorrow at 10"); read "see '
            'you" (yes)'
        ),
    ),
    Case("No thanks", "reject", None, "high", 'reject; read "No thanks" (refusal)'),
    Case(
        "please cancel tomorrow's appointment",
        "reject",
        None,
        "low",
        'reject; mentioned Thu 19 Nov 2026, no time ("tomorrow"); read "cancel" (refusal)',
    ),
    Case("not ok", "reject", None, "low", 'reject (a negated yes); read "not ok" (not yes)'),
    Case(
        "yes no",
        None,
        None,
        "low",
        'unclear: yes and no (or later) together; read "yes" (yes), "no" (no)',
    ),
    Case(
        "not sure", None, None, "low", 'unclear: the customer is unsure; read "not sure" (unsure)'
    ),
    Case(
        "I'd like to reschedule",
        "reschedule",
        None,
        "high",
        'reschedule; read "reschedule" (reschedule)',
    ),
    Case(
        "can we do next Monday morning instead",
        "reschedule",
        "2026-11-23 09:00",
        "high",
        (
            'reschedule; proposed Mon 23 Nov 2026 morning 09:00 ("next Monday morning"); read "can '
            'we do" (question), "instead" (reschedule)'
        ),
        part="morning",
    ),
    Case(
        "tomorrow at 3pm please",
        "reschedule",
        "2026-11-19 15:00",
        "low",
        (
            'reschedule (a date or time, no keyword); proposed Thu 19 Nov 2026 15:00 ("tomorrow at '
            '3pm")'
        ),
    ),
    Case(
        "ok, tomorrow at 10?",
        "reschedule",
        "2026-11-19 10:00",
        "low",
        (
            'reschedule (asks about a time); proposed Thu 19 Nov 2026 10:00 ("tomorrow at 10"); '
            'read "ok" (yes)'
        ),
    ),
    Case(
        "I'm not home on Friday, Saturday 10am?",
        "reschedule",
        "2026-11-21 10:00",
        "high",
        (
            'reschedule; cannot make Fri 20 Nov 2026, no time ("Friday"); proposed Sat 21 Nov 2026 '
            '10:00 ("Saturday 10am"); read "not home" (cannot come)'
        ),
    ),
    Case(
        "no I can't come tomorrow, how about Friday",
        "reschedule",
        "2026-11-20 00:00",
        "high",
        (
            'reschedule; cannot make Thu 19 Nov 2026, no time ("tomorrow"); proposed Fri 20 Nov '
            '2026, no time ("Friday"); read "no" (no), "can\'t come" (cannot come), "how about" '
            "(question)"
        ),
        date_only=True,
    ),
    Case(
        "yes but can we do Friday instead",
        "reschedule",
        "2026-11-20 00:00",
        "high",
        (
            'reschedule; proposed Fri 20 Nov 2026, no time ("Friday"); read "yes" (yes), "but" '
            '(but), "can we do" (question), "instead" (reschedule)'
        ),
        date_only=True,
    ),
    Case(
        "Saturday instead of Friday",
        "reschedule",
        "2026-11-21 00:00",
        "high",
        (
            'reschedule; cannot make Fri 20 Nov 2026, no time ("Friday"); proposed Sat 21 Nov '
            '2026, no time ("Saturday"); read "instead" (reschedule)'
        ),
        date_only=True,
    ),
    Case(
        "Friday or Saturday",
        "reschedule",
        "2026-11-20 00:00",
        "low",
        (
            "reschedule (a date or time, no keyword); proposed Fri 20 Nov 2026, no time "
            '("Friday"); also mentioned Sat 21 Nov 2026, no time ("Saturday")'
        ),
        date_only=True,
    ),
    Case(
        "next Friday",
        "reschedule",
        "2026-11-27 00:00",
        "low",
        (
            'reschedule (a date or time, no keyword); proposed Fri 27 Nov 2026, no time ("next '
            'Friday")'
        ),
        date_only=True,
    ),
    Case(
        "Wednesday",
        "reschedule",
        "2026-11-25 00:00",
        "low",
        (
            "reschedule (a date or time, no keyword); proposed Wed 25 Nov 2026, no time "
            '("Wednesday")'
        ),
        date_only=True,
    ),
    Case(
        "today 10am",
        "reschedule",
        "2026-11-18 10:00",
        "low",
        (
            'reschedule (a date or time, no keyword); proposed Wed 18 Nov 2026 10:00 ("today '
            '10am"); in the past'
        ),
    ),
    Case(
        "11/25 at 10:30",
        "reschedule",
        "2026-11-25 10:30",
        "low",
        (
            'reschedule (a date or time, no keyword); proposed Wed 25 Nov 2026 10:30 ("11/25 at '
            '10:30"); read the date as month/day'
        ),
    ),
    Case(
        "Can we move it to the 25th?",
        "reschedule",
        "2026-11-25 00:00",
        "high",
        (
            'reschedule; proposed Wed 25 Nov 2026, no time ("the 25th"); read "Can we" (question), '
            '"move" (reschedule)'
        ),
        date_only=True,
    ),
    Case(
        "at 5pm?",
        "reschedule",
        "2026-11-18 17:00",
        "low",
        'reschedule (a date or time, no keyword); proposed Wed 18 Nov 2026 17:00 ("5pm")',
    ),
    Case(
        "10am?",
        "reschedule",
        "2026-11-19 10:00",
        "low",
        'reschedule (a date or time, no keyword); proposed Thu 19 Nov 2026 10:00 ("10am")',
    ),
    Case(
        "I can't make it",
        "reschedule",
        None,
        "low",
        'reschedule (cannot come, no other time); read "can\'t make it" (cannot come)',
    ),
    Case(
        "Can I change my address?",
        None,
        None,
        "low",
        'unclear: asks for something else; read "change my address" (other request)',
    ),
    # nothing to read: an agent looks
    Case("", None, None, "low", "unclear: empty message"),
    Case(
        "asdfgh", None, None, "low", "unclear: no yes, no, refusal, reschedule or date recognised"
    ),
    Case(
        "who is this?",
        None,
        None,
        "low",
        "unclear: no yes, no, refusal, reschedule or date recognised",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.text or "<empty>" for c in CASES])
def test_reads_reply(case: Case) -> None:
    reply = read_reply(case.text, now=NOW, timezone=TZ)

    assert reply == case.expected()
    assert reply.when is None or reply.when.tzinfo is dt.UTC


@pytest.mark.parametrize(
    ("timezone", "tomorrow", "day"),
    [
        ("Europe/Istanbul", "2026-11-20", "Fri 20 Nov"),  # 00:30 on Thursday there
        ("Europe/London", "2026-11-19", "Thu 19 Nov"),  # 21:30 on Wednesday
        ("America/New_York", "2026-11-19", "Thu 19 Nov"),  # 16:30 on Wednesday
    ],
)
def test_tomorrow_is_counted_in_the_customers_timezone(
    timezone: str, tomorrow: str, day: str
) -> None:
    now = dt.datetime(2026, 11, 18, 21, 30, tzinfo=dt.UTC)
    midnight = dt.datetime.fromisoformat(tomorrow).replace(tzinfo=ZoneInfo(timezone))

    reply = read_reply("tomorrow", now=now, timezone=timezone)

    assert reply == ReadReply(
        intent="reschedule",
        when=midnight.astimezone(dt.UTC),
        when_is_date_only=True,
        part_of_day=None,
        confidence="low",
        reason=(
            f'reschedule (a date or time, no keyword); proposed {day} 2026, no time ("tomorrow")'
        ),
    )


@pytest.mark.parametrize(
    ("local_now", "expected"),
    [
        ("2026-11-18 23:59", "2026-11-19 10:00"),
        ("2026-11-19 00:01", "2026-11-20 10:00"),
    ],
)
def test_yarin_turns_over_at_local_midnight(local_now: str, expected: str) -> None:
    now = dt.datetime.fromisoformat(local_now).replace(tzinfo=ISTANBUL)

    reply = read_reply("yarın 10:00 olur mu", now=now, timezone=TZ)

    assert (reply.intent, reply.when) == ("reschedule", istanbul(expected))


def test_now_may_be_given_in_any_timezone() -> None:
    in_tokyo = NOW.astimezone(ZoneInfo("Asia/Tokyo"))  # already Thursday 21:00 there

    assert read_reply("tomorrow 10am", now=in_tokyo, timezone=TZ) == read_reply(
        "tomorrow 10am", now=NOW, timezone=TZ
    )
    assert read_reply("tomorrow 10am", now=in_tokyo, timezone=TZ).when == istanbul(
        "2026-11-19 10:00"
    )


def test_a_local_time_across_a_clock_change_keeps_its_wall_time() -> None:
    # London moves to summer time on Sunday 28 March 2027: 10:00 there is 09:00 UTC.
    now = dt.datetime(2027, 3, 27, 12, 0, tzinfo=dt.UTC)

    reply = read_reply("tomorrow 10:00", now=now, timezone="Europe/London")

    assert reply.when == dt.datetime(2027, 3, 28, 9, 0, tzinfo=dt.UTC)


def test_language_hint_does_not_narrow_the_reading() -> None:
    replies = {
        language: read_reply("evet, see you tomorrow", now=NOW, timezone=TZ, language=language)
        for language in ("tr", "en", None)
    }

    assert replies["tr"] == replies["en"] == replies[None]
    assert replies[None].intent == "confirm"


def test_a_long_message_is_read_only_so_far_and_left_to_an_agent() -> None:
    text = "Evet. " + "x" * 2000

    reply = read_reply(text, now=NOW, timezone=TZ)

    assert reply == ReadReply(
        intent="confirm",
        when=None,
        when_is_date_only=False,
        part_of_day=None,
        confidence="low",
        reason='confirm; read "Evet" (yes); read only the first 1000 of 2006 characters',
    )


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        read_reply("evet", now=dt.datetime(2026, 11, 18, 15, 0), timezone=TZ)


def test_unknown_timezone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown timezone 'Europe/Nowhere'"):
        read_reply("evet", now=NOW, timezone="Europe/Nowhere")
