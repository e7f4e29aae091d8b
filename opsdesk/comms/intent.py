"""Read a customer's free-text reply: confirm, reject or reschedule, and a proposed date.

Pure: no Django, no clock; `now` and the customer's timezone are arguments.
English and Turkish are always both read, whatever the customer's language:
customers mix them and often type Turkish without diacritics. What cannot be
read comes back with `intent=None` and a reason, for an agent.

Dates are read by the explicit patterns below rather than `dateparser`, which
mis-read most of the Turkish phrases customers send ("haftaya pazartesi sabah",
"cuma günü saat 14", "25.11 saat 11", "öbür gün") and lost parts of day.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Intent = Literal["confirm", "reject", "reschedule"]
PartOfDay = Literal["morning", "afternoon", "evening"]
Confidence = Literal["high", "low"]

# The voice call's menu (opsdesk/comms/adapters/twiml.py): a lone digit means the same here.
MENU: dict[str, Intent] = {"1": "confirm", "2": "reject", "3": "reschedule"}
PART_OF_DAY_HOUR: dict[PartOfDay, int] = {"morning": 9, "afternoon": 14, "evening": 18}
# Replies are short; a long text is read only this far (the cost grows with every date in it).
MAX_CHARS = 1000


@dataclass(frozen=True)
class ReadReply:
    intent: Intent | None  # None: could not read it, an agent must look
    # The proposed moment, aware UTC. Date only: local midnight of that day.
    when: dt.datetime | None
    when_is_date_only: bool  # "next Monday": a day, no time
    # Set when `when` holds this part of day's default hour, not a time the customer named.
    part_of_day: PartOfDay | None
    confidence: Confidence
    reason: str  # for the agent: what was recognised


# --- normalising -----------------------------------------------------------------------------

_TR_CAPITALS = str.maketrans({"İ": "i", "I": "ı"})
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})


def _fold(text: str) -> tuple[str, list[int]]:
    """Lowercase the Turkish way, then drop diacritics ("yarın" and "yarin" read alike).

    Returns the folded text and, for each of its characters, the index of the
    original character, so the reason can quote what the customer wrote.
    Plain `lower()` turns "İ" into "i" plus a combining dot; NFKD and dropping
    marks removes it, and "ı" (which has no decomposition) becomes "i".
    """
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        lowered = char.translate(_TR_CAPITALS).lower().translate(_APOSTROPHES)
        for part in unicodedata.normalize("NFKD", lowered):
            if unicodedata.category(part) in ("Mn", "Me"):  # accents, U+FE0F, keycap
                continue
            chars.append("i" if part == "ı" else part)
            origin.append(index)
    return "".join(chars), origin


class _Text:
    """The folded text; what a pattern has read is blanked so later patterns skip it."""

    def __init__(self, original: str) -> None:
        self.original = original
        self.folded, self._origin = _fold(original)
        self.work = self.folded

    def take(self, pattern: re.Pattern[str], pos: int | None = None) -> list[re.Match[str]]:
        if pos is None:
            found = list(pattern.finditer(self.work))
        else:
            one = pattern.match(self.work, pos)
            found = [one] if one else []
        pieces: list[str] = []
        last = 0
        for match in found:
            start, end = match.span()
            pieces += [self.work[last:start], " " * (end - start)]
            last = end
        self.work = "".join(pieces) + self.work[last:]
        return found

    def quote(self, start: int, end: int) -> str:
        return self.original[self._origin[start] : self._origin[end - 1] + 1]


# --- dates and times -------------------------------------------------------------------------

# Turkish case endings on day and month names: "cumaya", "yarından", "Kasım'da".
_SFX = r"(?:'?(?:ya|ye|yi|yu|nin|nun|dan|den|tan|ten|da|de|ta|te|ki|a|e|i|u))?"
_WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6, "pazartesi": 0, "sali": 1, "carsamba": 2, "persembe": 3, "cuma": 4,
    "cumartesi": 5, "pazar": 6,
}  # fmt: skip
_EN_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTHS = {
    "ocak": 1, "subat": 2, "mart": 3, "nisan": 4, "mayis": 5, "haziran": 6, "temmuz": 7,
    "agustos": 8, "eylul": 9, "ekim": 10, "kasim": 11, "aralik": 12, **_EN_MONTHS,
}  # fmt: skip
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "bir": 1, "iki": 2, "uc": 3, "dort": 4,
    "bes": 5, "alti": 6, "yedi": 7, "sekiz": 8, "dokuz": 9, "on": 10, "on bir": 11, "onbir": 11,
    "on iki": 12, "oniki": 12,
}  # fmt: skip


def _alt(words: Iterable[str]) -> str:
    """A regex alternation, longest first so "cumartesi" wins over "cuma"."""
    return "|".join(sorted((re.escape(w).replace(r"\ ", r"\s+") for w in words), key=len)[::-1])


_GREETING = re.compile(
    r"\b(?:good\s+(?:morning|afternoon|evening|night|day)|gunaydin|tunaydin"
    r"|(?:iyi|hayirli)\s+(?:aksamlar|geceler|gunler|sabahlar|calismalar))\b"
)
_TODAY_AND_PART = re.compile(
    r"\b(?:tonight|this\s+(?P<en>morning|afternoon|evening)"
    r"|bu\s+(?P<tr>sabah|ogleden\s+sonra|aksam|gece)\w*)\b"
)
_TODAY_PARTS: dict[str, PartOfDay] = {
    "morning": "morning", "sabah": "morning", "afternoon": "afternoon", "ogleden": "afternoon",
}  # fmt: skip
_RELATIVE_DAY = re.compile(
    rf"\b(?:(?P<d2>(?:the\s+)?day\s+after\s+tomorrow|obur\s*gun\w*|yarindan\s+sonra)"
    rf"|(?P<d1>tomorrow|tmrw|yarin{_SFX})|(?P<d0>today|bugun{_SFX}))\b"
)
_WEEKDAY = re.compile(
    r"\b(?P<mod>next\s+week\s+|next\s+|this\s+coming\s+|coming\s+|this\s+|haftaya\s+"
    r"|(?:gelecek|onumuzdeki|sonraki)\s+hafta(?:ki)?\s+|gelecek\s+|onumuzdeki\s+|bu\s+)?"
    rf"(?P<name>{_alt(_WEEKDAYS)}){_SFX}\b(?:\s+gunu\w*)?(?P<post>\s+(?:of\s+)?next\s+week)?"
)
_FULL_DATE = re.compile(r"\b(?P<d>\d{1,2})[./-](?P<m>\d{1,2})[./-](?P<y>\d{4}|\d{2})\b")
# "the 25th": that day this month, or next month once it has passed.
_NTH = re.compile(r"\bthe\s+(?P<d>\d{1,2})(?:st|nd|rd|th)\b(?!\s+of\b)")
_DAY_MONTH = re.compile(
    rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_alt(_MONTHS)}){_SFX}\b"
    r"(?:\s+(?P<y>\d{4})\b)?"
)
_MONTH_DAY = re.compile(
    # "November 25" is English only; "may" and "mar" are too often words.
    rf"\b(?P<mon>{_alt(k for k in _EN_MONTHS if k not in ('may', 'mar'))})"
    r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>\d{4})\b)?"
)
_SLASH_DATE = re.compile(r"\b(?P<a>\d{1,2})/(?P<b>\d{1,2})\b(?!/)")
_DOTTED = re.compile(r"\b(?P<a>\d{1,2})\.(?P<b>\d{1,2})\b(?!\.\d)")
_T_SUFFIX = r"(?:'?(?:de|da|te|ta))?"
_SAAT = re.compile(
    rf"\bsaat\s+(?:(?P<h>\d{{1,2}})(?:[:.](?P<m>\d{{2}}))?|(?P<w>{_alt(_NUMBER_WORDS)}))"
    rf"{_T_SUFFIX}(?P<half>\s+bucuk\w*)?\b"
)
_MERIDIEM = re.compile(
    r"\b(?:(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?|(?P<w>one|two|three|four|five|six|seven|eight"
    r"|nine|ten|eleven|twelve))\s*(?:(?P<ap>[ap])\.?m\b\.?|o'?clock\b)"
)
_CLOCK = re.compile(rf"\b(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)\b{_T_SUFFIX}")
_AT_HOUR = re.compile(r"\b(?:at|around|by)\s+(?P<h>[01]?\d|2[0-3])\b(?![./:]\d)")
_HOUR_SUFFIX = re.compile(r"\b(?P<h>[01]?\d|2[0-3])'?(?:de|da|te|ta)\b(?P<half>\s+bucuk\w*)?")
_NOON = re.compile(r"\b(?:noon|midday|ogle(?:n|yin)?(?:\s+vakti)?|ogle\s+arasi)\b")
_PARTS: tuple[tuple[PartOfDay, re.Pattern[str]], ...] = (
    ("morning", re.compile(r"\b(?:in\s+the\s+)?morning\b|\b(?:ogleden|oglen)\s+once\b|\bsabah\w*")),
    (
        "afternoon",
        re.compile(r"\b(?:in\s+the\s+)?afternoon\b|\b(?:ogleden|oglen(?:den)?)\s+sonra\w*"),
    ),
    ("evening", re.compile(r"\b(?:in\s+the\s+)?evening\b|\b(?:at\s+)?night\b|\baksam\w*")),
)
# An hour right after a day or part of day: "yarın 10", "cuma günü 14 gibi", "sabah 9".
_BARE_HOUR = re.compile(
    r"\s+(?:at\s+|around\s+)?(?P<h>[01]?\d|2[0-3])" + _T_SUFFIX + r"\b(?![./:]\d)(?:\s+gibi\b)?"
)


@dataclass(frozen=True)
class _Day:
    start: int
    end: int
    date: dt.date
    swapped: bool = False  # read month/day because day/month is not a date


@dataclass(frozen=True)
class _Time:
    start: int
    end: int
    hour: int
    minute: int
    meridiem: str | None  # "a", "p"; None: 24-hour clock or a guess
    may_be_pm: bool  # "at 3", "saat 3": customers mean 15:00, unless written "03"


@dataclass(frozen=True)
class _Part:
    start: int
    end: int
    part: PartOfDay


def _next_date(today: dt.date, day: int, month: int, year: int | None) -> dt.date | None:
    """The date, in the coming year when no year is given and it has passed."""
    if year is not None and year < 100:
        year += 2000
    try:
        date = dt.date(year or today.year, month, day)
        if year is None and date < today:
            date = dt.date(today.year + 1, month, day)
    except ValueError:
        return None
    return date


def _weekday(today: dt.date, target: int, mode: str) -> dt.date:
    if mode == "next_week":  # "next Monday", "haftaya cuma": that day of the coming ISO week
        return today + dt.timedelta(days=7 - today.weekday() + target)
    ahead = (target - today.weekday()) % 7
    if mode == "upcoming" and ahead == 0:  # "Wednesday" said on a Wednesday: next week's
        ahead = 7
    return today + dt.timedelta(days=ahead)


def _time(match: re.Match[str]) -> _Time | None:
    groups = match.groupdict()
    words = groups.get("w")
    hour = _NUMBER_WORDS[re.sub(r"\s+", " ", words)] if words else int(groups["h"])
    minute = int(groups["m"]) if groups.get("m") else (30 if groups.get("half") else 0)
    if hour > 23 or minute > 59:
        return None
    padded = bool(groups.get("h")) and groups["h"].startswith("0")
    meridiem = groups.get("ap")
    return _Time(*match.span(), hour, minute, meridiem, not padded)


def _scan_dates(text: _Text, today: dt.date) -> tuple[list[_Day], list[_Time], list[_Part]]:
    days: list[_Day] = []
    times: list[_Time] = []
    parts: list[_Part] = []
    text.take(_GREETING)  # "good morning" is not a time
    for m in text.take(_TODAY_AND_PART):
        days.append(_Day(*m.span(), today))
        named = m["en"] or (m["tr"] or "tonight").split()[0]
        parts.append(_Part(*m.span(), _TODAY_PARTS.get(named, "evening")))
    for m in text.take(_RELATIVE_DAY):
        offset = 2 if m["d2"] else 1 if m["d1"] else 0
        days.append(_Day(*m.span(), today + dt.timedelta(days=offset)))
    for m in text.take(_WEEKDAY):
        mod = " ".join((m["mod"] or "").split())
        if m["post"] or mod in ("next", "next week", "haftaya", "gelecek") or "hafta" in mod:
            mode = "next_week"
        else:
            mode = "this" if mod in ("this", "bu") else "upcoming"
        days.append(_Day(*m.span(), _weekday(today, _WEEKDAYS[m["name"]], mode)))
    for m in [*text.take(_FULL_DATE), *text.take(_DAY_MONTH), *text.take(_MONTH_DAY)]:
        month = int(m["m"]) if "m" in m.groupdict() else _MONTHS[m["mon"]]
        year = int(m["y"]) if m["y"] else None
        if date := _next_date(today, int(m["d"]), month, year):
            days.append(_Day(*m.span(), date))
    for m in text.take(_NTH):
        month_start = today.replace(day=1)
        for first in (month_start, (month_start + dt.timedelta(days=32)).replace(day=1)):
            if (date := _next_date(first, int(m["d"]), first.month, first.year)) and date >= today:
                days.append(_Day(*m.span(), date))
                break
    for pattern in (_SAAT, _MERIDIEM, _CLOCK):
        times += [t for m in text.take(pattern) if (t := _time(m))]
    for m in text.take(_SLASH_DATE):
        a, b = int(m["a"]), int(m["b"])
        if date := _next_date(today, a, b, None):
            days.append(_Day(*m.span(), date))
        elif date := _next_date(today, b, a, None):  # "11/25": only month/day makes a date
            days.append(_Day(*m.span(), date, swapped=True))
    for m in text.take(_DOTTED):
        a, b, minutes = int(m["a"]), int(m["b"]), m["b"]
        if (date := _next_date(today, a, b, None)) and b <= 12:
            days.append(_Day(*m.span(), date))
        elif a <= 23 and len(minutes) == 2 and b <= 59:  # "10.30", "14.00": a time
            times.append(_Time(*m.span(), a, b, None, not m["a"].startswith("0")))
    for pattern in (_AT_HOUR, _HOUR_SUFFIX):
        times += [t for m in text.take(pattern) if (t := _time(m))]
    times += [_Time(*m.span(), 12, 0, "p", False) for m in text.take(_NOON)]
    for part, pattern in _PARTS:
        parts += [_Part(*m.span(), part) for m in text.take(pattern)]
    for end in sorted({d.end for d in days} | {p.end for p in parts}):
        times += [
            replace(t, start=m.start("h")) for m in text.take(_BARE_HOUR, end) if (t := _time(m))
        ]
    return days, times, parts


# --- grouping dates into proposals -----------------------------------------------------------


@dataclass
class _Group:
    day: _Day | None
    times: list[_Time] = field(default_factory=list)
    parts: list[_Part] = field(default_factory=list)

    def spans(self) -> list[tuple[int, int]]:
        items: list[_Day | _Time | _Part] = [*self.times, *self.parts]
        if self.day:
            items.append(self.day)
        return sorted((i.start, i.end) for i in items)


@dataclass(frozen=True)
class _Proposal:
    local: dt.datetime
    date_only: bool
    part: PartOfDay | None
    quote: str
    notes: tuple[str, ...]  # why a reader should doubt it


def _gap(a: _Day | _Time | _Part | None, b: _Time | _Part) -> tuple[int, int]:
    """Distance between spans; on a tie the day before the time wins ("Friday 10am Sat")."""
    if a is None:
        return (0, 0)
    return (max(0, b.start - a.end, a.start - b.end), 0 if a.start < b.start else 1)


def _group(days: list[_Day], times: list[_Time], parts: list[_Part]) -> list[_Group]:
    groups = [_Group(d) for d in sorted(days, key=lambda d: d.start)]
    if not groups and (times or parts):
        groups = [_Group(None)]
    attached: list[_Time | _Part] = [*times, *parts]
    for item in sorted(attached, key=lambda i: i.start):
        nearest = min(groups, key=lambda g: _gap(g.day, item))
        if isinstance(item, _Time):
            nearest.times.append(item)
        else:
            nearest.parts.append(item)
    return groups


def _hour(time: _Time, part: PartOfDay | None) -> int:
    hour = time.hour
    if time.meridiem == "p" and hour < 12:
        return hour + 12
    if time.meridiem == "a":
        return 0 if hour == 12 else hour
    if part in ("afternoon", "evening") and hour < 12:
        return hour + 12
    if part is None and time.may_be_pm and 1 <= hour <= 7:
        return hour + 12
    return hour


def _propose(group: _Group, text: _Text, now: dt.datetime) -> _Proposal:
    part = group.parts[0].part if group.parts else None
    time = group.times[0] if group.times else None
    notes: list[str] = []
    if time:
        clock, date_only = dt.time(_hour(time, part), time.minute), False
        part = None  # the customer named the time; the part of day only helped read it
    elif part:
        clock, date_only = dt.time(PART_OF_DAY_HOUR[part]), False
    else:
        clock, date_only = dt.time(0), True
    if group.day:
        date = group.day.date
        if group.day.swapped:
            notes.append("read the date as month/day")
    else:  # a time alone: its next occurrence
        date = now.date()
        if dt.datetime.combine(date, clock, tzinfo=now.tzinfo) <= now:
            date += dt.timedelta(days=1)
    local = dt.datetime.combine(date, clock, tzinfo=now.tzinfo)
    if (date < now.date()) if date_only else (local < now):
        notes.append("in the past")
    if len({t.hour * 60 + t.minute for t in group.times}) > 1:
        notes.append("several times given")
    spans = group.spans()
    return _Proposal(
        local,
        date_only,
        part,
        text.quote(spans[0][0], max(end for _, end in spans)),
        tuple(notes),
    )


# --- words -----------------------------------------------------------------------------------

_NEG = r"(?:\bnot|\b\w+n't|\bnever|\bcannot|\bcant|\bdont|\bdoesnt|\bisnt|\bwont|\barent)"
_UNAVAILABLE = (
    rf"(?:{_NEG}|\bcan\s+not|\bunable\s+to|\bwont\s+be\s+able\s+to)\s+(?:be\s+)?"
    r"(?:come|make\s+it|attend|be\s+there|do\s+it|available|home|there|around|in\s+town)\b"
    r"|\b(?:unavailable|busy|out\s+of\s+town|at\s+work|on\s+(?:holiday|vacation)"
    r"|travell?ing|in\s+a\s+meeting|sick)\b"
    r"|\bmusait\s+degil\w*|\b(?:gelemi|gelemey|gelemem|gelmeyece|gelmiyor|katilama|olamay"
    r"|olamam)\w*|\b(?:evde|orada|burada)\s+(?:olmayacag\w*|yok\w*|degil\w*)|\byok(?:um|uz)\b"
    r"|\b(?:isteyim|tatildeyim|seyahatteyim|yolculuktayim|toplantidayim|hastayim)\b"
    r"|\bsehir\s+disinda\w*|\b\w+'?[dt][ae]\s+degil(?:im|iz)\b"  # "İstanbul'da değilim"
)
# Order matters: each kind blanks what it read, so "no thanks" is never read as "no".
_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("unsure", r"\b(?:not\s+sure|unsure|maybe|perhaps|(?:don'?t|do\s+not)\s+know"
                   r"|let\s+me\s+check|(?:i'?ll|i\s+will)\s+(?:check|let\s+you\s+know)"
                   r"|emin\s+degil\w*|belki|bilmiyorum|bakacag\w*|bakayim|dusunece\w*)\b"),
        # "change my address" asks for something else; it must not read as "change" the date.
        ("other request", r"\b(?:(?:chang\w*|updat\w*)\s+(?:(?:my|the|our|your)\s+)?(?:address"
                          r"|phone|number|e-?mail|name|password|details|documents?)"
                          r"|(?:adres|telefon|numara|e-?posta|isim|ad[ii]m|soyad|sifre|bilgi"
                          r"|belge)\w*\s+(?:\w+\s+)?(?:degistir|guncelle)\w*)\b"),
        ("refusal", r"\b(?:cancel\w*|reject\w*|declin\w*|(?:don'?t|do\s+not)\s+(?:want|need)\w*"
                   r"|not\s+interested|no\s+thanks?|no\s+thank\s+you|no\s+longer\s+need\w*"
                   r"|iptal\w*|istemiyor\w*|istemem\w*|vazgec\w*|gerek\s+yok"
                   r"|ilgilenmiyor\w*|redded\w*|reddet\w*|onaylami\w*|onaylamam\w*"
                   r"|kabul\s+etm(?:iyor|em)\w*|(?:don'?t|do\s+not|won'?t)\s+(?:confirm|accept)\w*)"),
        ("cannot come", _UNAVAILABLE),
        ("not yes", rf"{_NEG}\s+(?:\w+\s+)?(?:ok|okay|fine|good|confirm\w*|agree\w*|work\w*"
                    r"|great|perfect|convenient|coming|suit\w*)\b"
                    r"|\b(?:olmaz|olmuyor|uymuyor|uymaz)\w*"
                    r"|\b(?:tamam|uygun|olur)\s+(?:\w+\s+)?degil\w*"),
        ("yes", r"\b(?:no\s+(?:problem|worries)|(?:sorun|problem|sikinti)\w*\s+yok)\b"),
        ("reschedule", r"\b(?:re-?schedul\w*|postpon\w*|chang\w*|move|moving|instead"
                       r"|(?:another|different|some\s+other|other)\s+(?:day|time|date|slot)"
                       r"|next\s+week|ertele\w*|degistir\w*|baska\s+(?:bir\s+)?(?:gun|zaman"
                       r"|saat|tarih|vakit)\w*|yerine|haftaya|(?:gelecek|onumuzdeki)\s+hafta\w*"
                       r"|kaydir\w*|ileri\s+bir\s+tarih\w*)\b"),
        ("question", r"\b(?:how\s+about|what\s+about|(?:can|could)\s+(?:we|you)(?:\s+do)?"
                     r"|would\s+(?:\w+\s+){0,2}work|is\s+(?:\w+\s+){0,2}possible|possible"
                     r"|olur\s+mu\w*|olabilir\s+mi\w*|uygun\s+(?:olur\s+)?mu\w*|uyar\s+mi\w*"
                     r"|musait\s+mi\w*|nasil|ne\s+dersiniz|\w+[ae]bilir\s*mi\w*)\b"),
        ("offer", r"\b(?:i'?m\s+free|i\s+am\s+free|available|prefer\w*|(?:works\s+)?better"
                  r"|i\s+(?:can|could)\s+(?:do|come|make\s+it)|musaitim|musaitiz|uygunum"
                  r"|tercih\w*|daha\s+iyi|(?:gelebilir|ugrayabilir|katilabilir)\w*)\b"),
        ("yes", r"\b(?:yes|yeah|yep|yup|yess+|ok|okay|okey|okk|sure|fine|confirm\w*|agreed?"
                r"|sounds\s+good|see\s+you\w*|works\s+for\s+me|that\s+works|perfect|great"
                r"|alright|all\s+right|correct|of\s+course|absolutely|definitely"
                r"|(?:i'?ll|i\s+will|will)\s+(?:be\s+there|come)|coming|evet|evt|tamam\w*|tmm"
                r"|olur|peki|tabii?|elbette|kesinlikle|onay\w*|kabul\w*|uygun\w*|gelece\w*"
                r"|gelirim|geliriz|orada\s+olacag\w*|gorusuruz|gorusmek\s+uzere|anlastik"
                r"|harika|super|mukemmel)\b|👍|✅|👌"),
        ("no", r"\b(?:no|nope|nah|hayir|hyr|yok)\b|👎|❌"),
        ("but", r"\b(?:but|however|ama|fakat|ancak)\b"),
        ("later", r"\b(?:later|daha\s+sonra|sonraya|ileride)\b"),
    )
)  # fmt: skip

# Where a clause ends, so "not" in "not home on Friday" does not reach "Saturday 10am".
_CLAUSE_END = re.compile(
    r"[,;!?\n]|\.(?=\s|$)|\b(?:but|however|instead|how\s+about|what\s+about|or|ama|fakat"
    r"|ancak|yoksa|veya|ya\s+da|yerine)\b"
)
_CLAUSE_NEGATION = re.compile(
    rf"{_NEG}\b|\bunable\b|{_UNAVAILABLE}|\b(?:degil|olmaz|olmuyor|yok)\w*|\b\w+m[iu]yor\w*"
    r"|\b\w{2,}[ae]m[ae]m\b|\b\w+m[ae]y[ae]c[ae]g\w*|\b\w{2,}m[ae]z\b"
)
_NOT_NEGATION = re.compile(
    r"\b(?:no\s+(?:problem|worries)|(?:sorun|problem|sikinti)\w*\s+yok|why\s+not)\b"
)
_REPLACED_BEFORE = re.compile(r"(?:instead\s+of|rather\s+than)\s+(?:on\s+)?$")
_REPLACED_AFTER = re.compile(r"\s*yerine\b")


def _negated(group: _Group, text: _Text, masked: str) -> bool:
    """Whether the customer rules this day out: "not Friday", "cuma yerine", "yarın olmaz"."""
    start, end = (group.day.start, group.day.end) if group.day else group.spans()[0]
    before = [m.end() for m in _CLAUSE_END.finditer(masked, 0, start)]
    after = _CLAUSE_END.search(masked, end)
    clause = masked[before[-1] if before else 0 : after.start() if after else len(masked)]
    return bool(
        _CLAUSE_NEGATION.search(clause)
        or _REPLACED_BEFORE.search(text.folded, 0, start)
        or _REPLACED_AFTER.match(text.folded, end)
    )


# --- deciding --------------------------------------------------------------------------------

# Not strftime("%a %b"): those follow the process locale.
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _describe(p: _Proposal) -> str:
    local = p.local
    day = f"{_WEEKDAYS_EN[local.weekday()]} {local.day} {_MONTHS_EN[local.month - 1]} {local.year}"
    if p.date_only:
        return f'{day}, no time ("{p.quote}")'
    moment = f"{day} {p.part} {p.local:%H:%M}" if p.part else f"{day} {p.local:%H:%M}"
    return f'{moment} ("{p.quote}")'


@dataclass
class _Reading:
    kinds: set[str]  # the kinds of words read
    quoted: list[tuple[int, str, str]]  # (position, quote, kind), for the reason
    proposals: list[_Proposal]  # days the customer proposes
    ruled_out: list[_Proposal]  # days the customer cannot make
    question: bool

    def has(self, *kinds: str) -> bool:
        return not self.kinds.isdisjoint(kinds)


def _read(text: _Text, now: dt.datetime) -> _Reading:
    days, times, parts = _scan_dates(text, now.date())
    found: list[_Day | _Time | _Part] = [*days, *times, *parts]
    spans = [(i.start, i.end) for i in found]
    quoted = sorted(
        (m.start(), text.quote(*m.span()), kind)
        for kind, pattern in _WORDS
        for m in text.take(pattern)
    )
    masked = text.folded
    for start, end in spans + [m.span() for m in _NOT_NEGATION.finditer(masked)]:
        masked = masked[:start] + "x" * (end - start) + masked[end:]
    proposals: list[_Proposal] = []
    ruled_out: list[_Proposal] = []
    for group in _group(days, times, parts):
        (ruled_out if _negated(group, text, masked) else proposals).append(
            _propose(group, text, now)
        )
    return _Reading({kind for *_, kind in quoted}, quoted, proposals, ruled_out, "?" in text.folded)


def _reply(
    intent: Intent | None,
    confidence: Confidence,
    head: str,
    reading: _Reading,
    proposal: _Proposal | None = None,
) -> ReadReply:
    parts = [head]
    parts += [f"cannot make {_describe(p)}" for p in reading.ruled_out]
    if proposal:
        parts.append(f"proposed {_describe(proposal)}")
        parts += [f"also mentioned {_describe(p)}" for p in reading.proposals if p is not proposal]
        parts += proposal.notes
    else:  # a refusal that names a day: shown, not proposed
        parts += [f"mentioned {_describe(p)}" for p in reading.proposals]
    if reading.quoted:
        parts.append("read " + ", ".join(f'"{q}" ({kind})' for _, q, kind in reading.quoted))
    when = proposal.local.astimezone(dt.UTC) if proposal else None
    return ReadReply(
        intent=intent,
        when=when,
        when_is_date_only=bool(proposal and proposal.date_only),
        part_of_day=proposal.part if proposal else None,
        confidence=confidence,
        reason="; ".join(parts),
    )


def _decide(r: _Reading) -> ReadReply:
    proposal = r.proposals[0] if r.proposals else None
    doubts = r.has("unsure") or (proposal is not None and bool(proposal.notes))
    doubts = doubts or len({p.local for p in r.proposals}) > 1
    sure: Confidence = "low" if doubts else "high"
    # "but" weakens a yes or a no ("yes but I may be late"), not a move ("yes but Friday?").
    hedged: Confidence = "low" if doubts or r.has("but") else "high"
    if r.has("reschedule") or (proposal and r.has("question", "offer", "later")):
        return _reply("reschedule", sure, "reschedule", r, proposal)
    if r.has("refusal"):
        # "cancel tomorrow's appointment" is a refusal; with a date it may be a move.
        return _reply("reject", "low" if proposal else hedged, "reject", r)
    if proposal:
        if r.has("no", "not yes", "cannot come") or r.ruled_out:
            return _reply("reschedule", sure, "reschedule", r, proposal)
        if r.has("yes") and not r.question:
            return _reply("confirm", hedged, "confirm, naming a time", r, proposal)
        if r.has("yes"):
            return _reply("reschedule", "low", "reschedule (asks about a time)", r, proposal)
        return _reply("reschedule", "low", "reschedule (a date or time, no keyword)", r, proposal)
    if r.ruled_out or r.has("cannot come"):
        return _reply("reschedule", "low", "reschedule (cannot come, no other time)", r)
    if r.has("yes", "offer") and r.has("no", "not yes", "later"):
        return _reply(None, "low", "unclear: yes and no (or later) together", r)
    if r.has("not yes"):
        return _reply("reject", "high" if r.has("no") else "low", "reject (a negated yes)", r)
    if r.has("no"):
        return _reply("reject", hedged, "reject", r)
    if r.has("yes", "offer"):
        low = hedged == "low" or r.question or not r.has("yes")
        return _reply("confirm", "low" if low else "high", "confirm", r)
    if r.has("later"):
        return _reply("reschedule", "low", "reschedule (later, no time)", r)
    if r.has("unsure"):
        return _reply(None, "low", "unclear: the customer is unsure", r)
    if r.has("other request"):
        return _reply(None, "low", "unclear: asks for something else", r)
    if r.has("question"):
        return _reply(None, "low", "unclear: a question without a date", r)
    return _reply(None, "low", "unclear: no yes, no, refusal, reschedule or date recognised", r)


def read_reply(
    text: str, *, now: dt.datetime, timezone: str, language: str | None = None
) -> ReadReply:
    """Read `text` as an answer to "confirm, reject or reschedule?".

    `now` is any aware datetime; relative days ("tomorrow", "next Monday") are
    counted in `timezone`, the customer's. `language` ("tr", "en") is accepted
    but does not narrow the reading: both languages are always read.
    """
    del language  # see the docstring: customers answer in either language
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    try:
        local_now = now.astimezone(ZoneInfo(timezone))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {timezone!r}") from exc
    stripped = text.strip()
    if not stripped:
        return ReadReply(None, None, False, None, "low", "unclear: empty message")
    menu = re.fullmatch(r"([123])\s*[.)]?", _fold(stripped)[0]) if len(stripped) <= 8 else None
    if menu:
        choice = menu[1]
        reason = f'{MENU[choice]}; menu choice "{choice}"'
        return ReadReply(MENU[choice], None, False, None, "high", reason)
    reply = _decide(_read(_Text(text[:MAX_CHARS]), local_now))
    if len(text) > MAX_CHARS:
        note = f"; read only the first {MAX_CHARS} of {len(text)} characters"
        return replace(reply, confidence="low", reason=reply.reason + note)
    return reply
