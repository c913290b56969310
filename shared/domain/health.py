"""The health word per organisation, from its outcomes and the clock. Pure.

The due day is the most recent local day whose send moment + grace has passed at ``now``:
today once today's moment + grace has passed, else yesterday. Words, first match wins:

``unreadable``: a ``latest-*`` row of the organisation does not read (a time that is no time,
a count that is no number, a day that is no ISO date): set by the status service, which shows
the other organisations as usual (never a 500). Unhealthy: a person looks at the table.
``not_connected``: no SFTP target is configured yet (an organisation being set up): nothing
is delivered and nothing is expected, so it does not count as unhealthy (no 503) and no other
word applies. The page still shows its extracts.
``failing``: the last attempt failed and no success was recorded at or after it; the reason
explains the error kind (``ERROR_KINDS``). (Not for ``no_snapshot`` while nothing was ever
accepted, nor for one recorded before the last accepted extract: then there was nothing to try,
or there is now; see ``no_extract``. The timer does not record such a tick any more; old rows
and manual deliveries may.)
``held``: the last attempt was held by the mass-drop guard at delivery time and no success was
recorded at or after it; a person must check the file and release the delivery.
``unconfirmed``: a delivery was recorded unconfirmed (renamed on the server, arrival not
confirmed afterwards) and is still open: the schedule treats its day as done, so it stays shown,
also after later days succeed, until a person acknowledges it (SNG has it) or a success for its
day is recorded (a manual re-delivery). (An intent left open by a crash is settled by the next
tick, due or not, so it needs no word of its own.)
Nothing accepted and nothing delivered yet (a new organisation): ``extract_held`` or
``rejected`` when its latest extract was held or rejected, else ``no_extract``; never ``late``,
since there is nothing to deliver.
``late``: the last success is for a day before the due day (a missed yesterday stays late until
today's delivery). Without any recorded success an earlier day only counts when an accepted
extract was already there at its send moment (an organisation set up today is not late for
yesterday); today counts regardless.
``extract_held``: the latest extract was held by intake's mass-drop guard (``mass_drop_held``)
and waits for a person's release (the release records the extract anew, accepted, which ends
it; so does any later accepted extract). The previous snapshot is still delivered, so this
comes after the delivery words, but it is a reason for attention even when today's delivery
succeeded: until then new clients do not reach VISH.
``rejected``: the latest extract was rejected (``too_many_invalid``, unreadable, a missing
column, ...): as ``extract_held``, until a later extract is accepted. The reason names the
Dutch cause and what to do (``REJECTIONS``). (Only one latest extract exists, so
``extract_held`` and ``rejected`` never compete.)
``stale_extract``: no accepted extract for more than N days (the delivered data is getting old).
An upload identical to the accepted extract (``latest-extract_seen``, same SHA-256) counts as a
fresh one: a daily export that did not change is not stale. A copy of a rejected file does not.
``empty``: the last delivery that succeeded left nobody of this organisation in VISH (0 people
after it, or a file of 0 records whose people are unknown). The drop guard holds any file that
would empty VISH after people were delivered, so this is a file nobody checked for content (a
new organisation whose every row is not yet eligible, say) or one a person released: shown
until a delivery with people, never as ``ok``.
``ok``: today's delivery succeeded with records. ``no_changes``: today's delivery succeeded
with 0 records while people stay in VISH (a mutations profile on a day without aanmeldingen or
afmeldingen): healthy, but not called ``ok``, since nothing was sent. ``pending``: today's
delivery is not yet due (or due and within the grace period).

``HEALTHY`` (no 503): ``ok``, ``no_changes``, ``pending``, ``not_connected``. The reason is
Dutch, with local times as "op 29-11-2026 om 09:34": people read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shared.domain.issues import CODES, Code
from shared.domain.localtime import AMSTERDAM, local_date
from shared.domain.schedule import next_due, send_moment

WORDS = ("unreadable", "not_connected", "failing", "held", "unconfirmed", "no_extract", "late",
         "extract_held", "rejected", "stale_extract", "empty", "ok", "no_changes", "pending")
HEALTHY = ("ok", "no_changes", "pending", "not_connected")
HELD_EXTRACT = "mass_drop_held"
UNREADABLE = "unreadable"
# Error kinds a person must fix before a delivery can succeed (the others pass, or the next
# tick tries again).
NEEDS_PERSON = frozenset({"host_key", "auth", "config", "permission", "remote_full",
                          "remote_mismatch", "secret", "snapshot_unreadable", "no_snapshot",
                          "not_configured"})
# Integer fields of outcome rows: a row whose value there is no number does not read.
_COUNTS = ("records", "people", "previous_people", "rows_total", "rows_valid", "rows_invalid",
           "rows_ineligible", "current_people", "people_removed", "people_ineligible_now",
           "added", "removed", "attempts", "sequence", "size", "duration_ms", "bytes")
_TEXTS = ("kind", "status", "decision", "reason", "error_kind", "file", "sha256", "action",
          "extract", "folder", "failed_step")

# Per error kind of a failed delivery: what is wrong and what to do (Dutch, for the operator).
ERROR_KINDS: dict[str, str] = {
    "connect": "de SFTP-server van SNG is niet bereikbaar; controleer host, poort en firewall "
               "(de volgende tik probeert het opnieuw)",
    "auth": "SNG weigert het aanmelden; controleer gebruikersnaam en sleutel of wachtwoord in "
            "Key Vault en of SNG de publieke sleutel heeft",
    "host_key": "de hostsleutel van de server wijkt af van de vastgelegde sleutel; controleer de "
                "nieuwe sleutel via een ander kanaal bij SNG voordat u host_key aanpast",
    "config": "de instellingen van deze organisatie zijn onvolledig of onjuist; corrigeer de "
              "configuratie",
    "transfer": "het versturen is onderbroken; meestal tijdelijk (de volgende tik probeert het "
                "opnieuw), blijft het terugkomen controleer dan de verbinding",
    "verify": "het bestand op de server heeft na het versturen niet de juiste grootte; de volgende "
              "tik probeert het opnieuw, blijft het terugkomen neem dan contact op met SNG",
    "rename": "de server weigerde het bestand zijn definitieve naam te geven; vraag SNG de rechten "
              "en de map te controleren",
    "permission": "er mag niet worden geschreven in de doelmap op de server; vraag SNG de rechten "
                  "te controleren of corrigeer de map (directory)",
    "remote_full": "de opslag op de server van SNG is vol; neem contact op met SNG",
    "lease_lost": "de vergrendeling ging tijdens de levering verloren, dus is gestopt om dubbel "
                  "leveren te voorkomen; de volgende tik probeert het opnieuw",
    "storage": "de opslag (blob of tabel) is niet bereikbaar of weigert; controleer het "
               "opslagaccount en de rechten van de managed identity",
    "secret": "de sleutel of het wachtwoord kon niet uit Key Vault worden gehaald; controleer de "
              "naam van het geheim en de toegang tot Key Vault",
    "no_snapshot": "er is geen geaccepteerd bestand (snapshot) van deze organisatie om te leveren; "
                   "laat de organisatie de export opnieuw aanleveren",
    "not_configured": "er is geen SFTP-bestemming ingesteld; vul de sftp-gegevens van deze "
                      "organisatie in",
    "snapshot_unreadable": "de opgeslagen snapshot is beschadigd; herstel of verwijder de snapshot "
                           "en bied het extract opnieuw aan",
    "remote_mismatch": "het bestand op de server komt niet overeen met wat verzonden is; overleg "
                       "met SNG welk bestand geldt voordat u opnieuw levert",
    "queue_poison": "het leveringsverzoek ging vijf keer mis zonder uitkomst (vastgelopen, te "
                    "weinig geheugen of tijd, of de opslag onbereikbaar) en staat nu in de "
                    "poison-queue; de volgende tik probeert de dagelijkse levering opnieuw (een "
                    "handmatige levering niet: lever die opnieuw), bekijk de logboeken van "
                    "deliver_one",
    "unexpected": "onverwachte fout; bekijk de logboeken en meld het aan de ontwikkelaars",
}


# Per rejection code of an extract: what is wrong; what to do (Dutch, for the operator).
REJECTIONS: dict[str, str] = {
    "too_many_invalid": "te veel regels zijn ongeldig, daarom is het hele bestand niet verwerkt; "
                        "bekijk het rapport, laat de fouten in de export herstellen en lever het "
                        "bestand opnieuw aan",
    "unreadable": "het bestand kan niet als CSV-bestand worden gelezen; sla de export op als CSV "
                  "(puntkomma, UTF-8) en lever het opnieuw aan",
    "empty_file": "het bestand is leeg; controleer de export en lever het opnieuw aan",
    "no_data_rows": "het bestand bevat alleen een kopregel en geen cliënten; controleer de "
                    "selectie van de export en lever het opnieuw aan",
    "missing_column": "er ontbreekt een verplichte kolom (het rapport noemt welke); pas de "
                      "export aan en lever het bestand opnieuw aan",
    "duplicate_column": "twee kolommen hebben dezelfde betekenis (het rapport noemt welke); "
                        "verwijder er een uit de export en lever het bestand opnieuw aan",
    "too_large": "het bestand is groter dan toegestaan; controleer of het de juiste export is "
                 "en lever het opnieuw aan",
    "not_csv": "dit is geen CSV-bestand (bijvoorbeeld een Excel-werkmap of pdf); sla de export "
               "op als CSV en lever het opnieuw aan",
    "excel_workbook": "dit is een Excel-werkmap, geen CSV-bestand; sla het in Excel op als CSV "
                      "UTF-8 en lever dat bestand aan (bekijk het rapport voor de BSN-kolom)",
    "bsn_column_not_recognised": "een kolom lijkt BSN's te bevatten maar is niet herkend (het "
                                 "rapport noemt welke), dus is het bestand niet verwerkt; noem de "
                                 "kolom 'BSN' of 'BSN partner', haal hem uit de export of laat de "
                                 "beheerder column_aliases instellen, en lever het opnieuw aan",
    "snapshot_unreadable": "de opgeslagen snapshot is beschadigd, daarom is het bestand niet "
                           "verwerkt; herstel of verwijder de snapshot en bied het bestand "
                           "opnieuw aan",
}


@dataclass(frozen=True)
class Health:
    word: str
    reason: str

    @property
    def healthy(self) -> bool:
        return self.word in HEALTHY


def at_text(at: datetime, word: str = "op") -> str:
    """'op 29-11-2026 om 09:34': an instant in local time, as the page and the reasons say it
    (``word``: the preposition, e.g. 'sinds')."""
    local = at.astimezone(AMSTERDAM)
    return f"{word} {local:%d-%m-%Y} om {local:%H:%M}"


def readable(row) -> bool:
    """Whether an outcome row reads as the status needs it: ``recorded_at`` an aware datetime,
    ``day`` (when present) an ISO date, counts numbers, codes text. A row that does not (written
    by hand, by an older or broken version) is never trusted."""
    if not isinstance(row, dict):
        return False
    at = row.get("recorded_at")
    if not isinstance(at, datetime) or at.tzinfo is None:
        return False
    day = row.get("day")
    if day is not None:
        try:
            date.fromisoformat(day)
        except (TypeError, ValueError):
            return False
    if any(row.get(k) is not None and _count(row.get(k)) is None for k in _COUNTS):
        return False
    return not any(row.get(k) is not None and not isinstance(row.get(k), str) for k in _TEXTS)


def unreadable(which: str) -> Health:
    """The word for an organisation whose ``which`` outcome row does not read (Dutch)."""
    return Health(UNREADABLE, f"Status onleesbaar: de vastgelegde {which} van deze organisatie "
                              "is niet te lezen; controleer die regel in de uitkomstentabel of "
                              "meld het aan de ontwikkelaars")


def fresh_at(last_accepted: dict | None, last_seen: dict | None) -> datetime | None:
    """When the accepted extract was last received: its own time, or later when an identical
    file (same SHA-256) was received since (``latest-extract_seen``)."""
    if last_accepted is None:
        return None
    at = last_accepted["recorded_at"]
    sha = last_accepted.get("sha256")
    if (last_seen and sha and last_seen.get("sha256") == sha
            and isinstance(last_seen.get("recorded_at"), datetime)):
        at = max(at, last_seen["recorded_at"])
    return at


def _day(row: dict) -> date:
    """The local day a delivery row is for (its ``day``, else the day it was recorded)."""
    return date.fromisoformat(row["day"]) if row.get("day") else local_date(row["recorded_at"])


def _dutch(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def _count(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def due_day(now: datetime, send_time, grace_minutes: int) -> date:
    """The most recent local day whose send moment + grace has passed at ``now``."""
    day = local_date(now)
    while now <= send_moment(day, send_time) + timedelta(minutes=grace_minutes):
        day -= timedelta(days=1)
    return day


def _overcome(attempt: dict, success: dict | None) -> bool:
    return bool(success and success["recorded_at"] >= attempt["recorded_at"])


def _failing(attempt: dict) -> Health:
    kind = attempt.get("error_kind")
    explanation = ERROR_KINDS.get(kind) if isinstance(kind, str) else None
    code = f" ({kind})" if isinstance(kind, str) and kind else ""
    return Health("failing", f"Laatste levering mislukt {at_text(attempt['recorded_at'])}{code}"
                             + (f": {explanation}" if explanation else ""))


def _held(attempt: dict) -> Health:
    people, previous = _count(attempt.get("people")), _count(attempt.get("previous_people"))
    if people is not None and previous is not None:
        drop = f"{previous - people} van {previous} personen zouden uit VISH verdwijnen"
    else:
        drop = "te veel personen zouden uit VISH verdwijnen"
    sha = attempt.get("sha256")
    which = f" (bestand {sha[:12]})" if isinstance(sha, str) and sha else ""
    return Health("held", f"Levering van {_dutch(_day(attempt))} tegengehouden: {drop}; "
                          f"controleer het bestand en geef de levering vrij{which}")


def _unconfirmed(success: dict) -> Health:
    file = success.get("file") or "van die dag"
    return Health("unconfirmed", f"Levering van {_dutch(_day(success))} niet bevestigd: bestand {file} "
                                 "is op de server hernoemd maar de aankomst kon niet worden "
                                 "gecontroleerd; vraag SNG of het is aangekomen en lever het anders "
                                 "met de hand opnieuw")


def _meanwhile(last_accepted: dict | None) -> str:
    if last_accepted is None:
        return "Tot er een bestand is geaccepteerd, wordt er niets aan SNG geleverd"
    return (f"Tot dan wordt het bestand geleverd dat {at_text(last_accepted['recorded_at'])} is "
            "geaccepteerd, en komen nieuwe cliënten niet in VISH")


def extract_problem(last_extract: dict | None, last_accepted: dict | None,
                    code: str) -> Health | None:
    """``extract_held`` or ``rejected`` when the latest extract processed was held or rejected
    and no extract was accepted since; else None. ``code``: the organisation, for the release."""
    if not last_extract or last_extract.get("decision") != "rejected":
        return None
    at = last_extract.get("recorded_at")
    if not isinstance(at, datetime):
        return None
    if last_accepted and last_accepted["recorded_at"] >= at:
        return None  # accepted since (or in the same instant: the release of that file)
    reason = last_extract.get("reason")
    if reason == HELD_EXTRACT:
        current = _count(last_extract.get("current_people"))
        removed = _count(last_extract.get("people_removed"))
        if current is not None and removed is not None:
            drop = f"{removed} van {current} personen zouden uit VISH verdwijnen"
            ineligible = _count(last_extract.get("people_ineligible_now"))
            if ineligible:
                drop += f" (van wie {ineligible} niet meer toegelaten)"
        else:
            drop = "te veel personen zouden uit VISH verdwijnen"
        sha = last_extract.get("sha256")
        which = f" (reden en sha256 {sha[:12]})" if isinstance(sha, str) and sha else ""
        return Health("extract_held", f"Bestand ontvangen {at_text(at)} wacht op vrijgave: {drop}; "
                                      "controleer met de organisatie of dat klopt (bijvoorbeeld een "
                                      f"grote uitstroom) en geef het dan vrij met POST "
                                      f"/api/extracts/{code}/release{which}, of laat "
                                      f"een nieuwe export aanleveren. {_meanwhile(last_accepted)}")
    explanation = rejection_text(reason)
    invalid, total = _count(last_extract.get("rows_invalid")), _count(last_extract.get("rows_total"))
    if reason == "too_many_invalid" and invalid is not None and total:
        explanation = explanation.replace("ongeldig,", f"ongeldig ({invalid} van {total}),")
    return Health("rejected", f"Laatste bestand afgewezen {at_text(at)}: {explanation}. "
                              f"{_meanwhile(last_accepted)}")


def rejection_text(reason) -> str:
    """What is wrong with a rejected extract and what to do (Dutch): from ``REJECTIONS``, else
    the issue's own message (a code added later) with the report to look at."""
    if isinstance(reason, str) and reason in REJECTIONS:
        return REJECTIONS[reason]
    todo = "bekijk het rapport van dit bestand, laat de export herstellen en lever het opnieuw aan"
    try:
        message = CODES[Code(reason)].message.split(". ")[0]
    except (KeyError, ValueError):
        return f"reden {reason}; {todo}" if isinstance(reason, str) and reason else todo
    return f"{message[:1].lower()}{message[1:]}; {todo}"


def _owed(day: date, today: date, success_day: date | None, last_accepted: dict | None,
          send_time) -> bool:
    """Whether ``day``'s delivery should have happened (``day`` is the due day)."""
    if success_day is not None:
        return success_day < day
    if day == today:
        return True
    return bool(last_accepted and last_accepted["recorded_at"] <= send_moment(day, send_time))


def _late(due: date, today: date, send_time, last_attempt: dict | None,
          success_day: date | None) -> Health:
    which = "vandaag" if due == today else _dutch(due)
    expected = f"(verwacht {at_text(send_moment(due, send_time))})"
    last = (f"; de laatste gelukte levering was die van {_dutch(success_day)}"
            if success_day is not None and success_day < due - timedelta(days=1) else "")
    if (last_attempt and last_attempt.get("status") == "failed" and _day(last_attempt) >= due
            and last_attempt.get("error_kind") != "no_snapshot"):  # that tick had nothing to try
        return Health("late", f"Levering van {which} niet gelukt {expected}: de laatste poging "
                              f"{at_text(last_attempt['recorded_at'])} mislukte{last}")
    return Health("late", f"Levering van {which} is niet verzonden {expected}{last}; controleer "
                          "of de dagelijkse levering (de timer) draait en test de verbinding")


def _nothing_to_try(attempt: dict, last_accepted: dict | None, nothing_yet: bool) -> bool:
    """A ``no_snapshot`` failure while nothing was ever accepted, or before the extract accepted
    last: there was nothing to deliver then, so it is no failure to show now."""
    if attempt.get("error_kind") != "no_snapshot":
        return False
    return nothing_yet or bool(last_accepted
                               and last_accepted["recorded_at"] >= attempt["recorded_at"])


def _empty(success: dict) -> bool:
    """Whether nobody of the organisation is in VISH after this delivery."""
    people, records = _count(success.get("people")), _count(success.get("records"))
    return people == 0 or (records == 0 and people is None)


def _delivered(success: dict, today: date) -> Health:
    which = "vandaag" if _day(success) == today else _dutch(_day(success))
    when = at_text(success["recorded_at"])
    records, people = _count(success.get("records")), _count(success.get("people"))
    if _empty(success):
        if people == 0 and records:  # a mutations file whose every row is an afmelding
            said = (f"meldde de laatste cliënten af ({records} "
                    f"{'afmelding' if records == 1 else 'afmeldingen'})")
        else:
            said = "bevatte geen cliënten" + (f" ({records} regels)" if records is not None else "")
        return Health("empty", f"Levering van {which} {when} {said}: er staat nu niemand van deze "
                               "organisatie in VISH; controleer in het rapport van het laatste bestand of de "
                               "cliënten erin staan en toegelaten zijn (toelatingsdatum ingevuld)")
    if records == 0:
        return Health("no_changes", f"Levering van vandaag gelukt {when}: geen wijzigingen (0 regels); "
                                    f"{people} personen blijven in VISH")
    count = f" ({records} regels)" if records is not None else ""
    return Health("ok", f"Levering van vandaag gelukt {when}{count}")


def assess(now: datetime, organisation, *, last_accepted: dict | None, last_attempt: dict | None,
           last_success: dict | None, grace_minutes: int, stale_days: int,
           open_unconfirmed: dict | None = None, last_extract: dict | None = None,
           last_seen: dict | None = None) -> Health:
    """Entities are outcome rows (``recorded_at`` aware datetimes; deliveries carry ``day``);
    ``open_unconfirmed``: the open unconfirmed delivery, if any; ``last_extract``: the latest
    extract processed (``latest-extract``), accepted or not; ``last_seen``: the last upload
    identical to the accepted extract (``latest-extract_seen``)."""
    if organisation.sftp is None:
        return Health("not_connected", "Nog niet aangesloten: er is geen SFTP-bestemming ingesteld, "
                                       "dus er wordt nog niets aan SNG geleverd; vul na de aansluiting "
                                       "bij SNG de sftp-gegevens van deze organisatie in")
    today = local_date(now)
    due = due_day(now, organisation.send_time, grace_minutes)
    success_day = _day(last_success) if last_success else None
    extract = extract_problem(last_extract, last_accepted, organisation.code)
    nothing_yet = last_accepted is None and last_success is None
    attempt_status = last_attempt.get("status") if last_attempt else None
    if (attempt_status == "failed" and not _overcome(last_attempt, last_success)
            and not _nothing_to_try(last_attempt, last_accepted, nothing_yet)):
        return _failing(last_attempt)
    if attempt_status == "held" and not _overcome(last_attempt, last_success):
        return _held(last_attempt)
    if open_unconfirmed is not None:
        return _unconfirmed(open_unconfirmed)
    if nothing_yet:
        return extract or Health("no_extract", "Nog geen bestand van deze organisatie ontvangen; er "
                                               "wordt pas aan SNG geleverd na het eerste "
                                               "geaccepteerde bestand; vraag de organisatie de "
                                               f"export aan te leveren in extracts/{organisation.code}/")
    if _owed(due, today, success_day, last_accepted, organisation.send_time):
        return _late(due, today, organisation.send_time, last_attempt, success_day)
    if extract is not None:
        return extract
    if last_accepted is None:
        return Health("stale_extract", "Nog geen geaccepteerd bestand ontvangen; lever een export aan")
    fresh = fresh_at(last_accepted, last_seen)
    if now - fresh > timedelta(days=stale_days):
        return Health("stale_extract", f"Geen nieuw geaccepteerd bestand "
                                       f"{at_text(fresh, 'sinds')} (langer dan "
                                       f"{stale_days} dagen); controleer of de export nog "
                                       "aangeleverd wordt")
    if last_success is not None and (_empty(last_success) or success_day == today):
        return _delivered(last_success, today)
    moment = next_due(now, organisation.send_time, None)
    if now >= moment:
        end = moment + timedelta(minutes=grace_minutes)
        return Health("pending", f"Levering van vandaag is aan de beurt "
                                 f"({at_text(moment, 'verzendtijd')}); is ze {at_text(end)} nog "
                                 "niet verzonden, dan is ze te laat")
    return Health("pending", f"Levering van vandaag volgt {at_text(moment)}")
