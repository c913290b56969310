"""Synthetic extracts for the demo, the tests and the benchmarks (no real person in them).

BSNs are generated to pass the 11-proef and are unique within a sample; names come from a short
fixed list.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

HEADER = (
    "BSN;BSN partner;Geboortedatum;Achternaam;Tussenvoegsel;Voorletters;Postcode;Huisnummer;"
    "Toevoeging;Startdatum traject;Datum toelating;Einddatum;Dossiernummer;Contactpersoon;"
    "Telefoonnummer;E-mail"
)
_NAMES = ("Jansen", "de Vries", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder",
          "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Yılmaz")
_COUNSELLORS = ("A. de Wit", "M. El Amrani", "J. Kramer", "S. Verbeek")


def bsn_from_prefix(prefix: int) -> str | None:
    """The BSN with these first eight digits, or None when no ninth digit passes the 11-proef."""
    head = f"{prefix:08d}"
    last = sum(w * int(d) for w, d in zip((9, 8, 7, 6, 5, 4, 3, 2), head, strict=False)) % 11
    return head + str(last) if last < 10 and prefix else None


def unique_bsns(seed: int = 1) -> Iterator[str]:
    """Distinct valid BSNs in a scrambled order (a stride coprime to 10^8 visits each prefix
    once), so that large samples have no accidental duplicates."""
    prefix = (seed * 48_271) % 100_000_000
    while True:
        prefix = (prefix + 7_919_993) % 100_000_000
        bsn = bsn_from_prefix(prefix)
        if bsn is not None:
            yield bsn


def _dmy(d: date) -> str:
    return d.strftime("%d-%m-%Y")


def sample_rows(count: int, *, today: date, seed: int = 1, error_rate: float = 0.01,
                partner_rate: float = 0.1) -> Iterator[str]:
    """Data lines (no header) of a realistic extract; ~error_rate of them have a varied error."""
    rng = random.Random(seed)
    people = unique_bsns(seed)
    errors = (
        lambda f: f.__setitem__(0, f[0][:-1] + str((int(f[0][-1]) + 1) % 10)),  # checksum
        lambda f: f.__setitem__(9, "2025-31-12"),  # month-first-looking / impossible date
        lambda f: f.__setitem__(0, ""),  # required
        lambda f: f.__setitem__(11, _dmy(date(2020, 1, 1))),  # end before start
        lambda f: f.__setitem__(9, _dmy(today + timedelta(days=30))),  # future start
    )
    for i in range(count):
        start = today - timedelta(days=rng.randrange(1, 1500))
        toel = start + timedelta(days=rng.randrange(0, 60))
        if toel > today:
            toel = today
        end = start + timedelta(days=rng.randrange(400, 1300)) if rng.random() < 0.15 else None
        birth = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 28000))
        fields = [
            next(people),
            next(people) if rng.random() < partner_rate else "",
            _dmy(birth),
            rng.choice(_NAMES),
            "",
            "ABCDEFGHJKLMNPRSTW"[i % 18] + ".",
            f"{rng.randrange(1000, 9999)} {'ABCDEFGHJKLMNPRSTVWXZ'[i % 21]}{'ABEGHJKLMNPRSTVWXZ'[i % 17]}",
            str(rng.randrange(1, 400)),
            "",
            _dmy(start),
            _dmy(toel) if rng.random() < 0.97 else "",
            _dmy(end) if end else "",
            f"SHV-{100000 + i}",
            rng.choice(_COUNSELLORS),
            "014 0999",
            "schuldhulp@voorbeeld.nl",
        ]
        if rng.random() < error_rate:
            rng.choice(errors)(fields)
        yield ";".join(fields)


def write_sample_extract(path, count: int, *, today: date, seed: int = 1,
                         error_rate: float = 0.01) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER + "\r\n")
        for line in sample_rows(count, today=today, seed=seed, error_rate=error_rate):
            fh.write(line + "\r\n")
