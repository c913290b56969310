"""``vish``: the operators' command-line tool. Drives the same code as the functions.

Exit codes: 0 success (extract accepted), 1 the extract was rejected, 2 usage, configuration or
I/O problem (an unreadable snapshot too). Text for people is Dutch, argparse's own texts too
(:class:`DutchArgumentParser`); ``--json`` output follows ARCHITECTURE.md. Every line for people
(stdout and stderr) goes through :func:`_say`, so text from outside (a dossiernummer, a file name,
an error) cannot move the cursor, clear the screen or hide itself with control characters: they
are shown escaped (``\\x1b``). The components' log lines (English, for developers) stay off the
screen unless ``--debug`` asks for them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import re
import sys
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from shared.config import (
    ConfigError,
    OrganisationsDocument,
    dutch_os_error,
    get_settings,
    load_organisations,
)
from shared.domain.dates import parse_dutch_date
from shared.domain.privacy import printable

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


# -- argparse in Dutch -----------------------------------------------------------------------------
# argparse words its own texts through gettext (``argparse._`` and ``argparse.ngettext``, looked
# up when a text is made). DutchArgumentParser puts this Dutch catalogue in their place for as long
# as one of its methods runs (building, formatting help, parsing, reporting an error) and restores
# them afterwards, so other parsers in the process keep their language. CATALOGUE covers every
# text of Python 3.13's argparse (tests/test_cli.py compares it with the source).
CATALOGUE: dict[str, str] = {
    # help and usage
    "usage: ": "gebruik: ",
    "%(heading)s:": "%(heading)s:",
    "positional arguments": "argumenten",
    "options": "opties",
    "subcommands": "commando's",
    "show this help message and exit": "toon deze hulp en stop",
    "show program's version number and exit": "toon het versienummer en stop",
    " (default: %(default)s)": " (standaard: %(default)s)",
    # errors and warnings an operator can see
    "%(prog)s: error: %(message)s\n": "%(prog)s: fout: %(message)s\n",
    "%(prog)s: warning: %(message)s\n": "%(prog)s: waarschuwing: %(message)s\n",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s: %(message)s",
    "unrecognized arguments: %s": "onbekend argument: %s",
    "the following arguments are required: %s": "verplicht argument ontbreekt: %s",
    "one of the arguments %s is required": "een van deze argumenten is verplicht: %s",
    "not allowed with argument %s": "niet toegestaan samen met %s",
    "ignored explicit argument %r": "deze optie neemt geen waarde (%r)",
    "expected one argument": "hier hoort één waarde bij",
    "expected at most one argument": "hier hoort hoogstens één waarde bij",
    "expected at least one argument": "hier hoort minstens één waarde bij",
    "ambiguous option: %(option)s could match %(matches)s":
        "optie %(option)s is niet eenduidig: bedoelt u %(matches)s?",
    "unexpected option string: %s": "onverwachte optie: %s",
    "invalid %(type)s value: %(value)r": "ongeldige waarde: %(value)r (verwacht: %(type)s)",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "ongeldige keuze: %(value)r (kies uit %(choices)s)",
    "unknown parser %(parser_name)r (choices: %(choices)s)":
        "onbekend commando %(parser_name)r (kies uit: %(choices)s)",
    "command '%(parser_name)s' is deprecated": "commando '%(parser_name)s' is verouderd",
    "option '%(option)s' is deprecated": "optie '%(option)s' is verouderd",
    "argument '%(argument_name)s' is deprecated": "argument '%(argument_name)s' is verouderd",
    "can't open '%(filename)s': %(error)s": "kan '%(filename)s' niet openen: %(error)s",
    'argument "-" with mode %r': 'argument "-" met modus %r',
    # mistakes in building a parser (a developer's, but Dutch too)
    ".__call__() not defined": ".__call__() is niet gedefinieerd",
    "conflicting subparser: %s": "commando bestaat al: %s",
    "conflicting subparser alias: %s": "alias van een commando bestaat al: %s",
    "cannot merge actions - two groups are named %r":
        "acties niet samen te voegen: twee groepen heten %r",
    "'required' is an invalid argument for positionals":
        "'required' kan niet bij een positioneel argument",
    "invalid option string %(option)r: must start with a character %(prefix_chars)r":
        "ongeldige optie %(option)r: moet beginnen met een teken uit %(prefix_chars)r",
    "dest= is required for options like %r": "dest= is nodig bij een optie als %r",
    "invalid conflict_resolution value: %r": "ongeldige waarde voor conflict_resolution: %r",
    "mutually exclusive arguments must be optional": "elkaar uitsluitende argumenten moeten opties zijn",
    "cannot have multiple subparser arguments": "maar één groep commando's mogelijk",
    "%r is not callable": "%r is niet aanroepbaar",
}

PLURALS: dict[tuple[str, str], tuple[str, str]] = {
    ("expected %s argument", "expected %s arguments"): ("hier hoort %s waarde bij",
                                                        "hier horen %s waarden bij"),
    ("conflicting option string: %s", "conflicting option strings: %s"): ("optie bestaat al: %s",
                                                                          "opties bestaan al: %s"),
}


def _gettext(message: str) -> str:
    return CATALOGUE.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    one, many = PLURALS.get((singular, plural), (singular, plural))
    return one if n == 1 else many


_lock = threading.RLock()
_depth = 0
_saved: tuple = ()


@contextlib.contextmanager
def dutch() -> Iterator[None]:
    """argparse speaks Dutch inside this block (re-entrant; other threads wait)."""
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = (argparse._, argparse.ngettext)
            argparse._, argparse.ngettext = _gettext, _ngettext
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1
            if _depth == 0:
                argparse._, argparse.ngettext = _saved


def _plural(message: str) -> str:
    """argparse's list-bearing messages in the Dutch plural when they name more than one."""
    many = re.match(r"onbekend argument: (.*)", message, re.S)
    if many:
        tokens = many.group(1).split(" ")
        # an option's value is not an argument of its own: count what is not a value
        options = [t for i, t in enumerate(tokens)
                   if t.startswith("-") or i == 0 or not tokens[i - 1].startswith("-")]
        if len(options) > 1:
            return f"onbekende argumenten: {many.group(1)}"
        return f"onbekend argument: {many.group(1)}"
    many = re.match(r"verplicht argument ontbreekt: (.+, .+)", message, re.S)
    if many:
        return f"verplichte argumenten ontbreken: {many.group(1)}"
    return message

class DutchArgumentParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose own texts are Dutch; sub-parsers are of this class too."""

    def __init__(self, *args, **kwargs) -> None:
        with dutch():
            super().__init__(*args, **kwargs)

    def add_argument(self, *args, **kwargs):
        with dutch():
            return super().add_argument(*args, **kwargs)

    def add_subparsers(self, **kwargs):
        with dutch():
            return super().add_subparsers(**kwargs)

    def parse_args(self, args=None, namespace=None):
        with dutch():
            parsed, extra = self.parse_known_args(args, namespace)
            if extra:  # in the usage of the (sub)command they were given to, not the top's
                message = _gettext("unrecognized arguments: %s") % " ".join(extra)
                if not self.exit_on_error:
                    raise argparse.ArgumentError(None, _plural(message))
                self._chosen(parsed).error(message)
            return parsed

    def _chosen(self, parsed: argparse.Namespace) -> argparse.ArgumentParser:
        """The innermost (sub)command parser that ``parsed`` went through."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                sub = action.choices.get(getattr(parsed, action.dest, None) or "")
                if isinstance(sub, DutchArgumentParser):
                    return sub._chosen(parsed)
        return self

    def parse_intermixed_args(self, args=None, namespace=None):
        with dutch():
            return super().parse_intermixed_args(args, namespace)

    def parse_known_args(self, args=None, namespace=None):
        with dutch():
            return super().parse_known_args(args, namespace)

    def parse_known_intermixed_args(self, args=None, namespace=None):
        with dutch():
            return super().parse_known_intermixed_args(args, namespace)

    def format_usage(self) -> str:
        with dutch():
            return super().format_usage()

    def format_help(self) -> str:
        with dutch():
            return super().format_help()

    def error(self, message: str):
        with dutch():
            super().error(_plural(message))


class UsageError(Exception):
    """Shown to the operator (non-printable characters escaped), exit code 2."""


def _path(name: object) -> str:
    """A path for a message: its numbers that can be a BSN masked (file names are sometimes a
    client's)."""
    from shared.domain.privacy import redact

    return redact(str(name))


def _say(text: str = "", *, file=None) -> None:
    """Print a line for people: anything non-printable in it shown escaped."""
    print(printable(text), file=file)


def _count(n: int, one: str, many: str) -> str:
    """``1 melding``, ``2 meldingen``."""
    return f"{n} {one if n == 1 else many}"


def _after_colon(text: str) -> str:
    """A sentence shown after a colon starts lower-case in Dutch; a word in capitals (BSN, SNG,
    VISH) keeps them."""
    word = text.split(" ", 1)[0]
    if word[:1].isupper() and not any(c.isupper() for c in word[1:]):
        return text[:1].lower() + text[1:]
    return text


def _cannot_read(exc: OSError, what: str = "bestand") -> UsageError:
    where = f" ({_path(exc.filename)})" if exc.filename is not None else ""
    return UsageError(f"kan {what} niet lezen: {dutch_os_error(exc)}{where}")


def _write(path: Path, content: bytes) -> None:
    try:
        path.write_bytes(content)
    except OSError as exc:
        # exc.filename is None when the write itself fails (a full disk): name the path given
        raise UsageError(f"kan bestand niet schrijven: {dutch_os_error(exc)} "
                         f"({_path(exc.filename or path)})") from None


def _date_arg(value: str) -> date:
    """dag-maand-jaar (28-11-2026) as everywhere else; JJJJ-MM-DD (2026-11-28) too."""
    parsed = parse_dutch_date(value.strip())
    form = (re.fullmatch(r"(?P<d>\d{1,2})([-/.])(?P<m>\d{1,2})\2(?P<y>\d{4})", value.strip())
            or re.fullmatch(r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})", value.strip()))
    if parsed is None and form:  # the form is right: say what is wrong with the date itself
        try:
            date(int(form["y"]), int(form["m"]), int(form["d"]))
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{printable(value)}' is geen bestaande datum "
                                             "(controleer de dag en de maand)") from None
        raise argparse.ArgumentTypeError(f"'{printable(value)}': het jaar moet tussen 1900 en "
                                         "2199 liggen")
    if parsed is None:
        raise argparse.ArgumentTypeError(f"geen geldige datum: '{printable(value)}' (gebruik "
                                         "dag-maand-jaar, zoals 28-11-2026; 2026-11-28 mag ook)")
    return parsed


def _whole_number(minimum: int):
    def parse(value: str) -> int:
        try:
            number = int(value.strip())
        except ValueError:
            number = None
        if number is None or number < minimum:
            raise argparse.ArgumentTypeError(f"geen geheel getal van minstens {minimum}: "
                                             f"'{printable(value)}'")
        return number

    return parse


def _organisation(orgs: OrganisationsDocument, code: str | None):
    if code is None:
        if len(orgs.organisations) == 1:
            return orgs.organisations[0]
        raise UsageError("meerdere organisaties ingesteld: kies er een met --org "
                         f"({', '.join(o.code for o in orgs.organisations)})")
    organisation = orgs.get(code)
    if organisation is None:
        raise UsageError(f"organisatie '{code}' is niet ingesteld "
                         f"(bekend: {', '.join(o.code for o in orgs.organisations)})")
    return organisation


def _progress(enabled: bool):
    if not enabled:
        return None

    def show(rows: int) -> None:
        sys.stderr.write(f"\r  {rows:,} regels gecontroleerd ...".replace(",", "."))
        sys.stderr.flush()

    return show


# -- validate --------------------------------------------------------------------------------------
def cmd_validate(args: argparse.Namespace) -> int:
    from shared.clock import local_today
    from shared.domain.reader import iter_file_chunks
    from shared.domain.report import CHECK, report_csv, screen_lines
    from shared.domain.snapshot import SnapshotFormatError
    from shared.domain.validation import Rules, validate_extract

    settings = get_settings()
    organisation = _organisation(load_organisations(settings), args.org)
    today = local_today()
    progress = _progress(not args.json and sys.stderr.isatty())
    try:
        with open(args.file, "rb") as fh:
            try:
                # Bytes through the bounded reader: a file without line ends stops at the
                # line bound instead of being held whole as one line.
                snapshot_file = open(args.snapshot, "rb") if args.snapshot else None  # noqa: SIM115
            except OSError as exc:
                raise _cannot_read(exc, "snapshot") from None
            try:
                result = validate_extract(
                    iter_file_chunks(fh), today=today,
                    reference_date=args.date or today, rules=Rules.of(organisation),
                    current_snapshot=_snapshot_rows(snapshot_file) if snapshot_file else None,
                    max_bytes=settings.max_extract_bytes, max_issues=settings.max_report_issues,
                    progress=progress,
                )
            except SnapshotFormatError as exc:
                # The snapshot is read while deciding: its problem is the operator's, not the
                # extract's (exit 2, not 1); the message names a line, never a value.
                raise UsageError(f"{exc}; {_path(args.snapshot)} is niet te gebruiken als snapshot") from None
            finally:
                if snapshot_file:
                    snapshot_file.close()
    except OSError as exc:
        raise _cannot_read(exc) from None
    if progress:
        sys.stderr.write("\r" + " " * 40 + "\r")
    if args.report_csv:
        # A check on this computer: the besluit says what would happen at intake.
        _write(Path(args.report_csv), report_csv(result, organisation=organisation.code,
                                                 context=CHECK))
    if args.json:
        print(json.dumps(result.to_contract(), ensure_ascii=False))
    else:
        # The besluit first and never cut off; then errors before warnings, repeated warnings
        # grouped (the same lines as the report, shortened for a screen).
        facts = (f"Regels: {result.total} gelezen, {result.valid} geldig, {result.invalid} ongeldig, "
                 f"{result.ineligible} (nog) niet aan te melden op {args.date or today:%d-%m-%Y}",
                 f"Bestand: {result.encoding}, scheidingsteken "
                 f"{'tab' if result.delimiter == chr(9) else repr(result.delimiter)}")
        for line in screen_lines(result, args.limit, organisation=organisation.code, facts=facts):
            _say(line)
    return EXIT_OK if result.accepted else EXIT_REJECTED


# -- intake ----------------------------------------------------------------------------------------
def cmd_intake(args: argparse.Namespace) -> int:
    """Upload a file to ``extracts/{org}/`` and process it now, exactly as the function does."""
    from shared.usecases.intake import EXTRACTS_CONTAINER
    from shared.wiring import build_intake

    settings = get_settings()
    service = build_intake(settings)
    organisation = _organisation(service.organisations, args.org)
    name = f"{organisation.code}/{args.name or Path(args.file).name}"
    service.ensure_storage()
    try:
        with open(args.file, "rb") as fh:
            service.blobs.upload(EXTRACTS_CONTAINER, name, fh)
    except OSError as exc:
        raise _cannot_read(exc) from None
    outcome = service.process(name, reference_date=args.date)
    _print_outcome(outcome, args.json)
    return EXIT_OK if outcome.decision in ("accepted", "duplicate") else EXIT_REJECTED


def _print_outcome(outcome, as_json: bool) -> None:
    from shared.domain.report import DECISION_NL
    from shared.usecases.intake import reason_text

    if as_json:
        print(json.dumps(outcome.__dict__, ensure_ascii=False, default=str))
        return
    words = {**DECISION_NL, "duplicate": "al eerder verwerkt (zelfde inhoud)",
             "missing": "niet (meer) aanwezig"}
    _say(f"Organisatie {outcome.org}: extract {words[outcome.decision]}"
         + (f" — {_after_colon(reason_text(outcome.reason))}" if outcome.reason else ""))
    if outcome.summary:
        s = outcome.summary
        _say(f"  regels {s['rows_total']}, geldig {s['rows_valid']}, ongeldig "
             f"{s['rows_invalid']}, niet aan te melden {s['rows_ineligible']}; personen in "
             f"snapshot {s['people']}")
    if outcome.report:
        _say(f"  rapport: {outcome.report} (en .csv)")
    if outcome.quarantined:
        _say(f"  origineel in quarantaine: {outcome.quarantined}")


# -- build -----------------------------------------------------------------------------------------
def _snapshot_rows(fh):
    """The rows of a snapshot file, decoded as validation reads an export: a snapshot opened and
    saved by Excel (Windows-1252, UTF-16) reads like the one the intake wrote."""
    from shared.domain.reader import NotCsv, UnreadableExtract, decode_to_utf8, iter_file_chunks
    from shared.domain.snapshot import SnapshotFormatError, iter_snapshot_bytes

    def decoded():
        try:
            yield from decode_to_utf8(iter_file_chunks(fh))
        except NotCsv:
            # The snapshot's problem, never the extract's (validation would reject the extract
            # for it); the message names the kind of file, never its content.
            raise SnapshotFormatError("snapshot: geen tekstbestand") from None
        except UnreadableExtract as exc:
            raise SnapshotFormatError(f"snapshot onleesbaar: {exc}") from None

    return iter_snapshot_bytes(decoded())


def cmd_build(args: argparse.Namespace) -> int:
    """Write the SNG file the delivery would send for that date, byte for byte."""
    import tempfile

    from shared.domain.delivery_file import build_delivery_file
    from shared.domain.profile import profile_for
    from shared.domain.reader import UnreadableExtract, decode_to_utf8, iter_file_chunks
    from shared.domain.snapshot import SNAPSHOT_FIELDS, SnapshotFormatError

    settings = get_settings()
    organisation = _organisation(load_organisations(settings), args.org)
    profile = profile_for(organisation)
    header = ";".join(SNAPSHOT_FIELDS).encode("ascii")
    with tempfile.TemporaryDirectory(prefix="vish-build-") as scratch:
        try:
            # Decoded and bounded: a snapshot in any encoding is recognised by its header; an
            # extract (or a binary file, which the validation then rejects) is not.
            with open(args.input, "rb") as fh:
                first = next(decode_to_utf8(iter_file_chunks(fh)), b"")
        except OSError as exc:
            raise _cannot_read(exc, "invoer") from None
        except UnreadableExtract:
            first = b""
        snapshot_path = Path(args.input)
        if first.split(b"\n", 1)[0].rstrip(b"\r") != header:
            # An extract: validate it as the intake would, then build from its snapshot.
            snapshot_path = Path(scratch) / "snapshot.csv"
            decision = _snapshot_from_extract(Path(args.input), snapshot_path, organisation, args.date)
            if decision is not None:
                from shared.domain.issues import Code
                from shared.domain.report import reason_message

                reason = reason_message(Code(decision)) if decision in Code._value2member_map_ else None
                _say(f"Extract afgewezen: {_after_colon(reason or 'zie vish validate')} ({decision}); "
                     "er is geen bestand gemaakt.", file=sys.stderr)
                return EXIT_REJECTED
        previous = None
        if args.previous:
            try:
                with open(args.previous, "rb") as fh:
                    previous = list(_snapshot_rows(fh))
            except OSError as exc:
                raise _cannot_read(exc, "vorige levering (--previous)") from None
            except SnapshotFormatError as exc:
                raise UsageError(f"{exc}; {_path(args.previous)} is niet te gebruiken als vorige "
                                 "levering (--previous)") from None
        try:
            with open(snapshot_path, "rb") as fh:
                built = build_delivery_file(_snapshot_rows(fh), organisation,
                                            args.date, profile, previous=previous,
                                            sequence=args.sequence)
        except OSError as exc:
            raise _cannot_read(exc, "snapshot") from None
        except SnapshotFormatError as exc:
            raise UsageError(f"{exc}; {_path(args.input)} is niet te gebruiken als snapshot") from None
        except ValueError:
            # A field the profile needs, such as a date, does not parse; its message would
            # show the value (personal data), so it is not passed on.
            raise UsageError("snapshot of vorige levering bevat een ongeldige waarde (zoals een "
                             "datum die geen JJJJ-MM-DD is); er is geen bestand gemaakt") from None
    out = Path(args.out)
    target = out / built.name if out.is_dir() else out
    _write(target, built.content)
    if args.manifest:
        _write(Path(args.manifest), built.manifest)
    summary = {"file": str(target), "name": built.name, "records": built.records,
               "people": built.people, "added": built.added, "removed": built.removed,
               "sha256": built.sha256, "profile": f"{profile.name} v{profile.version}"}
    if args.json:
        print(json.dumps(summary))
    else:
        _say(f"SNG-bestand {built.name} geschreven naar {target}")
        _say(f"  profiel {summary['profile']}, {_count(built.records, 'regel', 'regels')}, "
             f"{_count(built.people, 'persoon', 'personen')} aangemeld op {args.date:%d-%m-%Y}")
        _say(f"  SHA-256 {built.sha256}")
    return EXIT_OK


def _snapshot_from_extract(path: Path, snapshot_path: Path, organisation, on: date) -> str | None:
    from shared.clock import local_today
    from shared.domain.reader import iter_file_chunks
    from shared.domain.validation import Rules, validate_extract

    try:
        with (open(path, "rb") as fh,
              open(snapshot_path, "w", encoding="utf-8", newline="") as out):
            result = validate_extract(iter_file_chunks(fh), today=local_today(), reference_date=on,
                                      rules=Rules.of(organisation), snapshot_out=out)
    except OSError as exc:
        raise _cannot_read(exc) from None
    return None if result.accepted else (result.reason.value if result.reason else "rejected")


# -- deliver and sftp-check ------------------------------------------------------------------------
def _as_the_trigger(service, request):
    """``request`` handled here by the queue trigger's own code (``consumer.process``: the same
    checks, the same delivery), without a queue: ``vish deliver`` needs no queue rights and
    leaves nothing behind. Its outcome; None when it could not be recorded (storage trouble)."""
    from shared.usecases.consumer import Busy, TryAgain, process

    try:
        return process(service, request.to_json(), requeue=False)
    except Busy as busy:
        return busy.outcome
    except TryAgain:
        return None


def cmd_deliver(args: argparse.Namespace) -> int:
    """The real delivery path from the command line (lease, archive, upload, outcome)."""
    from shared.clock import local_today
    from shared.domain.snapshot import SnapshotFormatError
    from shared.wiring import build_delivery

    service = build_delivery(get_settings())
    organisation = _organisation(service.organisations, args.org)
    service.blobs.ensure_containers(service.settings.outbox_container, service.settings.locks_container)
    service.outcomes.ensure_table()
    if args.force and not args.reason:
        raise UsageError("--force vraagt om een --reason (het opnieuw leveren wordt vastgelegd)")
    if args.release and (not args.reason or not args.release.strip() or args.date or args.force
                         or args.dry_run or args.confirm):
        raise UsageError("--release SHA256 vraagt om een --reason en de eerste tekens (minstens 8) "
                         "van de SHA-256 van het gecontroleerde bestand (zie 'vish status'); zonder "
                         "--date, --force, --dry-run of --confirm")
    if args.confirm and (not args.reason or args.force or args.dry_run):
        raise UsageError("--confirm vraagt om een --reason (en --date bij meer dan één niet-bevestigde "
                         "dag; zonder --force of --dry-run)")
    if args.confirm:
        from shared.usecases.delivery import SeveralUnconfirmed

        try:
            confirmed = service.confirm_unconfirmed(organisation.code, args.reason, args.date)
        except SeveralUnconfirmed as exc:
            raise UsageError(f"meer dan één niet-bevestigde levering ({exc}): noem de dag met "
                             "--date") from None
        if confirmed is None:
            raise UsageError(f"er is geen niet-bevestigde levering van {organisation.code}"
                             + (f" voor {args.date:%d-%m-%Y}" if args.date else ""))
        _say(f"Levering van {organisation.code} voor {date.fromisoformat(confirmed):%d-%m-%Y} als "
             "aangekomen vastgelegd.")
        return EXIT_OK
    day = args.date or local_today()
    if day > local_today() and not args.dry_run:
        raise UsageError("--date ligt in de toekomst: alleen met --dry-run (een verzonden bestand "
                         "voor een latere dag zou de dagen ervoor overslaan)")
    try:
        if args.release:
            from shared.usecases.delivery import NothingHeld, NotTheHeldFile

            try:
                request = service.release_held(organisation.code, args.reason, args.release,
                                               send=False)
            except NothingHeld:
                raise UsageError(f"er is geen tegengehouden levering van {organisation.code} "
                                 "om vrij te geven") from None
            except NotTheHeldFile:
                raise UsageError("de SHA-256 hoort niet bij het bestand dat nu is tegengehouden "
                                 "(is er intussen een nieuwe export?); controleer 'vish status'"
                                 ) from None
            day = request.day
            outcome = _as_the_trigger(service, request)
        elif args.dry_run:  # built here, nothing sent: no queue
            outcome = service.deliver(organisation.code, day, reason=args.reason or "vish deliver",
                                      dry_run=True)
        else:
            request = service.request_delivery(organisation.code, day,
                                               reason=args.reason or "vish deliver", manual=args.force,
                                               send=False)
            outcome = _as_the_trigger(service, request)
    except SnapshotFormatError as exc:
        raise UsageError(f"{exc}; de opgeslagen snapshot of het manifest van de vorige levering "
                         f"van {organisation.code} is niet te gebruiken") from None
    if outcome is None:
        # The outcome could not be recorded (storage trouble): whether it was sent is not
        # known here; the status tells (the request's id is in its rows).
        if args.json:
            print(json.dumps({"org": organisation.code, "day": day.isoformat(), "status": "unknown",
                              "request": request.id}))
        else:
            _say(f"Levering {organisation.code} voor {day:%d-%m-%Y}: UITKOMST ONBEKEND (de opslag gaf "
                 f"fouten; verzoek {request.id[:12]}); kijk in 'vish status' voordat u het opnieuw "
                 "probeert")
        return EXIT_REJECTED
    if args.json:
        print(json.dumps(outcome.as_dict()))
    else:
        words = {"succeeded": "verzonden", "failed": "MISLUKT",
                 "skipped": "al verzonden, of een latere dag al (niets gedaan; opnieuw: --force --reason)",
                 "busy": "wordt al door een andere instantie verzonden", "dry_run": "proef (niet verzonden)",
                 "held": "TEGENGEHOUDEN: het bestand zou te veel personen uit VISH halen; controleer "
                         "het en geef het vrij met --release <SHA-256> --reason",
                 "unconfirmed": "NIET BEVESTIGD: hernoemd op de server, aankomst niet te controleren; "
                                "vraag SNG of het bestand is aangekomen (dan: --confirm --reason; "
                                "zo niet: --force --reason)"}
        _say(f"Levering {organisation.code} voor {day:%d-%m-%Y}: {words[outcome.status]}")
        if outcome.file:
            _say(f"  bestand {outcome.file}"
                 + (f", {_count(outcome.records, 'regel', 'regels')}, {outcome.size} bytes"
                    if outcome.records is not None else ""))
        if outcome.sha256:
            _say(f"  SHA-256 {outcome.sha256}")
        if outcome.status == "held" and outcome.people is not None:
            _say(f"  {_count(outcome.people, 'persoon', 'personen')} in dit bestand; zie "
                 "'vish status' voor de vorige levering")
        if outcome.error_kind:
            from shared.domain.health import ERROR_KINDS

            _say(f"  fout: {outcome.error_kind}" + (f": {ERROR_KINDS[outcome.error_kind]}"
                                                    if outcome.error_kind in ERROR_KINDS else ""))
    return EXIT_OK if outcome.status in ("succeeded", "skipped", "dry_run") else EXIT_REJECTED


def cmd_sftp_check(args: argparse.Namespace) -> int:
    from shared.adapters.sftp import check_connection
    from shared.wiring import build_delivery

    service = build_delivery(get_settings())
    organisation = _organisation(service.organisations, args.org)
    target = organisation.sftp
    if target is None:
        raise UsageError(f"organisatie '{organisation.code}' heeft geen SFTP-bestemming ingesteld")
    # The server's host key is fetched and compared before the secret is read: its fingerprint
    # is shown even when the secret is missing (first set-up, when the comparison matters most).
    result = check_connection(target, lambda: service.credentials_for(target), probe=args.probe)
    match = (None if result.server_key is None or result.pinned_key is None
             else result.server_key == result.pinned_key)
    if args.json:
        print(json.dumps({"ok": result.ok, "steps": [
            {"step": step, "ok": ok, "detail": detail} for step, ok, detail in result.steps],
            "server_key": result.server_key, "pinned_key": result.pinned_key, "keys_match": match}))
        return EXIT_OK if result.ok else EXIT_REJECTED
    for step, ok, detail in result.steps:
        _say(f"  [{'ok' if ok else 'FOUT'}] {step}: {detail}")
    _say(f"  Hostsleutel van de server: {result.server_key or 'niet ontvangen (geen SSH-verbinding)'}")
    _say(f"  Vastgelegde hostsleutel:   {result.pinned_key or 'geen geldige sleutel ingesteld'}"
         + ("" if match is None else " (komt overeen)" if match else " (komt NIET overeen)"))
    _say("Verbinding in orde." if result.ok else "Verbinding NIET in orde.")
    if match is False:
        _say("Een andere hostsleutel betekent een andere server of een onderschepte verbinding. "
             "Vraag SNG om de vingerafdruk van hun server en pas sftp.host_key alleen aan als die "
             "gelijk is aan de sleutel van de server hierboven.")
    if result.failed_kind == "connect":
        for line in _laptop_hint(organisation.code, args.probe):
            _say(line)
    return EXIT_OK if result.ok else EXIT_REJECTED


def _laptop_hint(org: str, probe: bool) -> list[str]:
    """After a refused or unanswered connection: SNG's allow-list may be the cause. The admin
    action's call as the operator guide gives it (the key through stdin, never on a command line)."""
    return ["Let op: gebruikt de functie-app een vast uitgaand IP-adres (enableStaticOutboundIp), dan "
            "laat SNG alleen dat adres toe en wordt een test vanaf deze computer geweigerd. Test "
            "dan vanuit Azure met de beheeractie 'verbinding testen' (HOST en BEHEERSLEUTEL: zie de "
            "handleiding beheer, hoofdstuk 6):",
            "  printf 'header = \"x-functions-key: %s\"\\n' \"$BEHEERSLEUTEL\" | curl -sS -K - -X POST "
            f"\"https://$HOST/api/connection-test/{org}?probe={1 if probe else 0}\" -w '\\nHTTP "
            "%{http_code}\\n'"]


# -- status ----------------------------------------------------------------------------------------
def cmd_status(args: argparse.Namespace) -> int:
    from shared.domain.status_page import WORDS, render
    from shared.usecases.status import attention_order
    from shared.wiring import status_service

    service = status_service()
    try:
        if args.org:
            detail = service.organisation(args.org)
            if detail is None:
                raise UsageError(f"organisatie '{args.org}' is niet ingesteld")
            overview = {"generated_at": service.now().isoformat(), "healthy": detail["healthy"],
                        "organisations": [detail]}
            details = {args.org: detail}
        else:
            overview = service.overview()
            # Only the page needs the 30-day charts (hundreds of organisations: none for text).
            details = ({code: {"days": days} for code, days in service.chart_days(
                [o["code"] for o in overview["organisations"]]).items()} if args.html else {})
    except Exception as exc:
        if not _table_missing(exc):
            raise
        # The outcome table is made by the first intake or delivery: nothing has run yet.
        table = get_settings().outcomes_table
        if args.json:
            print(json.dumps({"healthy": False, "nothing_yet": True, "organisations": []}))
        else:
            _say("Status VISH-levering: er is nog niets verwerkt of geleverd (de uitkomstentabel "
                 f"'{table}' bestaat nog niet; die ontstaat bij de eerste verwerking of levering).")
        return EXIT_REJECTED
    if args.html:
        _write(Path(args.html), render(overview, details, history=bool(args.org)).encode("utf-8"))
    if args.json:
        print(json.dumps(details[args.org] if args.org else overview, ensure_ascii=False, default=str))
    else:
        _say("Status VISH-levering: " + ("alles in orde" if overview["healthy"] else "ACTIE NODIG"))
        counts = overview.get("summary")
        if counts and not args.org and counts["organisations"] > 1:
            _say(f"  {_count(counts['organisations'], 'organisatie', 'organisaties')}, waarvan "
                 f"{counts['attention']} aandacht {'vraagt' if counts['attention'] == 1 else 'vragen'}"
                 + (" (die staan bovenaan)" if counts["attention"] else ""))
        for org in sorted(overview["organisations"], key=attention_order):
            word = WORDS.get(org["health"], org["health"])
            reason = org["reason"]
            if reason.lower().startswith(word.lower()):  # the badge's words said once
                said = _after_colon(reason)
            else:
                said = f"{word} — {_after_colon(reason)}"
            upcoming = org["next_due"]["text"]
            if upcoming not in reason:  # pending names the moment already
                said += f"; volgende levering: {upcoming}"
            _say(f"  {org['code']}: {said}")
            problem = org.get("extract_problem")
            if problem and problem.get("word") != org["health"]:
                _say(f"    {_after_colon(problem['reason'])}")  # says which file itself
        for folder in overview.get("unknown_folders") or ():
            uploads = folder["uploads"]
            _say(f"  onbekende map '{folder['folder']}': laatste upload {folder['at_text']} "
                 f"({uploads} {'upload' if uploads == 1 else 'uploads'} in 7 dagen; niet "
                 "geleverd, controleer de mapnaam)")
        if args.html:
            _say(f"  statuspagina geschreven naar {args.html}")
    return EXIT_OK if overview["healthy"] else EXIT_REJECTED


def _table_missing(exc: BaseException) -> bool:
    """The storage answered that the table does not exist (not an outage)."""
    from azure.core.exceptions import ResourceNotFoundError

    return isinstance(exc, ResourceNotFoundError) and (
        getattr(exc, "error_code", None) == "TableNotFound" or "TableNotFound" in str(exc))


def cmd_config_check(args: argparse.Namespace) -> int:
    """Check settings and organisations without network: every problem at once."""
    from shared.config import check_configuration

    check = check_configuration()
    if args.json:
        print(json.dumps({"ok": check.ok, "problems": check.problems, "notes": check.notes,
                          "organisations": check.organisations}, ensure_ascii=False))
        return EXIT_OK if check.ok else EXIT_REJECTED
    _say("Configuratie controleren (zonder netwerk)")
    if check.organisations:
        _say(f"  organisaties uit {check.source}: {len(check.organisations)} "
             f"({', '.join(check.organisations)})")
    if check.notes:
        _say("Let op:")
        for note in check.notes:
            _say(f"  - {note}")
    if check.problems:
        _say(f"{'Probleem' if len(check.problems) == 1 else 'Problemen'}:")
        for problem in check.problems:
            _say(f"  - {problem}")
        _say(f"Configuratie NIET in orde: {_count(len(check.problems), 'probleem', 'problemen')}.")
        return EXIT_REJECTED
    _say("Configuratie in orde.")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    debug_help = "toon ook de technische logregels van de onderdelen (Engels) op stderr"
    common = DutchArgumentParser(add_help=False)
    # SUPPRESS: a command's parser sets debug only when it is given after the command, so
    # 'vish --debug status' (given before it, to the top-level parser) is not undone
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=debug_help)
    org = DutchArgumentParser(add_help=False)
    org.add_argument("--org", metavar="CODE",
                     help="organisatiecode (standaard: de enige ingestelde organisatie)")
    as_json = DutchArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="uitvoer als JSON (voor scripts)")
    shared = [common, org, as_json]

    parser = DutchArgumentParser(prog="vish", description="vish-bridge: de aanlevering aan VISH "
                                 "(SNG) beheren en controleren")
    parser.add_argument("--debug", action="store_true", help=debug_help)
    sub = parser.add_subparsers(dest="command", metavar="COMMANDO", title="commando's",
                                required=True, help="wat vish doet; meer met 'vish COMMANDO --help'")

    p = sub.add_parser("validate", parents=shared, help="controleer een extract voordat u het aanlevert",
                       description="Controleer een extract met de regels van de organisatie, "
                                   "zonder iets op te slaan of te verzenden.")
    p.add_argument("file", metavar="BESTAND", help="CSV-extract uit het schuldhulpsysteem")
    p.add_argument("--date", metavar="DATUM", type=_date_arg,
                   help="peildatum voor aanmeldbaarheid, dd-mm-jjjj of JJJJ-MM-DD (standaard vandaag)")
    p.add_argument("--snapshot", metavar="BESTAND",
                   help="huidige snapshot (CSV) voor de controle op massaal afmelden")
    p.add_argument("--report-csv", metavar="BESTAND",
                   help="schrijf ook het rapport voor de consulent (CSV)")
    p.add_argument("--limit", metavar="AANTAL", type=_whole_number(0), default=25,
                   help="aantal meldingen op het scherm (standaard 25)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("intake", parents=shared, help="lever een extract aan en verwerk het direct",
                       description="Zet een extract in extracts/<organisatie>/ en verwerk het nu, "
                                   "met dezelfde code als de functie.")
    p.add_argument("file", metavar="BESTAND", help="CSV-extract uit het schuldhulpsysteem")
    p.add_argument("--name", metavar="NAAM", help="naam van de blob (standaard de bestandsnaam)")
    p.add_argument("--date", metavar="DATUM", type=_date_arg,
                   help="peildatum voor aanmeldbaarheid, dd-mm-jjjj of JJJJ-MM-DD (standaard vandaag)")
    p.set_defaults(func=cmd_intake)

    p = sub.add_parser("build", parents=shared,
                       help="maak het SNG-bestand voor een datum (zoals de verzending)",
                       description="Schrijf het bestand dat de verzending voor die datum zou "
                                   "sturen, byte voor byte.")
    p.add_argument("input", metavar="INVOER",
                   help="snapshot (snapshots/<organisatie>/current.csv) of een extract")
    p.add_argument("--date", metavar="DATUM", type=_date_arg, required=True,
                   help="leverdatum, dd-mm-jjjj of JJJJ-MM-DD")
    p.add_argument("--out", metavar="PAD", required=True,
                   help="bestand, of map (dan met de naam uit het profiel)")
    p.add_argument("--previous", metavar="BESTAND",
                   help="manifest van de vorige levering (profielen met mutaties)")
    p.add_argument("--manifest", metavar="BESTAND", help="schrijf het manifest van deze levering hierheen")
    p.add_argument("--sequence", metavar="NUMMER", type=_whole_number(1), default=1,
                   help="volgnummer in de bestandsnaam (standaard 1)")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("deliver", parents=shared, help="lever het bestand van vandaag (of --date) aan SNG",
                       description="De echte levering (lease, archief, upload, uitkomst).")
    p.add_argument("--date", metavar="DATUM", type=_date_arg,
                   help="leverdag, dd-mm-jjjj of JJJJ-MM-DD (standaard vandaag)")
    p.add_argument("--dry-run", action="store_true", help="alleen bouwen, niet verzenden")
    p.add_argument("--force", action="store_true", help="opnieuw leveren, ook als die dag al gelukt is")
    p.add_argument("--release", metavar="SHA256",
                   help="geef de tegengehouden levering vrij: de eerste tekens (minstens 8) van de "
                        "SHA-256 van het gecontroleerde bestand (zie 'vish status')")
    p.add_argument("--confirm", action="store_true",
                   help="leg vast dat een niet-bevestigde levering bij SNG is aangekomen")
    p.add_argument("--reason", metavar="TEKST",
                   help="reden (verplicht bij --force, --release en --confirm)")
    p.set_defaults(func=cmd_deliver)

    p = sub.add_parser("sftp-check", parents=shared, help="test de SFTP-verbinding met SNG",
                       description="Verbind, controleer de hostsleutel, meld aan en lees de map; "
                                   "met --probe ook een proefbestand schrijven en verwijderen.")
    p.add_argument("--probe", action="store_true", help="schrijf en verwijder ook een proefbestand")
    p.set_defaults(func=cmd_sftp_check)

    p = sub.add_parser("status", parents=[common, as_json],
                       help="status van de aanlevering per organisatie",
                       description="De status uit de uitkomstentabel; code 1 als een organisatie "
                                   "aandacht nodig heeft.")
    p.add_argument("--org", metavar="CODE",
                   help="alleen deze organisatie, met haar geschiedenis (standaard: alle "
                        "organisaties)")
    p.add_argument("--html", metavar="BESTAND", help="schrijf ook de statuspagina (HTML) naar dit bestand")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("config", help="controleer de instellingen en het organisatiedocument",
                       description="Controles op de configuratie, zonder netwerk.")
    actions = p.add_subparsers(dest="config_command", metavar="ACTIE", title="acties", required=True,
                               help="meer met 'vish config ACTIE --help'")
    c = actions.add_parser("check", parents=[common, as_json],
                           help="controleer alles en meld alle problemen tegelijk",
                           description="Controleer de instellingen (opslag, Key Vault, schema) en "
                                       "het organisatiedocument zonder netwerk; code 0 als alles in "
                                       "orde is, 1 bij problemen.")
    c.set_defaults(func=cmd_config_check, reads_settings_itself=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    return run_command(build_parser().parse_args(argv), prog="vish")


def use_cli_logging(debug: bool) -> None:
    """On the operator's screen only the tool's Dutch text: the components' log lines (English,
    from paramiko, the Azure SDK and our own modules) and Python's warnings go nowhere, unless
    ``--debug`` asks for them on stderr. (The Functions host brings its own handlers.)"""
    from shared.log import configure_logging, quiet_sdk_loggers

    root = logging.getLogger()
    logging.captureWarnings(True)
    if debug:
        configure_logging("DEBUG")
        return
    for handler in [h for h in root.handlers if getattr(h, "_vish", False)]:
        root.removeHandler(handler)
    if not any(getattr(h, "_vish_silent", False) for h in root.handlers):
        silent = logging.NullHandler()  # also keeps Python's last-resort handler off stderr
        silent._vish_silent = True
        root.addHandler(silent)
    quiet_sdk_loggers()


def _storage_message(exc: Exception) -> str:
    """An Azure SDK error as a Dutch sentence: which part refused, never its (English) text."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ResourceNotFoundError,
        ServiceRequestError,
    )

    name = type(exc).__name__
    if isinstance(exc, ClientAuthenticationError):
        return (f"aanmelden bij de opslag of Key Vault geweigerd ({name}); controleer de "
                "verbindingsreeks of de beheerde identiteit")
    if isinstance(exc, ResourceNotFoundError):
        return (f"de opslag kent een gevraagde tabel of container niet ({name}); is de installatie "
                "volledig?")
    if isinstance(exc, HttpResponseError) and exc.status_code == 403:
        return (f"toegang tot de opslag geweigerd ({name} 403); controleer de rollen van de "
                "identiteit en de firewall van het opslagaccount")
    if isinstance(exc, ServiceRequestError):
        return (f"opslag niet bereikbaar ({name}); controleer VISH_STORAGE_CONNECTION_STRING of de "
                "service-URI's en het netwerk")
    return (f"opslag of Key Vault niet bereikbaar of geweigerd ({name}); controleer "
            "VISH_STORAGE_CONNECTION_STRING of de service-URI's")


def run_command(args: argparse.Namespace, *, prog: str) -> int:
    """Run a parsed command (``args.func``) with the CLI's logging; problems an operator can fix
    (usage, configuration, unreachable storage) become a Dutch message and exit 2.
    ``vish-dev`` (devtools) runs its commands through this too."""
    from pydantic import ValidationError

    from shared.config import settings_errors

    use_cli_logging(getattr(args, "debug", False))
    try:
        if not getattr(args, "reads_settings_itself", False):
            get_settings()  # a bad setting is reported before anything is done
        return args.func(args)
    except UsageError as exc:
        _say(f"{prog}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        if len(exc.problems) == 1:
            _say(f"{prog}: {exc.problems[0]}", file=sys.stderr)
        else:
            _say(f"{prog}: de configuratie is niet te gebruiken "
                 f"({_count(len(exc.problems), 'probleem', 'problemen')}):", file=sys.stderr)
            for problem in exc.problems:
                _say(f"  - {problem}", file=sys.stderr)
        _say(f"{prog}: controleer alles in één keer met 'vish config check'", file=sys.stderr)
        return EXIT_USAGE
    except ValidationError as exc:
        for problem in settings_errors(exc):
            _say(f"{prog}: ongeldige {problem}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        _say(f"{prog}: afgebroken", file=sys.stderr)
        return 130
    except Exception as exc:
        from azure.core.exceptions import AzureError

        if isinstance(exc, AzureError):
            _say(f"{prog}: {_storage_message(exc)}", file=sys.stderr)
            return EXIT_USAGE
        if getattr(args, "debug", False):
            raise
        # A fault of the tool itself: named by its class only (its text may hold a value from
        # a file); --debug shows the traceback.
        _say(f"{prog}: onverwachte fout ({type(exc).__name__}); draai het commando opnieuw met "
             "--debug voor de technische details", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
