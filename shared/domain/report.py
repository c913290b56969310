"""Reports per extract: JSON for machines, CSV in Dutch for the debt counsellor, lines for a screen.

Neither holds an unmasked BSN: issues point at a line number and the dossiernummer. Every cell
of the CSV goes through :func:`spreadsheet_cell`, so a value from the extract (a dossiernummer
such as ``=HYPERLINK(...)``) is shown as text and never runs as a formula.

What the counsellor reads comes in one order (:func:`report_lines`): first the *besluit*
(:func:`besluit_lines`: what was decided, the numbers that decided it, what happens and what to
do), then the people who leave VISH (a held extract: who would leave, code ``verdwijnt``; an
accepted one: who is afgemeld, code ``afgemeld``, with the line of an invalid row that has their
dossiernummer), then the errors, then the warnings. A
warning that repeats on :data:`GROUP_FROM` or more lines (same code, same column) is one line
with its count and its lines. The JSON keeps every issue as it is (machines read it).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from shared.domain.issues import CODES, Code, Issue, Severity
from shared.domain.privacy import shown_value
from shared.domain.validation import ValidationResult
from shared.domain.validation.decision import held_detail, invalid_detail, number, of_total

REPORT_CSV_HEADER = ("regel", "veld", "code", "ernst", "melding", "dossiernummer")
_SEVERITY_NL = {"error": "fout", "warning": "waarschuwing"}
DECISION_NL = {"accepted": "geaccepteerd", "rejected": "afgewezen"}
# What makes Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP, CSV
# injection), with the fullwidth forms some of them accept as well.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")

# A warning on this many lines or more (same code, same column) is shown as one line. Fewer
# stay one line each, with their dossiernummer: a handful can be looked up one by one.
GROUP_FROM = 5
# Line numbers named in one grouped line of the CSV, and on a screen (the rest is counted).
ROWS_LISTED_CSV = 100
ROWS_LISTED_SCREEN = 10
# Line numbers of invalid rows named in the besluit of an accepted extract.
ROWS_IN_BESLUIT = 10
# The code column of the lines that are no issue: the besluit and the people who would leave.
BESLUIT = "besluit"
LEAVING = "verdwijnt"  # a held extract: would leave VISH
AFGEMELD = "afgemeld"  # an accepted extract: left VISH (afgemeld)
# People who leave VISH shown on a screen (the rest is counted; the CSV lists them all).
LEAVERS_ON_SCREEN = 5
# Where a besluit is read: the intake (the file was received and stored: it is what happened)
# or ``vish validate`` on a laptop (nothing is stored: it is what would happen at the intake).
INTAKE = "intake"
CHECK = "validate"
# How many characters of the SHA-256 name a held file when it is released.
SHA_PREFIX = 12
# The required columns, in a sentence.
_REQUIRED_LABELS = {"bsn": "het BSN", "startdatum": "de startdatum"}

# How a canonical field is named when the file's own header for it is not known (a column
# that is missing, or a result made without the file's header).
COLUMN_LABELS = {
    "bsn": "BSN",
    "partner_bsn": "BSN partner",
    "geboortedatum": "Geboortedatum",
    "achternaam": "Achternaam",
    "voorvoegsel": "Voorvoegsel",
    "voorletters": "Voorletters",
    "postcode": "Postcode",
    "huisnummer": "Huisnummer",
    "huisnummertoevoeging": "Huisnummertoevoeging",
    "startdatum": "Startdatum",
    "toelatingsdatum": "Toelatingsdatum",
    "einddatum": "Einddatum",
    "dossiernummer": "Dossiernummer",
    "contact_naam": "Contactpersoon",
    "contact_telefoon": "Telefoon contactpersoon",
    "contact_email": "E-mail contactpersoon",
}
_UNCHANGED = "Er is niets veranderd: wie al in VISH stond, blijft staan met de eerdere gegevens."
# Reasons whose issue the besluit states in full: not repeated below it.
_DECIDING = frozenset({Code.TOO_MANY_INVALID, Code.MASS_DROP_HELD})


def spreadsheet_cell(value: object) -> str:
    """``value`` as a CSV cell a spreadsheet shows as text: a cell that starts with a formula
    trigger (also after leading whitespace) gets a ``'`` in front, as OWASP advises. Every
    other cell is left exactly as it is. Only for files people open: the snapshot and the SNG
    delivery file keep their values intact."""
    text = "" if value is None else str(value)
    if text and (text[0] in FORMULA_TRIGGERS or text.lstrip()[:1] in FORMULA_TRIGGERS):
        return "'" + text
    return text


def _row(*cells: object) -> list[str]:
    return [spreadsheet_cell(cell) for cell in cells]


def reason_message(code: Code | None) -> str | None:
    return CODES[code].message if code else None


def _n(count: int, one: str, more: str) -> str:
    """``1 regel``, ``2 regels``, ``1.000 regels``."""
    return f"{number(count)} {one if count == 1 else more}"


def _listing(numbers: list[int], more: int | str = 0) -> str:
    """``5``, ``5 en 17``, ``5, 17 en 23``, ``5, 17, 23 en nog 40``."""
    shown = [str(n) for n in numbers]
    if more:
        return f"{', '.join(shown)} en nog {more}"
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} en {shown[-1]}"


def _lines_text(numbers: list[int], more: int = 0) -> str:
    """``regel 5``, ``regels 5 en 17``, ``regels 5, 17 en nog 3``."""
    word = "regel" if len(numbers) == 1 and not more else "regels"
    return f"{word} {_listing(numbers, number_or_int(more))}"


def number_or_int(n: int) -> int | str:
    """``n`` with a Dutch thousands separator when it needs one (``1.000``)."""
    return number(n) if n >= 1000 else n


def _and(parts: list[str]) -> str:
    """``a``, ``a en b``, ``a, b en c``."""
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} en {parts[-1]}"



def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def column_name(result: ValidationResult, field: str | None) -> str:
    """The column as the counsellor's file names it (``BSN partner``), never an internal name
    (``partner_bsn``): the file's own header when the result carries it, else the usual name."""
    if not field:
        return ""
    own = result.columns.get(field)
    if own:
        shown = shown_value(own.strip(), 40)
        if shown:
            return shown
    return COLUMN_LABELS.get(field, field)


# -- the besluit -------------------------------------------------------------------------------
def besluit_lines(result: ValidationResult, organisation: str | None = None, *,
                  context: str = INTAKE) -> list[str]:
    """The besluit as sentences: what was decided and the numbers that decided it, what happens
    now, and what to do. ``organisation``: its code, for the release of a held extract.
    ``context``: :data:`INTAKE` (the file was received: what happened) or :data:`CHECK`
    (``vish validate``, nothing stored: what would happen at the intake)."""
    if result.accepted:
        return _accepted(result)
    if result.reason is Code.MASS_DROP_HELD and result.rules is not None:
        return _held(result, organisation, context)
    if result.reason is Code.TOO_MANY_INVALID and result.rules is not None:
        rules, invalid = result.rules, result.invalid
        to_fix = invalid - rules.invalid_allowed(result.total)
        what = (("de ongeldige regel" if invalid == 1 else f"alle {invalid} ongeldige regels")
                if to_fix >= invalid else f"minstens {to_fix} van de {invalid} ongeldige regels")
        return [
            f"Bestand afgewezen: {invalid_detail(invalid, result.total, rules)}.",
            _UNCHANGED,
            f"Verbeter {what} (zie de fouten hieronder) en lever het hele bestand opnieuw aan.",
        ]
    reason = [i for i in result.issues if i.code is result.reason and i.row is None]
    if result.reason is Code.MISSING_COLUMN and len(reason) > 1:
        # Every missing column is named: a header 'Naam;Datum' lacks the BSN and the startdatum.
        named = _and([f"voor {_REQUIRED_LABELS.get(i.field or '', column_name(result, i.field))}"
                      for i in reason])
        message = (f"de verplichte kolommen {named} ontbreken (hieronder staat naar welke "
                   "kolomnamen is gezocht)")
    elif len(reason) > 1:
        message = f"{reason_message(result.reason)} ({len(reason)} keer, zie hieronder)"
    elif result.reason is Code.SNAPSHOT_UNREADABLE:
        message = reason_message(result.reason)  # the detail (where) is listed below it
    else:
        message = reason[-1].message if reason else reason_message(result.reason)
    lines = [_sentence(f"Bestand afgewezen: {after_colon(message)}" if message
                       else "Bestand afgewezen"),
             _UNCHANGED]
    if result.reason is not Code.SNAPSHOT_UNREADABLE:  # its message says what to do
        lines.append("Los dit op en lever het bestand opnieuw aan.")
    return lines


def _held(result: ValidationResult, organisation: str | None, context: str) -> list[str]:
    """The besluit of a held extract. At the intake: how the beheerder releases it, naming the
    file by the first :data:`SHA_PREFIX` characters of its SHA-256 (the release asks for them in
    its body field ``sha256``). On a laptop: what would happen when it is delivered."""
    assert result.rules is not None
    detail = held_detail(result, result.rules)
    prefix = result.sha256[:SHA_PREFIX]
    check = ("Controleer de personen hieronder die zouden verdwijnen. Ontbreken ze door een fout "
             "in de export (een filter of selectie, einddatums of toelatingsdatums), lever dan "
             "een verbeterd bestand aan.")
    if context == CHECK:
        named = f" (het bestand met SHA-256 {prefix}…)" if prefix else ""
        return [
            f"Bij aanlevering wordt dit bestand tegengehouden: {detail}.",
            "Dit is alleen een controle: er is niets opgeslagen en er verandert niets in VISH.",
            check,
            "Moeten ze echt uit VISH, lever het bestand dan aan en vraag daarna de beheerder "
            f"het vrij te geven{named}.",
        ]
    org = organisation or "<organisatie>"
    sha = (f" en met de eerste {SHA_PREFIX} tekens van de SHA-256 ({prefix}) in het veld "
           "sha256" if prefix else "")
    return [
        f"Bestand tegengehouden: {detail}.",
        "Er is nog niets veranderd: wie al in VISH stond, blijft staan.",
        check,
        "Moeten ze echt uit VISH, vraag dan de beheerder dit bestand vrij te geven "
        f"(beheeractie met de beheersleutel: POST /api/extracts/{org}/release met een "
        f"reden{sha}).",
    ]


def _invalid_rows(result: ValidationResult) -> list[int]:
    return sorted({i.row for i in result.issues
                   if i.row is not None and i.severity is Severity.ERROR})


def _accepted(result: ValidationResult) -> list[str]:
    lines = [f"Bestand geaccepteerd: {of_total(result.valid, result.total, 'regel', 'regels')} "
             "geldig."]
    invalid = result.invalid
    if invalid:
        rows = _invalid_rows(result)  # of the issues listed: fewer when the list is cut off
        shown = rows[:ROWS_IN_BESLUIT]
        named = f" ({_lines_text(shown, max(invalid, len(rows)) - len(shown))})" if rows else ""
        lines.append(f"Niet verwerkt: {_n(invalid, 'ongeldige regel', 'ongeldige regels')}{named}.")
        carried = result.carried_over
        if carried >= invalid:
            lines.append("Wie daarop staat, stond al in VISH en blijft staan met de eerdere "
                         "gegevens.")
        elif carried:
            lines.append(
                "Wie daarop staat, is nu niet aangemeld bij VISH, behalve "
                + (f"{carried} cliënt die al in VISH stond: die blijft" if carried == 1
                   else f"{number(carried)} cliënten die al in VISH stonden: die blijven")
                + " staan met de eerdere gegevens.")
        else:
            lines.append("Wie daarop staat, is nu niet aangemeld bij VISH.")
    if result.ineligible:
        basis = result.eligibility_basis
        why = (f"zonder {basis}, met een {basis} na de peildatum of met een verstreken einddatum"
               if basis == "toelatingsdatum"
               else f"met een {basis} na de peildatum of met een verstreken einddatum")
        lines.append(f"Nu (nog) niet in VISH: "
                     f"{_n(result.ineligible, 'geldige regel', 'geldige regels')} {why}.")
    if result.removed:
        lines += _afgemeld(result)
    if invalid:
        lines.append(f"Verbeter {'de ongeldige regel' if invalid == 1 else 'de ongeldige regels'} "
                     "in het bronsysteem (zie de fouten hieronder); de volgende aanlevering "
                     f"neemt {'die' if invalid == 1 else 'ze'} mee.")
    elif result.count(Severity.WARNING):
        lines.append("U hoeft niets te doen; controleer wel de waarschuwingen hieronder.")
    else:
        lines.append("U hoeft niets te doen.")
    return lines


def _afgemeld(result: ValidationResult) -> list[str]:
    """Who left VISH with an accepted extract: how many, that they are listed below, and the
    ones whose dossiernummer is on an invalid row (a BSN typo takes a client out of VISH)."""
    removed = result.removed
    listed = "staat hieronder" if removed == 1 else "staan hieronder"
    if result.leaving_more:
        listed = f"de eerste {number(len(result.leaving))} staan hieronder"
    lines = [f"Afgemeld bij VISH: {_n(removed, 'persoon', 'personen')} uit de vorige "
             f"aanlevering (niet meer in het bestand of niet meer toegelaten; {listed})."]
    rows = [leaver.invalid_row for leaver in result.leaving if leaver.invalid_row is not None]
    if len(rows) == 1 and removed == 1:
        lines.append(f"Het dossiernummer van deze persoon staat op regel {rows[0]}, en die regel "
                     "is ongeldig: verbeter die regel vandaag, dan wordt deze cliënt bij de "
                     "volgende aanlevering weer aangemeld.")
    elif len(rows) == 1:
        lines.append(f"Van 1 van hen staat het dossiernummer op regel {rows[0]}, en die regel is "
                     "ongeldig: verbeter die regel vandaag, dan wordt deze cliënt bij de "
                     "volgende aanlevering weer aangemeld.")
    elif rows:
        shown = sorted(rows)[:ROWS_IN_BESLUIT]
        lines.append(f"Van {number(len(rows))} van hen staat het dossiernummer op een ongeldige "
                     f"regel ({_lines_text(shown, len(rows) - len(shown))}): verbeter die regels "
                     "vandaag, dan worden deze cliënten bij de volgende aanlevering weer "
                     "aangemeld.")
    return lines


# -- the lines below the besluit ---------------------------------------------------------------
@dataclass(frozen=True)
class ReportLine:
    """One line of the counsellor's report (the CSV's columns). ``rows``: its line numbers
    (one for an issue, several for a grouped warning), ``more``: lines not named."""

    rows: tuple[int, ...]
    field: str
    code: str
    severity: str
    message: str
    dossiernummer: str = ""
    more: int = 0
    count: int = 1

    @property
    def grouped(self) -> bool:
        """A warning on several lines, shown once (``message`` is then the code's own)."""
        return self.count > 1 and bool(self.rows)

    @property
    def text(self) -> str:
        """The message as the CSV shows it: a grouped warning starts with its count."""
        return f"{number(self.count)} regels: {self.message}" if self.grouped else self.message


def _issue_line(result: ValidationResult, issue: Issue) -> ReportLine:
    return ReportLine((issue.row,) if issue.row is not None else (),
                      column_name(result, issue.field), issue.code.value,
                      _SEVERITY_NL[issue.severity.value], issue.message,
                      issue.dossiernummer or "")


def _grouped(result: ValidationResult, issues: list[Issue], total: int, listed: int) -> ReportLine:
    first = issues[0]
    rows = tuple(sorted({i.row for i in issues if i.row is not None}))
    shown = rows[:listed]
    return ReportLine(shown, column_name(result, first.field), first.code.value,
                      _SEVERITY_NL[first.severity.value], CODES[first.code].message, "",
                      more=total - len(shown), count=total)


def _leaver_message(leaver, accepted: bool) -> str:
    if leaver.invalid_row is not None:
        row = leaver.invalid_row
        if accepted:
            return (f"Afgemeld bij VISH, waarschijnlijk omdat regel {row} ongeldig is (die heeft "
                    f"hetzelfde dossiernummer; BSN {leaver.bsn}). Verbeter die regel vandaag, "
                    "dan wordt deze cliënt bij de volgende aanlevering weer aangemeld")
        return (f"Zou uit VISH verdwijnen, waarschijnlijk omdat regel {row} ongeldig is (die "
                f"heeft hetzelfde dossiernummer; BSN {leaver.bsn})")
    why = ("staat nog in het bestand, maar is op de peildatum niet (meer) toegelaten"
           if leaver.in_file else "staat niet meer in het bestand")
    return (f"{'Afgemeld bij VISH' if accepted else 'Zou uit VISH verdwijnen'}: {why} "
            f"(BSN {leaver.bsn})")


def _leaver_lines(result: ValidationResult) -> list[ReportLine]:
    """The people who leave VISH (accepted: ``afgemeld``) or would (held: ``verdwijnt``), those
    with an invalid row of the same dossiernummer first (they can be fixed today)."""
    accepted = result.accepted
    code = AFGEMELD if accepted else LEAVING
    leavers = sorted(result.leaving, key=lambda leaver: leaver.invalid_row is None)
    lines = [ReportLine((leaver.invalid_row,) if leaver.invalid_row is not None else (), "",
                        code, "", _leaver_message(leaver, accepted), leaver.dossiernummer)
             for leaver in leavers]
    if result.leaving_more:
        people = _n(result.leaving_more, "persoon", "personen")
        text = (f"En nog {people} afgemeld" if accepted
                else f"En nog {people} die {'zou' if result.leaving_more == 1 else 'zouden'} "
                     "verdwijnen")
        lines.append(ReportLine((), "", code, "", text + " (niet in dit rapport opgesomd)", "",
                                count=result.leaving_more))
    return lines


def issue_report_lines(result: ValidationResult, *, rows_listed: int = ROWS_LISTED_CSV
                       ) -> list[ReportLine]:
    """Everything below the besluit, in reading order: the people a held extract would remove,
    the note that the issue list is cut off (if it is), the errors, then the warnings, each by
    line (file-level ones first). A warning with the same code and column on
    :data:`GROUP_FROM` lines or more is one line, at its first line."""
    body = [i for i in result.issues if not (i.code in _DECIDING and i.code is result.reason)]
    # That the list is cut off is said before the list (on a screen it is never hidden).
    cut = [i for i in body if i.code is Code.ISSUES_TRUNCATED]
    errors = [i for i in body if i.severity is Severity.ERROR]
    warnings = [i for i in body if i.severity is Severity.WARNING and i not in cut]
    lines = _leaver_lines(result) + [_issue_line(result, issue) for issue in cut]
    by_row = sorted(errors, key=lambda i: (i.row is not None, i.row or 0))
    lines += [_issue_line(result, issue) for issue in by_row]

    groups: dict[tuple[Code, str | None], list[Issue]] = defaultdict(list)
    for issue in warnings:
        if issue.row is not None:
            groups[issue.code, issue.field].append(issue)
    listed_per_code = Counter(issue.code for issue in warnings)
    fields_per_code = Counter(code for code, _ in groups)
    placed: list[tuple[tuple[bool, int], int, ReportLine]] = []
    for n, issue in enumerate(warnings):
        key = (issue.code, issue.field)
        group = groups.get(key) if issue.row is not None else None
        total = 0
        if group is not None:
            # All of the code's issues when they are all in this group (the listed ones may be
            # cut off at the report's limit, even below GROUP_FROM; the count is of all of them).
            total = len(group)
            if fields_per_code[issue.code] == 1 and listed_per_code[issue.code] == total:
                total = max(total, result.issue_counts.get(issue.code, 0))
        if group is None or total < GROUP_FROM:
            line = _issue_line(result, issue)
        elif group[0] is issue:
            line = _grouped(result, group, total, rows_listed)
        else:
            continue
        placed.append(((issue.row is not None, issue.row or 0), n, line))
    lines += [line for _, _, line in sorted(placed, key=lambda p: (p[0], p[1]))]
    return lines


def report_lines(result: ValidationResult, *, organisation: str | None = None,
                 rows_listed: int = ROWS_LISTED_CSV, context: str = INTAKE) -> list[ReportLine]:
    """The whole report in reading order: the besluit first (one line), then
    :func:`issue_report_lines`."""
    besluit = ReportLine((), "", BESLUIT, "",
                         " ".join(besluit_lines(result, organisation, context=context)))
    return [besluit, *issue_report_lines(result, rows_listed=rows_listed)]


# -- on a screen --------------------------------------------------------------------------------
def after_colon(text: str) -> str:
    """A sentence shown after a colon starts lower-case in Dutch; a word in capitals (BSN, SNG,
    VISH) keeps them (as ``vish`` writes it)."""
    word = text.split(" ", 1)[0]
    if word[:1].isupper() and not any(c.isupper() for c in word[1:]):
        return text[:1].lower() + text[1:]
    return text


def _screen_line(line: ReportLine) -> str:
    """One line as ``vish`` shows it: where, the column, the dossier, the message, the code."""
    if line.code in (LEAVING, AFGEMELD):
        dossier = f"dossier {line.dossiernummer}: " if line.dossiernummer else ""
        return f"  {dossier}{after_colon(line.message) if dossier else line.message}"
    field = f" [{line.field}]" if line.field else ""
    if line.grouped:
        where = f"{number(line.count)} regels ({_listing(list(line.rows), number_or_int(line.more))})"
    else:
        where = f"regel {line.rows[0]}" if line.rows else "bestand"
    dossier = f" (dossier {line.dossiernummer})" if line.dossiernummer else ""
    return f"  {where}{field}{dossier}: {after_colon(line.message)} [{line.code}]"


def issue_lines(result: ValidationResult, limit: int = 25) -> list[str]:
    """The lines a screen shows below the besluit (``vish validate``): at most
    :data:`LEAVERS_ON_SCREEN` of the people who leave VISH (then how many more: the CSV lists
    them), then at most ``limit`` of the other lines of :func:`issue_report_lines` (errors
    before warnings, repeated warnings grouped) and how many more there are. So however many
    leave, the errors stay on the screen. The caller shows them escaped (``vish``'s ``_say``)."""
    lines = issue_report_lines(result, rows_listed=ROWS_LISTED_SCREEN)
    people = [line for line in lines if line.code in (LEAVING, AFGEMELD) and line.count == 1]
    others = [line for line in lines if line.code not in (LEAVING, AFGEMELD)]
    shown = [_screen_line(line) for line in people[:LEAVERS_ON_SCREEN]]
    rest_people = len(result.leaving) + result.leaving_more - len(shown)
    if rest_people > 0:
        shown.append(f"  en nog {_n(rest_people, 'persoon', 'personen')} (zie --report-csv)")
    listed = others[:max(limit, 0)]
    shown += [_screen_line(line) for line in listed]
    rest = len(others) - len(listed)
    if rest > 0:
        shown.append(f"  ... en nog {_n(rest, 'melding', 'meldingen')} (zie --json of --report-csv)")
    return shown


def screen_lines(result: ValidationResult, limit: int = 25, *, organisation: str | None = None,
                 facts: tuple[str, ...] = (), context: str = CHECK) -> list[str]:
    """The besluit (first, never cut off: ``Besluit: ...``, one sentence a line), the caller's
    ``facts`` (``vish``: rows counted, encoding), then :func:`issue_lines`. ``context``:
    :data:`CHECK` by default (``vish validate`` is the screen: nothing is stored)."""
    first, *rest = besluit_lines(result, organisation, context=context)
    return [f"Besluit: {after_colon(first)}", *(f"  {s}" for s in rest), *facts,
            *issue_lines(result, limit)]


# -- the files ----------------------------------------------------------------------------------
def report_json(result: ValidationResult, *, organisation: str, extract: str,
                received_at: datetime, context: str = INTAKE) -> bytes:
    document = {
        "organisation": organisation,
        "extract": extract,
        "received_at": received_at.isoformat(),
        **result.to_contract(),
        "reason_message": reason_message(result.reason),
        "besluit": " ".join(besluit_lines(result, organisation, context=context)),
        "summary": result.summary(),
        "issue_counts": {code.value: n for code, n in sorted(result.issue_counts.items())},
        "columns": {field: column_name(result, field) for field in result.columns},
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def report_csv(result: ValidationResult, *, organisation: str | None = None,
               context: str = INTAKE) -> bytes:
    """Semicolon CSV with a BOM, so Excel with Dutch settings opens it correctly. Columns
    :data:`REPORT_CSV_HEADER`; the lines of :func:`report_lines` (a grouped warning names its
    lines in the ``regel`` cell: ``2, 5, 9 en nog 27``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(_row(*REPORT_CSV_HEADER))
    for line in report_lines(result, organisation=organisation, context=context):
        regel = (_listing(list(line.rows), number_or_int(line.more)) if line.grouped
                 else line.rows[0] if line.rows else "")
        writer.writerow(_row(regel, line.field, line.code, line.severity, line.text,
                             line.dossiernummer))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
