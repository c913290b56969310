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

# Each field's header names as exports write them (and as a message lists them); case, accents,
# spaces and punctuation do not matter when matching (:func:`normalise_header`).
_ALIASES: dict[str, tuple[str, ...]] = {
    "bsn": (
        "BSN", "Burgerservicenummer", "BSN-nummer", "Burgerservicenummer (BSN)", "BSN cliënt",
        "Cliënt BSN", "BSN klant", "Klant BSN", "BSN aanvrager", "Burgerservicenummer cliënt",
        "BSN hoofdaanvrager",
    ),
    "partner_bsn": (
        "BSN partner", "Partner BSN", "Burgerservicenummer partner", "BSN medeaanvrager",
        "Partner burgerservicenummer", "BSN-nummer partner", "Partner BSN-nummer",
        "Burgerservicenummer (BSN) partner", "Partner burgerservicenummer (BSN)",
        "BSN partner cliënt", "Medeaanvrager BSN", "BSN-nummer medeaanvrager",
        "Burgerservicenummer medeaanvrager",
    ),
    "geboortedatum": ("Geboortedatum", "Geb.datum", "Geboortedatum cliënt", "Date of birth"),
    "achternaam": ("Achternaam", "Geslachtsnaam", "Familienaam", "Achternaam cliënt"),
    "voorvoegsel": ("Voorvoegsel", "Voorvoegsels", "Tussenvoegsel", "Tussenvoegsels"),
    "voorletters": ("Voorletters", "Initialen"),
    "postcode": ("Postcode",),
    "huisnummer": ("Huisnummer", "Huisnr"),
    "huisnummertoevoeging": (
        "Huisnummertoevoeging", "Toevoeging", "Huisnr. toevoeging", "Huisnummer toev.",
    ),
    "startdatum": (
        "Startdatum", "Startdatum traject", "Startdatum schuldhulptraject", "Begindatum",
        "Begindatum traject", "Datum start", "Ingangsdatum", "Datum aanmelding", "Aanmelddatum",
    ),
    "toelatingsdatum": (
        "Toelatingsdatum", "Datum toelating", "Datum toelatingsbeschikking",
        "Toelatingsbeschikking", "Toelatingsbeschikking datum", "Beschikkingsdatum",
        "Datum beschikking",
    ),
    "einddatum": (
        "Einddatum", "Einddatum traject", "Datum einde", "Einde traject", "Datum einde traject",
        "Uitstroomdatum", "Datum uitstroom", "Beëindigingsdatum", "Datum beëindiging",
        "Afsluitdatum", "Datum afsluiting",
    ),
    "dossiernummer": ("Dossiernummer", "Dossiernr", "Dossier", "Zaaknummer", "Trajectnummer"),
    "contact_naam": (
        "Contactpersoon", "Contactnaam", "Naam contactpersoon", "Contactpersoon naam",
        "Consulent", "Schuldhulpverlener",
    ),
    "contact_telefoon": (
        "Contact telefoon", "Telefoon", "Telefoonnummer", "Telefoonnummer contactpersoon",
        "Contactpersoon telefoon",
    ),
    "contact_email": (
        "Contact e-mail", "E-mail", "E-mailadres", "E-mail contactpersoon",
        "Contactpersoon e-mail",
    ),
}


def normalise_header(name: str) -> str:
    """Case, accents, spaces and punctuation do not matter: ``Datum toelating`` = ``datumtoelating``."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if c.isalnum() and c.isascii()).lower()


# Names that may mean the field in one export and something else beside it in another (the date
# a client applied may differ from the start of the traject; a file may be closed after the
# traject ended): used only when no other column means the field (map_headers).
# ``Einde traject`` (no "datum" in it) is often a reason or a Ja/Nee flag beside the Einddatum;
# ``Datum einde traject`` says it is a date and counts in full.
FALLBACK_ALIASES = frozenset({"datumaanmelding", "aanmelddatum", "afsluitdatum", "datumafsluiting",
                              "eindetraject"})
# A header that holds one of these (normalised) and maps onto no field may hold the BSNs of
# people: such a file is refused (``bsn_column_not_recognised``), never read without them.
_BSN_WORDS = ("bsn", "burgerservicenummer", "sofinummer")

DEFAULT_ALIASES: dict[str, str] = {
    normalise_header(alias): canonical
    for canonical, aliases in _ALIASES.items()
    for alias in aliases
}


def aliases_of(canonical: str, overrides: Mapping[str, str] | None = None) -> list[str]:
    """The header names that map onto ``canonical``, as a message may list them: the
    organisation's own (``column_aliases``) first, then the defaults."""
    own = [alias for alias, field_ in (overrides or {}).items() if field_ == canonical]
    return own + [a for a in _ALIASES.get(canonical, ()) if a not in own]


@dataclass
class HeaderMapping:
    """Column index for each canonical field found, plus what could not be used."""

    index: dict[str, int] = field(default_factory=dict)
    # The header as written in the file for each field found (its first column).
    names: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    # Columns under a fallback name not used because another column means the field:
    # (header, field, the header used), in file order.
    unused: list[tuple[str, str, str]] = field(default_factory=list)
    # Unmapped headers that look like a BSN column (:data:`_BSN_WORDS`), in file order.
    bsn_like: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, list[str]]] = field(default_factory=list)

    def missing(self, required: Sequence[str] = REQUIRED_FIELDS) -> list[str]:
        return [f for f in required if f not in self.index]


def map_headers(headers: Sequence[str], overrides: Mapping[str, str] | None = None) -> HeaderMapping:
    """Map raw header cells to canonical fields; organisation overrides win over the defaults.

    A column under a :data:`FALLBACK_ALIASES` name counts only when no other column means the
    same field: an export with both ``Startdatum`` and ``Datum aanmelding`` uses the first and
    lists the second as not used (no duplicate column)."""
    aliases = dict(DEFAULT_ALIASES)
    own = set()
    for alias, canonical in (overrides or {}).items():
        aliases[normalise_header(alias)] = canonical
        own.add(normalise_header(alias))
    mapping = HeaderMapping()
    found: dict[str, list[tuple[int, str, bool]]] = {}
    ignored: list[tuple[int, str]] = []
    unused: list[tuple[int, str, str, str]] = []
    for position, raw in enumerate(headers):
        key = normalise_header(raw)
        canonical = aliases.get(key)
        if canonical is None:
            if any(word in key for word in _BSN_WORDS):
                mapping.bsn_like.append(raw.strip())
            elif raw.strip():
                ignored.append((position, raw.strip()))
            continue
        fallback = key in FALLBACK_ALIASES and key not in own
        found.setdefault(canonical, []).append((position, raw, fallback))
    for canonical, columns in found.items():
        if not all(fallback for _, _, fallback in columns):
            used = [c for c in columns if not c[2]]
            unused.extend((position, raw.strip(), canonical, used[0][1].strip())
                          for position, raw, fallback in columns if fallback)
            columns = used
        position, raw, _ = columns[0]
        mapping.index[canonical] = position
        # as a report may show it: printable, bounded (the name matched an alias)
        mapping.names[canonical] = "".join(c for c in raw if c.isprintable()).strip()[:60]
        if len(columns) > 1:
            mapping.duplicates.append((canonical, [raw.strip() for _, raw, _ in columns]))
    mapping.index = dict(sorted(mapping.index.items(), key=lambda item: item[1]))
    mapping.ignored = [raw for _, raw in sorted(ignored)]
    mapping.unused = [u[1:] for u in sorted(unused)]
    return mapping
