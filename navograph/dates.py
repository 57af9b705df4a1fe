"""Dutch date expressions: "op zaterdag 14 en zondag 15 mei 2022", "van 28 tot en met 30 juni",
"29 en 30 november 2022", "12-13 oktober 2022", "26 april jl.", "30 juni - 1 juli 2022",
"in juli 2023", "in 2014", "eerder dit jaar".

``find_dates(text, ref)`` returns every expression with its character span; a date without a
year gets one from the reference date ``ref`` (the letter's own date or the date in its title),
using "jl."/"sinds"/"laatste" (past) and "aanstaande"/"volgende" (future) when present, else the
year that puts the date closest to ``ref``.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import NamedTuple

from .config import extraction_config


@dataclass(frozen=True, slots=True)
class DateExpr:
    start: int  # span in the text searched
    end: int
    first: dt.date | None  # None for year-only / month-only expressions
    last: dt.date | None
    year: int
    month: int | None = None  # set for month-only expressions ("in juli 2023")
    explicit_year: bool = True

    @property
    def has_day(self) -> bool:
        return self.first is not None


class _Patterns(NamedTuple):
    months: dict[str, int]
    cross: re.Pattern
    rng: re.Pattern
    single: re.Pattern
    month_year: re.Pattern
    month_only: re.Pattern
    year_only: re.Pattern
    rel: list[tuple[re.Pattern, int]]
    past: re.Pattern
    future: re.Pattern
    rel_any: re.Pattern | None  # where any relative year matches


@functools.lru_cache(maxsize=1)
def _patterns() -> _Patterns:
    cfg = extraction_config()
    months = cfg["months"]
    mon = "|".join(sorted((re.escape(m) for m in months), key=len, reverse=True))
    wd = "|".join(cfg["weekdays"])
    weekday = rf"(?:(?:{wd})(?:avond|middag|ochtend|nacht)?\s+)?"
    day = r"(?P<{n}>[0-3]?\d)"
    year = r"(?:\s+(?P<year>(?:19|20)\d\d))?"
    sep = r"\s*(?:-|–|—|/|t/m|tot\s+en\s+met|tot|en|&)\s*"
    month_tail = rf"(?P<{{m}}>{mon})\.?(?![a-z])"
    # 30 juni - 1 juli 2022
    cross = re.compile(
        rf"\b(?:van\s+)?{weekday}{day.format(n='d1')}\s+{month_tail.format(m='m1')}{sep}{weekday}"
        rf"{day.format(n='d2')}\s+{month_tail.format(m='m2')}{year}",
        re.I,
    )
    # 14 en zondag 15 mei 2022; van 28 tot en met 30 juni; 12-13 oktober 2022
    rng = re.compile(
        rf"\b(?:van\s+)?{weekday}{day.format(n='d1')}{sep}{weekday}{day.format(n='d2')}\s+"
        rf"{month_tail.format(m='m')}{year}",
        re.I,
    )
    single = re.compile(rf"\b{weekday}{day.format(n='d1')}\s+{month_tail.format(m='m')}{year}", re.I)
    month_year = re.compile(rf"\b(?:in|eind|begin|medio|half)?\s*{month_tail.format(m='m')}\s+(?P<year>(?:19|20)\d\d)\b", re.I)
    month_only = re.compile(rf"\b(?:in|eind|begin|medio)\s+{month_tail.format(m='m')}(?!\s+\d)", re.I)
    year_only = re.compile(r"\b(?:in|uit|van|sinds|anno)\s+(?P<year>(?:19|20)\d\d)\b(?![/-]\d)", re.I)
    rel = [(re.compile(r["pattern"], re.I), int(r["offset"])) for r in cfg["relative_years"]]
    past = re.compile("|".join(cfg["date_direction"]["past"]), re.I)
    future = re.compile("|".join(cfg["date_direction"]["future"]), re.I)
    rel_any = re.compile("|".join(f"(?:{r['pattern']})" for r in cfg["relative_years"]), re.I) if rel else None
    return _Patterns(months, cross, rng, single, month_year, month_only, year_only, rel, past, future, rel_any)


# What the expressions need (each is part of every match of those that use it), so that a
# text without it is not scanned for them at all:
_DIGIT = re.compile(r"\d")  # all but "in juli" and the relative years
_DAY = re.compile(r"\d\s")  # a day before its month: "14 mei", "14 en 15 mei", "30 juni - 1 juli"
_YEAR = re.compile(r"(?:19|20)\d\d")  # "juli 2023", "in 2014"


def _may_hold_date(text: str, ref: dt.date | None, pats: _Patterns) -> bool:
    """False when no expression can match ``text``: every pattern needs a digit but the
    month-only one ("in juli") and the relative years ("dit jaar", read only with a reference
    date), which are tried as they are."""
    return bool(_DIGIT.search(text) or pats.month_only.search(text) or (
        ref is not None and pats.rel_any is not None and pats.rel_any.search(text)))


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def _infer_year(month: int, day: int, ref: dt.date | None, context: str) -> int | None:
    if ref is None:
        return None
    pats = _patterns()
    past, future = pats.past, pats.future
    candidates = []
    for y in (ref.year - 1, ref.year, ref.year + 1):
        d = _safe_date(y, month, day)
        if d:
            candidates.append(d)
    if not candidates:
        return None
    if past.search(context):
        before = [d for d in candidates if d <= ref]
        if before:
            return max(before).year
    if future.search(context):
        after = [d for d in candidates if d >= ref]
        if after:
            return min(after).year
    return min(candidates, key=lambda d: (abs((d - ref).days), -d.year)).year


def find_dates(text: str, ref: dt.date | None = None) -> list[DateExpr]:
    """All date expressions in ``text``, left to right, without overlaps."""
    pats = _patterns()
    if not _may_hold_date(text, ref, pats):
        return []  # most sentences: skip the seven expression scans
    months, cross, rng, single, month_year, month_only, year_only, rel = pats[:8]
    found: list[DateExpr] = []
    taken: list[tuple[int, int]] = []
    has_day, has_year = _DAY.search(text) is not None, _YEAR.search(text) is not None

    def scan(rx: re.Pattern, possible: bool = True):
        return rx.finditer(text) if possible else ()

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    def context(s: int, e: int) -> str:
        return text[max(0, s - 40): min(len(text), e + 25)]

    def year_of(m, s, e, month, day) -> tuple[int | None, bool]:
        if m.group("year"):
            return int(m.group("year")), True
        tail = text[e: e + 24]
        stripped = tail.lstrip()
        for pat, off in rel:
            rm = pat.match(stripped)
            if rm and ref is not None:
                # the relative phrase belongs to this date: do not read it again
                rs = e + (len(tail) - len(stripped))
                taken.append((rs, rs + rm.end()))
                return ref.year + off, False
        return _infer_year(month, day, ref, context(s, e)), False

    for m in scan(cross, has_day):
        s, e = m.span()
        m1, m2 = months[m.group("m1").lower()], months[m.group("m2").lower()]
        y, explicit = year_of(m, s, e, m2, int(m.group("d2")))
        if y is None:
            continue
        y1 = y - 1 if m1 > m2 else y
        a, b = _safe_date(y1, m1, int(m.group("d1"))), _safe_date(y, m2, int(m.group("d2")))
        if a and b and a <= b:
            found.append(DateExpr(s, e, a, b, a.year, None, explicit))
            taken.append((s, e))
    for m in scan(rng, has_day):
        s, e = m.span()
        if not free(s, e):
            continue
        mon = months[m.group("m").lower()]
        d1, d2 = int(m.group("d1")), int(m.group("d2"))
        y, explicit = year_of(m, s, e, mon, d2)
        if y is None:
            continue
        a, b = _safe_date(y, mon, d1), _safe_date(y, mon, d2)
        if a and b and a <= b:
            found.append(DateExpr(s, e, a, b, y, None, explicit))
            taken.append((s, e))
    for m in scan(single, has_day):
        s, e = m.span()
        if not free(s, e):
            continue
        mon = months[m.group("m").lower()]
        d1 = int(m.group("d1"))
        y, explicit = year_of(m, s, e, mon, d1)
        if y is None:
            continue
        a = _safe_date(y, mon, d1)
        if a:
            found.append(DateExpr(s, e, a, a, y, None, explicit))
            taken.append((s, e))
    for m in scan(month_year, has_year):
        s, e = m.span()
        if not free(s, e):
            continue
        found.append(DateExpr(s, e, None, None, int(m.group("year")), months[m.group("m").lower()], True))
        taken.append((s, e))
    for m in month_only.finditer(text):
        s, e = m.span()
        if not free(s, e):
            continue
        mon = months[m.group("m").lower()]
        y = _infer_year(mon, 15, ref, context(s, e))
        if y is None:
            continue
        found.append(DateExpr(s, e, None, None, y, mon, False))
        taken.append((s, e))
    for m in scan(year_only, has_year):
        s, e = m.span()
        if not free(s, e):
            continue
        found.append(DateExpr(s, e, None, None, int(m.group("year")), None, True))
        taken.append((s, e))
    if ref is not None and pats.rel_any is not None and pats.rel_any.search(text):
        for pat, off in rel:
            for m in pat.finditer(text):
                s, e = m.span()
                if free(s, e):
                    found.append(DateExpr(s, e, None, None, ref.year + off, None, False))
                    taken.append((s, e))
    found.sort(key=lambda d: (d.start, d.end))
    return found


def parse_date(text: str) -> dt.date | None:
    """One full date ("26 februari 2022") or None."""
    for d in find_dates(text):
        if d.first is not None and d.explicit_year:
            return d.first
    return None
