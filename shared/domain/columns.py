"""Canonical extract fields and the header aliases that map an export's columns onto them."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# Order is the order of the normalised snapshot; never reorder, only append.
CANONICAL_FIELDS: tuple[str, ...] = (
    "bsn",
    "partner_bsn",
    "geboortedatum",
    "achternaam",
    "voorvoegsel",
    "voorletters",
    "postcode",
    "huisnummer",
    "huisnummertoevoeging",
    "startdatum",
    "toelatingsdatum",
    "einddatum",
    "dossiernummer",
    "contact_naam",
    "contact_telefoon",
    "contact_email",
)
REQUIRED_FIELDS: tuple[str, ...] = ("bsn", "startdatum")

_ALIASES: dict[str, tuple[str, ...]] = {
    "bsn": (
        "bsn", "burgerservicenummer", "bsnclient", "clientbsn", "bsnklant", "klantbsn",
        "bsnaanvrager", "burgerservicenummerclient", "bsnhoofdaanvrager",
    ),
    "partner_bsn": (
        "bsnpartner", "partnerbsn", "burgerservicenummerpartner", "bsnmedeaanvrager",
        "partnerburgerservicenummer",
    ),
    "geboortedatum": ("geboortedatum", "gebdatum", "geboortedatumclient", "dateofbirth"),
    "achternaam": ("achternaam", "geslachtsnaam", "familienaam", "achternaamclient"),
    "voorvoegsel": ("voorvoegsel", "voorvoegsels", "tussenvoegsel", "tussenvoegsels"),
    "voorletters": ("voorletters", "initialen"),
    "postcode": ("postcode",),
    "huisnummer": ("huisnummer", "huisnr"),
    "huisnummertoevoeging": (
        "huisnummertoevoeging", "toevoeging", "huisnrtoevoeging", "huisnummertoev",
    ),
    "startdatum": (
        "startdatum", "startdatumtraject", "startdatumschuldhulptraject", "begindatum",
        "begindatumtraject", "datumstart", "ingangsdatum",
    ),
    "toelatingsdatum": (
        "toelatingsdatum", "datumtoelating", "datumtoelatingsbeschikking",
        "toelatingsbeschikking", "toelatingsbeschikkingdatum", "beschikkingsdatum",
        "datumbeschikking",
    ),
    "einddatum": (
        "einddatum", "einddatumtraject", "datumeinde", "uitstroomdatum", "datumuitstroom",
        "beeindigingsdatum", "datumbeeindiging",
    ),
    "dossiernummer": ("dossiernummer", "dossiernr", "dossier", "zaaknummer", "trajectnummer"),
    "contact_naam": (
        "contactpersoon", "contactnaam", "naamcontactpersoon", "contactpersoonnaam",
        "consulent", "schuldhulpverlener",
    ),
    "contact_telefoon": (
        "contacttelefoon", "telefoon", "telefoonnummer", "telefoonnummercontactpersoon",
        "contactpersoontelefoon",
    ),
    "contact_email": (
        "contactemail", "email", "emailadres", "emailcontactpersoon", "contactpersoonemail",
    ),
}


def normalise_header(name: str) -> str:
    """Case, accents, spaces and punctuation do not matter: ``Datum toelating`` = ``datumtoelating``."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if c.isalnum() and c.isascii()).lower()


DEFAULT_ALIASES: dict[str, str] = {
    normalise_header(alias): canonical
    for canonical, aliases in _ALIASES.items()
    for alias in aliases
}


@dataclass
class HeaderMapping:
    """Column index for each canonical field found, plus what could not be used."""

    index: dict[str, int] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, list[str]]] = field(default_factory=list)

    def missing(self, required: Sequence[str] = REQUIRED_FIELDS) -> list[str]:
        return [f for f in required if f not in self.index]


def map_headers(headers: Sequence[str], overrides: Mapping[str, str] | None = None) -> HeaderMapping:
    """Map raw header cells to canonical fields; organisation overrides win over the defaults."""
    aliases = dict(DEFAULT_ALIASES)
    for alias, canonical in (overrides or {}).items():
        aliases[normalise_header(alias)] = canonical
    mapping = HeaderMapping()
    seen: dict[str, list[str]] = {}
    for position, raw in enumerate(headers):
        canonical = aliases.get(normalise_header(raw))
        if canonical is None:
            if raw.strip():
                mapping.ignored.append(raw.strip())
            continue
        seen.setdefault(canonical, []).append(raw.strip())
        mapping.index.setdefault(canonical, position)
    mapping.duplicates = [(c, names) for c, names in seen.items() if len(names) > 1]
    return mapping
