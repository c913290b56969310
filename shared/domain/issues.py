"""Stable issue codes, their severity and the Dutch text a debt counsellor reads.

Codes are part of the public contract (`vish validate --json`, the reports and the outcome
entities): never rename one, only add. Messages never contain personal data; where a person
must be pointed at, the caller adds a masked BSN (``*****6789``) or the dossiernummer. A wrong
date of the case (startdatum, toelatingsdatum, einddatum: not the person's birth date) is shown
as the file writes it, so the counsellor finds the cell (``records.shown_date``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Code(StrEnum):
    # File-level problems (structural: the extract is rejected).
    UNREADABLE = "unreadable"
    EMPTY_FILE = "empty_file"
    NO_DATA_ROWS = "no_data_rows"
    MISSING_COLUMN = "missing_column"
    DUPLICATE_COLUMN = "duplicate_column"
    TOO_LARGE = "too_large"
    NOT_CSV = "not_csv"
    UNKNOWN_ORGANISATION = "unknown_organisation"
    SNAPSHOT_UNREADABLE = "snapshot_unreadable"
    EXCEL_WORKBOOK = "excel_workbook"
    BSN_COLUMN_NOT_RECOGNISED = "bsn_column_not_recognised"
    # Decision reasons (the extract as a whole).
    TOO_MANY_INVALID = "too_many_invalid"
    MASS_DROP_HELD = "mass_drop_held"
    # File-level notes that do not reject.
    ENCODING_FALLBACK = "encoding_fallback"
    TOELATINGSDATUM_COLUMN_MISSING = "toelatingsdatum_column_missing"
    COLUMN_IGNORED = "column_ignored"
    ISSUES_TRUNCATED = "issues_truncated"
    OPEN_END_DATE = "open_end_date"
    EINDDATUM_COLUMN_MISSING = "einddatum_column_missing"
    COLUMN_NOT_USED = "column_not_used"
    # Row-level errors: the row is invalid.
    REQUIRED = "required"
    BSN_FORMAT = "bsn_format"
    BSN_CHECKSUM = "bsn_checksum"
    DATE_FORMAT = "date_format"
    DATE_IN_FUTURE = "date_in_future"
    END_BEFORE_START = "end_before_start"
    COLUMN_COUNT = "column_count"
    VALUE_TOO_LONG = "value_too_long"
    QUOTE_SWALLOWS_ROWS = "quote_swallows_rows"
    DATE_YEAR_TWO_DIGITS = "date_year_two_digits"
    BSN_SCIENTIFIC_NOTATION = "bsn_scientific_notation"
    # Row-level warnings: the row is valid, something was corrected, merged or left out.
    BSN_LEFT_PADDED = "bsn_left_padded"
    DUPLICATE_BSN = "duplicate_bsn"
    CARRIED_OVER = "carried_over"
    PARTNER_IS_CLIENT = "partner_is_client"
    POSTCODE_FORMAT = "postcode_format"
    HUISNUMMER_FORMAT = "huisnummer_format"
    EMAIL_FORMAT = "email_format"
    PHONE_FORMAT = "phone_format"
    CONTROL_CHARACTERS = "control_characters"
    NON_ASCII_DIGITS = "non_ascii_digits"
    DOSSIER_SCIENTIFIC_NOTATION = "dossier_scientific_notation"


@dataclass(frozen=True)
class CodeInfo:
    severity: Severity
    message: str


_E, _W = Severity.ERROR, Severity.WARNING

CODES: dict[Code, CodeInfo] = {
    Code.UNREADABLE: CodeInfo(_E, "Het bestand kan niet worden gelezen als CSV-bestand"),
    Code.EMPTY_FILE: CodeInfo(_E, "Het bestand is leeg"),
    Code.NO_DATA_ROWS: CodeInfo(_E, "Het bestand bevat alleen een kopregel en geen cliënten"),
    Code.MISSING_COLUMN: CodeInfo(_E, "Een verplichte kolom ontbreekt"),
    Code.DUPLICATE_COLUMN: CodeInfo(_E, "Twee kolommen hebben dezelfde betekenis"),
    Code.TOO_LARGE: CodeInfo(_E, "Het bestand is groter dan toegestaan"),
    Code.NOT_CSV: CodeInfo(_E, "Dit is geen CSV-bestand"),
    Code.UNKNOWN_ORGANISATION: CodeInfo(
        _E, "De map in de opslag hoort niet bij een ingestelde organisatie"
    ),
    Code.SNAPSHOT_UNREADABLE: CodeInfo(
        _E,
        "De opgeslagen snapshot van deze organisatie is beschadigd, dus dit bestand kon niet "
        "veilig worden verwerkt; het staat in quarantaine. De beheerder moet de snapshot "
        "herstellen of verwijderen en het bestand opnieuw aanbieden",
    ),
    Code.EXCEL_WORKBOOK: CodeInfo(
        _E,
        "Dit is een Excel-werkmap, geen CSV-bestand. Open het in Excel, kies Opslaan als met het "
        "bestandstype CSV UTF-8 en lever dat CSV-bestand aan. Een voorloopnul die Excel al uit "
        "een BSN heeft gehaald, komt daarmee niet terug: zet de kolom met het BSN op Tekst "
        "vóór u de gegevens erin plakt, of maak de export opnieuw uit het schuldhulpsysteem",
    ),
    Code.BSN_COLUMN_NOT_RECOGNISED: CodeInfo(
        _E,
        "Een kolom lijkt BSN's te bevatten, maar is niet herkend; het bestand is niet verwerkt, "
        "zodat niemand ongemerkt uit VISH wegvalt",
    ),
    Code.TOO_MANY_INVALID: CodeInfo(
        _E, "Te veel regels zijn ongeldig; het hele bestand is daarom niet verwerkt"
    ),
    Code.MASS_DROP_HELD: CodeInfo(
        _E,
        "Dit bestand zou veel cliënten uit VISH halen; het is tegengehouden tot iemand het "
        "bevestigt",
    ),
    Code.ENCODING_FALLBACK: CodeInfo(
        _W, "Het bestand is niet in UTF-8 opgeslagen; gelezen als Windows-1252"
    ),
    Code.TOELATINGSDATUM_COLUMN_MISSING: CodeInfo(
        _W,
        "Er is geen kolom met de datum van de toelatingsbeschikking; de startdatum wordt "
        "gebruikt als datum van aanmelding",
    ),
    Code.COLUMN_IGNORED: CodeInfo(_W, "Kolom niet herkend en niet gebruikt"),
    Code.COLUMN_NOT_USED: CodeInfo(
        _W, "Kolom herkend, maar niet gebruikt omdat een andere kolom met dezelfde betekenis "
            "voorgaat"
    ),
    Code.ISSUES_TRUNCATED: CodeInfo(
        _W, "Er zijn meer meldingen dan in dit rapport passen (fouten gaan voor waarschuwingen)"
    ),
    Code.OPEN_END_DATE: CodeInfo(
        _W, "Einddatum 31-12-9999 (of een andere datum in het jaar 9999) gelezen als 'geen "
            "einddatum'"
    ),
    Code.EINDDATUM_COLUMN_MISSING: CodeInfo(
        _W,
        "Er is geen kolom met de einddatum van het traject, dus een afgesloten traject blijft "
        "in VISH staan. Neem de einddatum op in de export, in een kolom met een van deze namen",
    ),
    Code.REQUIRED: CodeInfo(_E, "Verplicht veld is leeg"),
    Code.BSN_FORMAT: CodeInfo(_E, "Geen geldig BSN: een BSN bestaat uit 9 cijfers"),
    Code.BSN_CHECKSUM: CodeInfo(_E, "Geen geldig BSN: het nummer voldoet niet aan de 11-proef"),
    Code.DATE_FORMAT: CodeInfo(
        _E, "Datum niet herkend; gebruik dag-maand-jaar, bijvoorbeeld 03-04-2025"
    ),
    Code.DATE_YEAR_TWO_DIGITS: CodeInfo(
        _E, "Het jaartal heeft twee cijfers; schrijf het jaar voluit met vier cijfers, "
            "bijvoorbeeld 13-01-2025"
    ),
    Code.DATE_IN_FUTURE: CodeInfo(_E, "Datum ligt in de toekomst"),
    Code.BSN_SCIENTIFIC_NOTATION: CodeInfo(
        _E,
        "Geen geldig BSN: Excel heeft het nummer als getal in wetenschappelijke notatie "
        "opgeslagen (zoals 1,23457E+08), waarbij cijfers verloren zijn gegaan. Zet in Excel de "
        "kolom met het BSN op Tekst en maak de export opnieuw",
    ),
    Code.END_BEFORE_START: CodeInfo(_E, "Einddatum ligt voor de startdatum"),
    Code.COLUMN_COUNT: CodeInfo(_E, "Regel heeft meer velden dan de kopregel"),
    Code.VALUE_TOO_LONG: CodeInfo(_E, "Waarde is te lang"),
    Code.QUOTE_SWALLOWS_ROWS: CodeInfo(
        _E,
        "Op deze regel opent een aanhalingsteken (\") dat pas veel later of nooit sluit; de "
        "regel is niet gebruikt. Haal het aanhalingsteken weg of sluit het af en lever het "
        "bestand opnieuw aan. De regels erna zijn elk apart gecontroleerd",
    ),
    Code.BSN_LEFT_PADDED: CodeInfo(
        _W, "BSN had 8 cijfers; aangevuld met een voorloopnul (controleer de export)"
    ),
    Code.DUPLICATE_BSN: CodeInfo(
        _W, "BSN komt vaker voor; de regel die op de peildatum toegelaten is (anders de laatste "
            "startdatum) is gebruikt"
    ),
    Code.CARRIED_OVER: CodeInfo(
        _W,
        "Regel ongeldig, maar deze cliënt stond al in VISH; de eerdere gegevens blijven staan",
    ),
    Code.PARTNER_IS_CLIENT: CodeInfo(
        _W, "BSN partner is gelijk aan het BSN van de cliënt; partner niet gebruikt"
    ),
    Code.POSTCODE_FORMAT: CodeInfo(
        _W, "Postcode niet herkend (verwacht 1234 AB); postcode niet gebruikt"
    ),
    Code.HUISNUMMER_FORMAT: CodeInfo(
        _W, "Huisnummer is geen getal; huisnummer niet gebruikt"
    ),
    Code.EMAIL_FORMAT: CodeInfo(_W, "E-mailadres niet herkend; niet gebruikt"),
    Code.PHONE_FORMAT: CodeInfo(_W, "Telefoonnummer niet herkend; niet gebruikt"),
    Code.CONTROL_CHARACTERS: CodeInfo(
        _W, "Onzichtbare stuurtekens (zoals NUL of escape-codes) uit dit veld verwijderd"
    ),
    Code.NON_ASCII_DIGITS: CodeInfo(
        _W, "Cijfers uit een ander schrift (bijvoorbeeld ١٢٣ of １２３) omgezet naar 0-9"
    ),
    Code.DOSSIER_SCIENTIFIC_NOTATION: CodeInfo(
        _W,
        "Dossiernummer staat in wetenschappelijke notatie (zoals 1,23457E+08): Excel heeft het "
        "als getal opgeslagen en cijfers weggelaten, dus het wijst geen dossier aan. Zet in "
        "Excel de kolom met het dossiernummer op Tekst en maak de export opnieuw",
    ),
}


@dataclass(frozen=True)
class Issue:
    """One finding. ``row`` is the 1-based line number in the file (header = 1), or None."""

    code: Code
    row: int | None = None
    field: str | None = None
    detail: str | None = None
    dossiernummer: str | None = None

    @property
    def severity(self) -> Severity:
        return CODES[self.code].severity

    @property
    def message(self) -> str:
        base = CODES[self.code].message
        return f"{base}: {self.detail}" if self.detail else base

    def to_dict(self) -> dict:
        return {
            "row": self.row,
            "field": self.field,
            "code": self.code.value,
            "severity": self.severity.value,
            "message": self.message,
            "dossiernummer": self.dossiernummer,
        }
