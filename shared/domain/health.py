"""The health word per organisation, from its outcomes and the clock. Pure.

The due day is the most recent local day whose send moment + grace has passed at ``now``:
today once today's moment + grace has passed, else yesterday. Words, first match wins
(precedence failing > held > unconfirmed > late > stale_extract > ok/pending):

``failing``: the last attempt failed (or delivery is not configured) and no success was
recorded at or after it; the reason explains the error kind (``ERROR_KINDS``).
``held``: the last attempt was held by the mass-drop guard at delivery time and no success was
recorded at or after it; a person must check the file and release the delivery.
``unconfirmed``: a delivery was recorded unconfirmed (renamed on the server, arrival not
confirmed afterwards) and is still open: the schedule treats its day as done, so it stays shown,
also after later days succeed, until a person acknowledges it (SNG has it) or a success for its
day is recorded (a manual re-delivery). (An intent left open by a crash is settled by the next
tick, due or not, so it needs no word of its own.)
``late``: the last success is for a day before the due day (a missed yesterday stays late until
today's delivery). Without any recorded success an earlier day only counts when an accepted
extract was already there at its send moment (an organisation set up today is not late for
yesterday); today counts regardless.
``stale_extract``: no accepted extract for more than N days (the delivered data is getting old).
``ok``: today's delivery succeeded. ``pending``: today's delivery is not yet due (or due and
within the grace period). Only ``ok`` and ``pending`` are healthy. The reason is Dutch: people
read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shared.domain.localtime import AMSTERDAM, local_date
from shared.domain.schedule import next_due, send_moment

HEALTHY = ("ok", "pending")

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
    "no_snapshot": "er is nog geen geaccepteerd bestand van deze organisatie; lever een extract aan",
    "not_configured": "er is geen SFTP-bestemming ingesteld; vul de sftp-gegevens van deze "
                      "organisatie in",
    "snapshot_unreadable": "de opgeslagen snapshot is beschadigd; herstel of verwijder de snapshot "
                           "en bied het extract opnieuw aan",
    "remote_mismatch": "het bestand op de server komt niet overeen met wat verzonden is; overleg "
                       "met SNG welk bestand geldt voordat u opnieuw levert",
    "unexpected": "onverwachte fout; bekijk de logboeken en meld het aan de ontwikkelaars",
}


@dataclass(frozen=True)
class Health:
    word: str
    reason: str

    @property
    def healthy(self) -> bool:
        return self.word in HEALTHY


def _local(at: datetime) -> str:
    return at.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M")


def _day(row: dict) -> date:
    """The local day a delivery row is for (its ``day``, else the day it was recorded)."""
    return date.fromisoformat(row["day"]) if row.get("day") else local_date(row["recorded_at"])


def _dutch(day: date) -> str:
    return day.strftime("%d-%m-%Y")


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
    return Health("failing", f"Laatste levering mislukt ({kind}) op {_local(attempt['recorded_at'])}"
                             + (f": {explanation}" if explanation else ""))


def _held(attempt: dict) -> Health:
    people, previous = attempt.get("people"), attempt.get("previous_people")
    if isinstance(people, int) and isinstance(previous, int):
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


def _owed(day: date, today: date, success_day: date | None, last_accepted: dict | None,
          send_time) -> bool:
    """Whether ``day``'s delivery should have happened (``day`` is the due day)."""
    if success_day is not None:
        return success_day < day
    if day == today:
        return True
    return bool(last_accepted and last_accepted["recorded_at"] <= send_moment(day, send_time))


def assess(now: datetime, organisation, *, last_accepted: dict | None, last_attempt: dict | None,
           last_success: dict | None, grace_minutes: int, stale_days: int,
           open_unconfirmed: dict | None = None) -> Health:
    """Entities are outcome rows (``recorded_at`` aware datetimes; deliveries carry ``day``);
    ``open_unconfirmed``: the open unconfirmed delivery, if any."""
    if organisation.sftp is None:
        return Health("failing", "Geen SFTP-bestemming ingesteld: er wordt niets aan SNG geleverd")
    today = local_date(now)
    due = due_day(now, organisation.send_time, grace_minutes)
    success_day = _day(last_success) if last_success else None
    attempt_status = last_attempt.get("status") if last_attempt else None
    if attempt_status == "failed" and not _overcome(last_attempt, last_success):
        return _failing(last_attempt)
    if attempt_status == "held" and not _overcome(last_attempt, last_success):
        return _held(last_attempt)
    if open_unconfirmed is not None:
        return _unconfirmed(open_unconfirmed)
    if _owed(due, today, success_day, last_accepted, organisation.send_time):
        moment = send_moment(due, organisation.send_time)
        which = "vandaag" if due == today else _dutch(due)
        return Health("late", f"Levering van {which} niet gelukt; verwacht om {_local(moment)}")
    if last_accepted is None:
        return Health("stale_extract", "Nog geen geaccepteerd bestand ontvangen")
    if now - last_accepted["recorded_at"] > timedelta(days=stale_days):
        return Health("stale_extract", f"Geen geaccepteerd bestand sinds "
                                       f"{_local(last_accepted['recorded_at'])}")
    if success_day == today:
        return Health("ok", f"Levering van vandaag gelukt om {_local(last_success['recorded_at'])}")
    return Health("pending", f"Levering van vandaag volgt om "
                             f"{_local(next_due(now, organisation.send_time, None))}")
