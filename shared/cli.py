"""``vish``: the operators' command-line tool. Drives the same code as the functions.

Exit codes: 0 success (extract accepted), 1 the extract was rejected, 2 usage, configuration or
I/O problem (an unreadable snapshot too). Text for people is Dutch; ``--json`` output follows
ARCHITECTURE.md. Every line for people (stdout and stderr) goes through :func:`_say`, so text
from outside (a dossiernummer, a file name, an error) cannot move the cursor, clear the screen or
hide itself with control characters: they are shown escaped (``\\x1b``).
"""

from __future__ import annotations

import argparse
import codecs
import json
import sys
from datetime import date
from pathlib import Path

from shared.config import ConfigError, OrganisationsDocument, get_settings, load_organisations
from shared.domain.dates import parse_dutch_date
from shared.domain.privacy import printable

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


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


def _cannot_read(exc: OSError, what: str = "bestand") -> UsageError:
    return UsageError(f"kan {what} niet lezen: {exc.strerror or type(exc).__name__} "
                      f"({_path(exc.filename)})")


def _write(path: Path, content: bytes) -> None:
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise UsageError(f"kan bestand niet schrijven: {exc.strerror or type(exc).__name__} "
                         f"({_path(exc.filename)})") from None


def _date_arg(value: str) -> date:
    parsed = parse_dutch_date(value.strip())
    if parsed is None:
        raise argparse.ArgumentTypeError(f"geen geldige datum: {value!r} (gebruik JJJJ-MM-DD)")
    return parsed


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
    from shared.domain.report import DECISION_NL, reason_message, report_csv
    from shared.domain.snapshot import SnapshotFormatError, iter_snapshot_bytes
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
                    current_snapshot=(iter_snapshot_bytes(iter_file_chunks(snapshot_file))
                                      if snapshot_file else None),
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
        _write(Path(args.report_csv), report_csv(result))
    if args.json:
        print(json.dumps(result.to_contract(), ensure_ascii=False))
    else:
        reason = reason_message(result.reason)
        _say(f"Besluit: {DECISION_NL[result.decision]}" + (f" — {reason}" if reason else ""))
        _say(f"Regels: {result.total} gelezen, {result.valid} geldig, {result.invalid} ongeldig, "
             f"{result.ineligible} (nog) niet aan te melden op {args.date or today:%d-%m-%Y}")
        _say(f"Bestand: {result.encoding}, scheidingsteken "
             f"{'tab' if result.delimiter == chr(9) else repr(result.delimiter)}")
        shown = result.issues[: args.limit]
        for issue in shown:
            where = f"regel {issue.row}" if issue.row else "bestand"
            field = f" [{issue.field}]" if issue.field else ""
            dossier = f" (dossier {issue.dossiernummer})" if issue.dossiernummer else ""
            _say(f"  {where}{field}{dossier}: {issue.code.value}: {issue.message}")
        if len(result.issues) > len(shown):
            _say(f"  ... en nog {len(result.issues) - len(shown)} meldingen "
                 "(zie --json of --report-csv)")
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
         + (f" — {reason_text(outcome.reason)}" if outcome.reason else ""))
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
def cmd_build(args: argparse.Namespace) -> int:
    """Write the SNG file the delivery would send for that date, byte for byte."""
    import tempfile

    from shared.domain.delivery_file import build_delivery_file
    from shared.domain.profile import profile_for
    from shared.domain.reader import iter_file_chunks
    from shared.domain.snapshot import SNAPSHOT_FIELDS, SnapshotFormatError, iter_snapshot_bytes

    settings = get_settings()
    organisation = _organisation(load_organisations(settings), args.org)
    profile = profile_for(organisation)
    header = ";".join(SNAPSHOT_FIELDS).encode("ascii")
    with tempfile.TemporaryDirectory(prefix="vish-build-") as scratch:
        try:
            # Bytes, bounded: an extract in any encoding (or a binary file) is no snapshot.
            with open(args.input, "rb") as fh:
                first = fh.readline(len(header) + 8)
        except OSError as exc:
            raise _cannot_read(exc, "invoer") from None
        snapshot_path = Path(args.input)
        if first.removeprefix(codecs.BOM_UTF8).rstrip(b"\r\n") != header:
            # An extract: validate it as the intake would, then build from its snapshot.
            snapshot_path = Path(scratch) / "snapshot.csv"
            decision = _snapshot_from_extract(Path(args.input), snapshot_path, organisation, args.date)
            if decision is not None:
                _say(f"Extract afgewezen ({decision}); er is geen bestand gemaakt.", file=sys.stderr)
                return EXIT_REJECTED
        previous = None
        if args.previous:
            try:
                with open(args.previous, "rb") as fh:
                    previous = list(iter_snapshot_bytes(iter_file_chunks(fh)))
            except OSError as exc:
                raise _cannot_read(exc, "vorige levering (--previous)") from None
            except SnapshotFormatError as exc:
                raise UsageError(f"{exc}; {_path(args.previous)} is niet te gebruiken als vorige "
                                 "levering (--previous)") from None
        try:
            with open(snapshot_path, "rb") as fh:
                built = build_delivery_file(iter_snapshot_bytes(iter_file_chunks(fh)), organisation,
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
        _say(f"  profiel {summary['profile']}, {built.records} regels, {built.people} personen "
             f"aangemeld op {args.date:%d-%m-%Y}")
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
                outcome = service.release_held(organisation.code, args.reason, args.release)
            except NothingHeld:
                raise UsageError(f"er is geen tegengehouden levering van {organisation.code} "
                                 "om vrij te geven") from None
            except NotTheHeldFile:
                raise UsageError("de SHA-256 hoort niet bij het bestand dat nu is tegengehouden "
                                 "(is er intussen een nieuwe export?); controleer 'vish status'"
                                 ) from None
            day = date.fromisoformat(outcome.day)
        else:
            outcome = service.deliver(organisation.code, day, reason=args.reason or "vish deliver",
                                      manual=args.force, dry_run=args.dry_run)
    except SnapshotFormatError as exc:
        raise UsageError(f"{exc}; de opgeslagen snapshot of het manifest van de vorige levering "
                         f"van {organisation.code} is niet te gebruiken") from None
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
            _say(f"  bestand {outcome.file}" + (f", {outcome.records} regels, {outcome.size} bytes"
                                                 if outcome.records is not None else ""))
        if outcome.sha256:
            _say(f"  SHA-256 {outcome.sha256}")
        if outcome.status == "held" and outcome.people is not None:
            _say(f"  {outcome.people} personen in dit bestand; zie 'vish status' voor de vorige levering")
        if outcome.error_kind:
            from shared.domain.health import ERROR_KINDS

            _say(f"  fout: {outcome.error_kind}" + (f": {ERROR_KINDS[outcome.error_kind]}"
                                                    if outcome.error_kind in ERROR_KINDS else ""))
    return EXIT_OK if outcome.status in ("succeeded", "skipped", "dry_run") else EXIT_REJECTED


def cmd_sftp_check(args: argparse.Namespace) -> int:
    from shared.adapters.secrets import SecretError
    from shared.adapters.sftp import CheckResult, SftpDelivery
    from shared.wiring import build_delivery

    service = build_delivery(get_settings())
    organisation = _organisation(service.organisations, args.org)
    if organisation.sftp is None:
        raise UsageError(f"organisatie '{organisation.code}' heeft geen SFTP-bestemming ingesteld")
    try:
        credentials = service.credentials_for(organisation.sftp)
    except SecretError as exc:
        result = CheckResult(ok=False, steps=[("geheim ophalen", False, str(exc))])
    else:
        result = SftpDelivery(organisation.sftp, credentials).check(probe=args.probe)
    if args.json:
        print(json.dumps({"ok": result.ok, "steps": [
            {"step": step, "ok": ok, "detail": detail} for step, ok, detail in result.steps]}))
    else:
        for step, ok, detail in result.steps:
            _say(f"  [{'ok' if ok else 'FOUT'}] {step}: {detail}")
        _say("Verbinding in orde." if result.ok else "Verbinding NIET in orde.")
    return EXIT_OK if result.ok else EXIT_REJECTED


# -- status ----------------------------------------------------------------------------------------
def cmd_status(args: argparse.Namespace) -> int:
    from shared.domain.status_page import WORDS, render
    from shared.wiring import status_service

    service = status_service()
    if args.org:
        detail = service.organisation(args.org)
        if detail is None:
            raise UsageError(f"organisatie '{args.org}' is niet ingesteld")
        overview = {"generated_at": service.now().isoformat(), "healthy": detail["healthy"],
                    "organisations": [detail]}
        details = {args.org: detail}
    else:
        overview = service.overview()
        details = {o["code"]: service.organisation(o["code"]) for o in overview["organisations"]}
    if args.html:
        Path(args.html).write_text(render(overview, details), encoding="utf-8")
    if args.json:
        print(json.dumps(details[args.org] if args.org else overview, ensure_ascii=False, default=str))
    else:
        _say("Status VISH-levering: " + ("alles in orde" if overview["healthy"] else "ACTIE NODIG"))
        for org in overview["organisations"]:
            _say(f"  {org['code']}: {WORDS[org['health']]} — {org['reason']}; volgende levering "
                 f"{org['next_due']['local']}")
        if args.html:
            _say(f"  statuspagina geschreven naar {args.html}")
    return EXIT_OK if overview["healthy"] else EXIT_REJECTED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vish", description="vish-bridge: VISH-aanlevering")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="controleer een extract voordat u het aanlevert")
    p.add_argument("file", help="CSV-extract uit het schuldhulpsysteem")
    p.add_argument("--org", help="organisatiecode (standaard: de enige ingestelde)")
    p.add_argument("--date", type=_date_arg, help="peildatum voor aanmeldbaarheid (standaard vandaag)")
    p.add_argument("--snapshot", help="huidige snapshot (CSV) voor de controle op massaal afmelden")
    p.add_argument("--json", action="store_true", help="uitvoer als JSON (voor scripts)")
    p.add_argument("--report-csv", help="schrijf ook het rapport voor de consulent (CSV)")
    p.add_argument("--limit", type=int, default=25, help="aantal meldingen op het scherm")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("intake", help="lever een extract aan en verwerk het direct")
    p.add_argument("file")
    p.add_argument("--org")
    p.add_argument("--name", help="naam van de blob (standaard de bestandsnaam)")
    p.add_argument("--date", type=_date_arg, help="peildatum voor aanmeldbaarheid")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_intake)

    p = sub.add_parser("build", help="maak het SNG-bestand voor een datum (zoals de verzending)")
    p.add_argument("input", help="snapshot (snapshots/<org>/current.csv) of een extract")
    p.add_argument("--org")
    p.add_argument("--date", type=_date_arg, required=True, help="leverdatum")
    p.add_argument("--out", required=True, help="bestand, of map (dan met de naam uit het profiel)")
    p.add_argument("--previous", help="manifest van de vorige levering (profielen met mutaties)")
    p.add_argument("--manifest", help="schrijf het manifest van deze levering hierheen")
    p.add_argument("--sequence", type=int, default=1, help="volgnummer in de bestandsnaam")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("deliver", help="lever het bestand van vandaag (of --date) aan SNG")
    p.add_argument("--org")
    p.add_argument("--date", type=_date_arg)
    p.add_argument("--dry-run", action="store_true", help="alleen bouwen, niet verzenden")
    p.add_argument("--force", action="store_true", help="opnieuw leveren, ook als vandaag al gelukt is")
    p.add_argument("--release", metavar="SHA256",
                   help="geef de tegengehouden levering vrij: de eerste tekens (minstens 8) van de "
                        "SHA-256 van het gecontroleerde bestand (zie 'vish status')")
    p.add_argument("--confirm", action="store_true",
                   help="leg vast dat een niet-bevestigde levering bij SNG is aangekomen")
    p.add_argument("--reason", help="reden (verplicht bij --force, --release en --confirm)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_deliver)

    p = sub.add_parser("sftp-check", help="test de SFTP-verbinding met SNG")
    p.add_argument("--org")
    p.add_argument("--probe", action="store_true", help="schrijf en verwijder ook een proefbestand")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sftp_check)

    p = sub.add_parser("status", help="status van de aanlevering per organisatie")
    p.add_argument("--org")
    p.add_argument("--json", action="store_true")
    p.add_argument("--html", help="schrijf ook de statuspagina (HTML) naar dit bestand")
    p.set_defaults(func=cmd_status)

    return parser


def main(argv: list[str] | None = None) -> int:
    return run_command(build_parser().parse_args(argv), prog="vish")


def run_command(args: argparse.Namespace, *, prog: str) -> int:
    """Run a parsed command (``args.func``) with logging set up from the settings; problems an
    operator can fix (usage, configuration, unreachable storage) become a message and exit 2.
    ``vish-dev`` (devtools) runs its commands through this too."""
    from pydantic import ValidationError

    from shared.log import configure_logging

    try:
        configure_logging(get_settings().log_level)
        return args.func(args)
    except (UsageError, ConfigError) as exc:
        _say(f"{prog}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        _say(f"{prog}: ongeldige instelling: {problems}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        from azure.core.exceptions import AzureError

        if not isinstance(exc, AzureError):
            raise
        _say(f"{prog}: opslag of Key Vault niet bereikbaar of geweigerd ({type(exc).__name__}); "
             "controleer VISH_STORAGE_CONNECTION_STRING of de service-URI's", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
