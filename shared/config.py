"""Configuration: one settings class (environment / app settings) and the organisations document.

Every setting is documented in the README with its default. Organisations (the VISH
registrations one deployment serves) come from one JSON document: the app setting
``VISH_ORGANISATIONS_JSON``, or the file named by ``VISH_ORGANISATIONS_FILE``; without either,
the local example organisation ``voorbeeld`` is used.
"""

from __future__ import annotations

import base64
import binascii
import errno
import hashlib
import json
import os
import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.domain.columns import CANONICAL_FIELDS
from shared.domain.delivery_request import DEFAULT_QUEUE, is_queue_name
from shared.domain.privacy import printable, redact
from shared.domain.profile import DEFAULT_PROFILE, PROFILE_DIR, Profile, ProfileError, shipped_profile
from shared.domain.schedule import ScheduleError, parse_schedule, unreachable_message

# Azurite's documented development account: a public, well-known key, only valid locally.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


def azurite_connection_string(host: str = "127.0.0.1", blob_port: int = 10000,
                              queue_port: int = 10001, table_port: int = 10002) -> str:
    return (
        "DefaultEndpointsProtocol=http;"
        f"AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint=http://{host}:{blob_port}/{AZURITE_ACCOUNT};"
        f"QueueEndpoint=http://{host}:{queue_port}/{AZURITE_ACCOUNT};"
        f"TableEndpoint=http://{host}:{table_port}/{AZURITE_ACCOUNT};"
    )


class ConfigError(Exception):
    """The configuration cannot be used; the message (Dutch: an operator reads it) says which
    setting and why. ``problems`` holds each problem as its own sentence."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


_OS_ERRORS_NL = {
    errno.ENOENT: "bestaat niet", errno.EACCES: "geen toegang", errno.EPERM: "niet toegestaan",
    errno.EISDIR: "is een map, geen bestand", errno.ENOTDIR: "een deel van het pad is geen map",
    errno.ENOSPC: "de schijf is vol", errno.EROFS: "alleen-lezen", errno.ENAMETOOLONG: "naam te lang",
    errno.EEXIST: "bestaat al", errno.EBUSY: "in gebruik", errno.EMFILE: "te veel open bestanden",
    errno.ELOOP: "te veel symbolische koppelingen", errno.EINVAL: "ongeldige naam",
    errno.EIO: "lees- of schrijffout van de schijf", errno.EDQUOT: "quotum vol",
}


def dutch_os_error(exc: OSError) -> str:
    """Why a file could not be read or written, in Dutch (the system's text is English)."""
    reason = _OS_ERRORS_NL.get(exc.errno)
    if reason is None:  # no Dutch word for it: the system's code after "technisch:", no class
        code = errno.errorcode.get(exc.errno, "geen foutcode") if exc.errno else "geen foutcode"
        return f"onverwachte systeemfout (technisch: {code})"
    return reason


class DutchValueError(ValueError):
    """A validator's refusal worded in Dutch for the operator; shown as it is."""


# -- placeholders and host keys ----------------------------------------------------------------
# Template values from examples and guides that are never a real setting: an ellipsis, angle
# brackets, "(from SNG)"; in names also "changeme" and the like. A host key is base64, where
# any word can occur by chance: only the marks are looked for there.
_TEMPLATE_MARKS = re.compile(r"…|\.\.\.|[<>]|\(\s*(?:from|van|via|zie|see)\b", re.IGNORECASE)
_TEMPLATE_WORDS = re.compile(r"change[-_ ]?me|replace[-_ ]?me|vervang|invullen|fill[-_ ]?in|"
                             r"\btodo\b|placeholder|xxxx", re.IGNORECASE)

# Host-key types paramiko verifies (as known_hosts names them).
HOST_KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
                  "ssh-rsa")


def is_placeholder(value: str, *, words: bool = True) -> bool:
    """True for an obvious template value (``AAAA…``, ``<naam>``, ``(from SNG)``, ``changeme``)."""
    return bool(_TEMPLATE_MARKS.search(value) or (words and _TEMPLATE_WORDS.search(value)))


def _shown(value: object, limit: int = 60) -> str:
    """A value from the document for a message: numbers that can be a BSN masked, control
    characters escaped, shortened."""
    text = printable(redact(str(value)))
    return text if len(text) <= limit else text[:limit] + "…"


def _refuse_placeholder(value: str) -> str:
    if is_placeholder(value):
        raise DutchValueError("is nog een voorbeeldwaarde uit een sjabloon (zoals '…', '<...>', "
                              "'(from SNG)' of 'changeme'); vul de echte waarde in")
    return value


def host_key_problem(value: str) -> str | None:
    """Why ``value`` is no pinned host key (Dutch), or None. Accepted: ``SHA256:`` and the 43
    base64 characters of a SHA-256 fingerprint, or ``type base64 [comment]`` as in known_hosts,
    whose base64 decodes to a key blob of that type."""
    text = value.strip()
    if is_placeholder(text, words=False):
        return ("is nog een voorbeeldwaarde uit een sjabloon (zoals 'ssh-ed25519 AAAA…(from SNG)'); "
                "vraag SNG om de hostsleutel van de server en vul die in")
    if text.startswith("SHA256:"):
        digest = text.removeprefix("SHA256:").rstrip("=")
        try:
            raw = base64.b64decode(digest + "=" * (-len(digest) % 4), validate=True)
        except binascii.Error:
            raw = b""
        if len(raw) != 32:
            return ("is geen SHA256-vingerafdruk: verwacht 'SHA256:' gevolgd door 43 tekens, zoals "
                    "'ssh-keygen -lf' die toont")
        return None
    parts = text.split()
    if len(parts) < 2 or parts[0] not in HOST_KEY_TYPES:
        if len(parts) >= 3 and parts[1] in HOST_KEY_TYPES:
            return ("begint met een hostnaam: laat die weg en vul alleen 'type sleutel' in, "
                    "zoals 'ssh-ed25519 AAAAC3Nza...'")
        return ("is geen hostsleutel: verwacht 'type sleutel' zoals in known_hosts (type een van "
                f"{', '.join(HOST_KEY_TYPES)}) of een vingerafdruk 'SHA256:...'")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except binascii.Error:
        return "bevat geen geldige base64-sleutel na het type"
    size = int.from_bytes(blob[:4], "big") if len(blob) >= 4 else -1
    if blob[4:4 + size].decode("ascii", "replace") != parts[0] or size < 0:
        return f"de sleutel hoort niet bij het type '{parts[0]}' (knip- of plakfout?)"
    return None


def _valid_host_key(value: str) -> str:
    problem = host_key_problem(value)
    if problem:
        raise DutchValueError(problem)
    return value.strip()


class Settings(BaseSettings):
    """All app settings. Names are the field names upper-cased with prefix ``VISH_``."""

    model_config = SettingsConfigDict(env_prefix="VISH_", extra="ignore", populate_by_name=True)

    storage_connection_string: str | None = Field(
        default=None,
        validation_alias=AliasChoices("VISH_STORAGE_CONNECTION_STRING", "AzureWebJobsStorage"),
        description="Connection string (local/Azurite). Empty in Azure: identity-based URIs are used.",
    )
    blob_service_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("VISH_BLOB_SERVICE_URI", "AzureWebJobsStorage__blobServiceUri"),
    )
    table_service_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("VISH_TABLE_SERVICE_URI", "AzureWebJobsStorage__tableServiceUri"),
    )
    queue_service_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("VISH_QUEUE_SERVICE_URI", "AzureWebJobsStorage__queueServiceUri"),
    )
    storage_account_name: str | None = Field(
        default=None,
        validation_alias=AliasChoices("VISH_STORAGE_ACCOUNT_NAME", "AzureWebJobsStorage__accountName"),
        description="identity-based storage by account name alone (the Functions host accepts it): "
                    "the blob and table URIs of the public cloud follow from it",
        pattern=r"^[a-z0-9]{3,24}$",
    )
    organisations_json: str | None = None
    organisations_file: Path | None = None

    quarantine_container: str = "quarantine"
    snapshots_container: str = "snapshots"
    reports_container: str = "reports"
    outbox_container: str = "outbox"
    locks_container: str = "locks"
    outcomes_table: str = "outcomes"
    delivery_queue: str = Field(
        default=DEFAULT_QUEUE,
        description="the Storage queue of delivery requests (the timer sends, the queue trigger "
                    "takes them; its poison queue is this name plus -poison). In Azure the app "
                    "setting and the queues come from infra-bicep: keep the default",
    )

    key_vault_url: str | None = None
    secret_cache_seconds: float = Field(default=300.0, ge=0)
    secrets_dir: Path | None = None
    delivery_schedule: str = Field(
        default="0 */15 * * * *",
        description="the timer's NCRONTAB in UTC (second minute hour; day, month and day-of-week "
                    "only '*'); every send_time must get a tick on its own local day",
    )
    delivery_grace_minutes: int = Field(default=60, ge=0)
    stale_extract_days: int = Field(default=3, ge=1)
    outcome_retention_days: int = Field(default=400, ge=30)

    max_extract_bytes: int = Field(default=512 * 1024 * 1024, gt=0)
    max_report_issues: int = Field(default=10_000, gt=0)
    work_dir: Path | None = None
    log_level: str = "INFO"

    @field_validator("delivery_queue")
    @classmethod
    def _queue_name(cls, value: str) -> str:
        if not is_queue_name(value):
            raise DutchValueError("geen geldige wachtrijnaam (3 tot 56 tekens: kleine letters, "
                                  "cijfers en losse koppeltekens, niet aan het begin of eind)")
        return value

    @model_validator(mode="after")
    def _uris_from_the_account_name(self) -> Settings:
        if self.storage_account_name:
            name = self.storage_account_name
            self.blob_service_uri = self.blob_service_uri or f"https://{name}.blob.core.windows.net"
            self.table_service_uri = self.table_service_uri or f"https://{name}.table.core.windows.net"
            self.queue_service_uri = self.queue_service_uri or f"https://{name}.queue.core.windows.net"
        return self

    def connection_string(self) -> str | None:
        """The connection string to use, or None for identity-based access (Azure). Without any
        storage setting: Azurite locally; in Azure a ConfigError (never a silent 127.0.0.1)."""
        value = self.storage_connection_string
        if value and value.strip().lower() == "usedevelopmentstorage=true":
            return azurite_connection_string()
        if value:
            return value
        if self.blob_service_uri:
            return None
        if os.environ.get("WEBSITE_INSTANCE_ID"):  # set by App Service / Functions in Azure only
            raise ConfigError("geen opslag ingesteld: zet AzureWebJobsStorage__accountName (of "
                              "__blobServiceUri en __tableServiceUri) voor opslag met de "
                              "beheerde identiteit")
        return azurite_connection_string()


class Contact(BaseModel):
    """Who a bailiff contacts at the organisation (shown to bailiffs on a VISH match)."""

    model_config = ConfigDict(extra="forbid")
    naam: str = Field(min_length=1, max_length=100)
    telefoon: str = Field(min_length=6, max_length=20, pattern=r"^[0-9+()\- ]+$")
    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SftpTarget(BaseModel):
    """Where and how an organisation's file goes to SNG. Secrets are named, never inlined."""

    model_config = ConfigDict(extra="forbid")
    host: str = Field(min_length=1, max_length=253)
    port: int = Field(default=22, ge=1, le=65535)
    username: str = Field(min_length=1, max_length=100)
    directory: str = Field(default=".", max_length=200, description="remote folder for the file")
    host_key: str = Field(
        min_length=10,
        description="pinned host key: 'ssh-ed25519 AAAA…' (known_hosts style, key part) or 'SHA256:…'",
    )
    auth: Literal["key", "password"] = "key"
    secret_name: str = Field(pattern=r"^[A-Za-z0-9-]{1,127}$",
                             description="Key Vault secret with the private key (PEM/OpenSSH) or password")
    passphrase_secret: str | None = Field(default=None, pattern=r"^[A-Za-z0-9-]{1,127}$")
    connect_timeout: float = Field(default=15.0, gt=0)
    operation_timeout: float = Field(default=120.0, gt=0)
    attempts: int = Field(default=3, ge=1, le=10)
    backoff_seconds: float = Field(default=2.0, ge=0)

    @field_validator("host", "username", "secret_name", "passphrase_secret")
    @classmethod
    def _no_placeholder(cls, value: str | None) -> str | None:
        return value if value is None else _refuse_placeholder(value)

    @field_validator("host_key")
    @classmethod
    def _host_key_form(cls, value: str) -> str:
        return _valid_host_key(value)


class Organisation(BaseModel):
    """One VISH registration (a municipality's debt-help team, a wijkteam, a credit bank)."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$", description="folder name in storage")
    name: str = Field(min_length=1, max_length=200)
    aansluitcode: str = Field(pattern=r"^[A-Za-z0-9-]{1,40}$", description="SNG connection code")
    gemeentecode: str | None = Field(default=None, pattern=r"^\d{4}$")
    contact: Contact
    send_time: time = Field(default=time(6, 0), description="local time (Europe/Amsterdam)")
    eligibility_rule: Literal["toelating", "start"] = "toelating"
    invalid_threshold: float = Field(default=0.05, ge=0, le=1)
    invalid_min_rows: int = Field(
        default=3, ge=1,
        description="reject for invalid rows only when at least this many rows are invalid",
    )
    mass_drop_threshold: float = Field(default=0.30, ge=0, le=1)
    mass_drop_min_removed: int = Field(
        default=1, ge=1, description="hold only when at least this many people would leave"
    )
    column_aliases: dict[str, str] = Field(default_factory=dict)
    sftp: SftpTarget | None = Field(default=None, description="SNG's SFTP server for this registration")
    profile: str | Profile = Field(default=DEFAULT_PROFILE,
                                   description="name of a shipped SNG file profile, or one inline")

    @field_validator("aansluitcode")
    @classmethod
    def _aansluitcode_is_real(cls, value: str) -> str:
        return _refuse_placeholder(value)

    @field_validator("profile")
    @classmethod
    def _profile_exists(cls, value: str | Profile) -> str | Profile:
        if isinstance(value, str):
            try:
                shipped_profile(value)
            except ProfileError:
                known = ", ".join(sorted(p.stem for p in PROFILE_DIR.glob("*.json")))
                raise DutchValueError(f"onbekend profiel '{_shown(value)}'; meegeleverde profielen: "
                                      f"{known}") from None
        return value

    @field_validator("column_aliases")
    @classmethod
    def _aliases_name_canonical_fields(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted({v for v in value.values() if v not in CANONICAL_FIELDS})
        if unknown:
            raise DutchValueError(
                f"verwijst naar {'een onbekend veld' if len(unknown) == 1 else 'onbekende velden'} "
                f"{', '.join(_shown(u) for u in unknown)}; bekend zijn: "
                f"{', '.join(CANONICAL_FIELDS)}")
        return value


class OrganisationsDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organisations: list[Organisation] = Field(min_length=1)

    @model_validator(mode="after")
    def _codes_unique(self) -> OrganisationsDocument:
        codes = [o.code for o in self.organisations]
        doubles = sorted({c for c in codes if codes.count(c) > 1})
        if doubles:
            raise DutchValueError("elke organisatiecode mag maar één keer voorkomen; dubbel: "
                                  + ", ".join(doubles))
        return self

    def get(self, code: str) -> Organisation | None:
        return next((o for o in self.organisations if o.code == code), None)


EXAMPLE_ORGANISATIONS: dict = {
    "organisations": [
        {
            "code": "voorbeeld",
            "name": "Gemeente Voorbeeld - Schuldhulpverlening",
            "aansluitcode": "VB-0001",
            "gemeentecode": "9999",
            "contact": {
                "naam": "Team Schuldhulpverlening",
                "telefoon": "14 0999",
                "email": "schuldhulp@voorbeeld.nl",
            },
            "send_time": "06:00",
            "eligibility_rule": "toelating",
        }
    ]
}


# -- Dutch messages for validation errors -------------------------------------------------------
# What a field must look like, for the patterns (pydantic's own text would show a regex).
_PATTERN_NL = {
    "code": "alleen kleine letters, cijfers en koppeltekens (2 tot 40 tekens, te beginnen met een "
            "letter of cijfer)",
    "aansluitcode": "alleen letters, cijfers en koppeltekens (hoogstens 40)",
    "gemeentecode": "precies vier cijfers",
    "telefoon": "alleen cijfers, spaties en + - ( )",
    "email": "een e-mailadres zoals naam@gemeente.nl",
    "secret_name": "de naam van een geheim: alleen letters, cijfers en koppeltekens (hoogstens 127)",
    "passphrase_secret": "de naam van een geheim: alleen letters, cijfers en koppeltekens "
                         "(hoogstens 127)",
    "name": "alleen kleine letters, cijfers en koppeltekens",
    "VISH_STORAGE_ACCOUNT_NAME": "3 tot 24 kleine letters of cijfers (de naam van het opslagaccount)",
}
# pydantic's tags for the members of a union (``str | Profile``): not part of the field's path
_UNION_TAGS = {"str", "int", "float", "bool", "dict", "list", "Profile"}


def _number(value: object) -> str:
    text = str(value)
    return text[:-2] if text.endswith(".0") else text.replace(".", ",")


def _what(err: dict, field: str) -> str:
    """The Dutch sentence for one pydantic error (never its input: that may be a secret)."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "value_error" and isinstance(ctx.get("error"), DutchValueError):
        return str(ctx["error"])
    simple = {
        "missing": "ontbreekt (verplicht veld)",
        "extra_forbidden": "is geen bekend veld (tikfout, of hoort het op een andere plek?)",
        "string_type": "moet tekst zijn (tussen aanhalingstekens)",
        "int_type": "moet een geheel getal zijn", "int_parsing": "moet een geheel getal zijn",
        "int_from_float": "moet een geheel getal zijn",
        "float_type": "moet een getal zijn", "float_parsing": "moet een getal zijn",
        "bool_type": "moet true of false zijn", "bool_parsing": "moet true of false zijn",
        "time_type": "moet een tijd zijn als UU:MM, bijvoorbeeld 06:00",
        "time_parsing": "moet een tijd zijn als UU:MM, bijvoorbeeld 06:00",
        "dict_type": "moet een object zijn ({ ... })", "model_type": "moet een object zijn ({ ... })",
        "model_attributes_type": "moet een object zijn ({ ... })",
        "list_type": "moet een lijst zijn ([ ... ])",
        "path_type": "moet een pad zijn", "string_unicode": "moet leesbare tekst zijn",
    }
    if kind in simple:
        return simple[kind]
    if kind == "string_pattern_mismatch":
        return f"heeft niet de juiste vorm: {_PATTERN_NL.get(field, 'controleer de schrijfwijze')}"
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return "mag niet leeg zijn" if n == 1 else f"moet minstens {n} tekens hebben"
    if kind == "string_too_long":
        return f"mag hoogstens {ctx.get('max_length')} tekens hebben"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return "mag niet leeg zijn" if n == 1 else f"moet minstens {n} elementen hebben"
    if kind == "too_long":
        return f"mag hoogstens {ctx.get('max_length')} elementen hebben"
    bounds = {"greater_than": ("gt", "moet groter zijn dan {}"),
              "greater_than_equal": ("ge", "moet minstens {} zijn"),
              "less_than": ("lt", "moet kleiner zijn dan {}"),
              "less_than_equal": ("le", "mag hoogstens {} zijn")}
    if kind in bounds:
        key, sentence = bounds[kind]
        return sentence.format(_number(ctx.get(key)))
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace(" or ", " of ")
        return f"moet een van deze waarden zijn: {expected}"
    return f"heeft geen geldige waarde (controle '{kind}')"


def _field_path(loc: tuple) -> str:
    return ".".join(_shown(p) for p in loc if not (isinstance(p, str) and (p in _UNION_TAGS or "[" in p)))


def _organisation_label(raw: object, index: int) -> str:
    """``organisatie 'code'`` when the document gives a valid code there, else its number."""
    try:
        code = raw["organisations"][index]["code"]
    except (KeyError, IndexError, TypeError):
        code = None
    if isinstance(code, str) and re.fullmatch(r"[a-z0-9][a-z0-9-]{1,39}", code):
        return f"organisatie '{code}'"
    return f"organisatie nr. {index + 1}"


def organisation_errors(exc: ValidationError, raw: object = None) -> list[str]:
    """Each error of the organisations document as a Dutch sentence naming the organisation and
    the field (the input is never shown: it may be a secret or personal data)."""
    errors = exc.errors()
    # A union (``profile``: a name or an inline profile) reports a failure per member; when the
    # value is an object, the "must be text" of the name member is noise.
    deeper = {tuple(e["loc"][:4]) for e in errors if len(e["loc"]) > 4}
    problems: list[str] = []
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "string_type" and loc[-1:] == ("str",) and any(
                d[:len(loc) - 1] == loc[:-1] for d in deeper):
            continue
        if len(loc) >= 2 and loc[0] == "organisations" and isinstance(loc[1], int):
            field_loc = loc[2:]
            where = _organisation_label(raw, loc[1])
        elif loc[:1] == ("organisations",):
            field_loc, where = (), "de lijst 'organisations'"
        else:
            field_loc, where = loc, "het document"
        path = _field_path(field_loc)
        last = next((p for p in reversed(field_loc) if isinstance(p, str) and p not in _UNION_TAGS
                     and "[" not in p), "")
        if err["type"] == "extra_forbidden":
            sentence = f"{where}: onbekend veld '{path}' (tikfout, of hoort het op een andere plek?)"
        elif path:
            sentence = f"{where}, veld '{path}': {_what(err, last)}"
        else:
            sentence = f"{where} {_what(err, last)}"
        if err["type"] == "too_short" and loc == ("organisations",):
            sentence = "het document noemt geen enkele organisatie ('organisations' is leeg)"
        if sentence not in problems:
            problems.append(sentence)
    return problems


def _setting_name(name: str) -> str:
    """The app setting that sets the field ``name`` (its environment names)."""
    field = Settings.model_fields.get(name)
    if field is None:
        return name
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return " of ".join(str(a) for a in alias.choices)
    return f"VISH_{name.upper()}"


def settings_errors(exc: ValidationError) -> list[str]:
    """Each error of the app settings as a Dutch sentence naming the setting, never its value
    (a connection string holds a key)."""
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        name = str(loc[0]) if loc else ""
        for field_name, field in Settings.model_fields.items():
            alias = field.validation_alias
            if isinstance(alias, AliasChoices) and name in alias.choices:
                name = field_name
        setting = _setting_name(name)
        key = setting.split(" of ")[0]
        what = _what(err, key if key in _PATTERN_NL else name)
        problems.append(f"instelling {setting}: {what}")
    return problems


def parse_organisations(text: str, source: str, schedule: str | None = None) -> OrganisationsDocument:
    """Parse and validate the organisations JSON; errors (Dutch, all of them) name the source,
    the organisation and the field.

    With ``schedule`` (the timer's NCRONTAB), also refuse a send time that the schedule never
    reaches on its own local day (see ``check_send_times``)."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        message = (f"{source}: geen geldige JSON (regel {exc.lineno}, kolom {exc.colno}); "
                   "controleer komma's, aanhalingstekens en haakjes")
        raise ConfigError(message) from None
    except RecursionError:
        raise ConfigError(f"{source}: de JSON is te diep genest") from None
    try:
        document = OrganisationsDocument.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{source}: {p}" for p in organisation_errors(exc, raw)]
        raise ConfigError(f"{source}: ongeldig organisatiedocument: "
                          + "; ".join(p.removeprefix(f"{source}: ") for p in problems),
                          problems) from None
    if schedule is not None:
        check_send_times(document, schedule)
    return document


def send_time_problems(document: OrganisationsDocument, schedule: str) -> list[str]:
    """Dutch sentences: an unreadable schedule, or each organisation whose send time the
    schedule does not reach on every local day."""
    try:
        parsed = parse_schedule(schedule)
    except ScheduleError as exc:
        return [f"VISH_DELIVERY_SCHEDULE: schema '{_shown(schedule)}' is niet te lezen: {exc}"]
    return [f"organisatie '{o.code}': {message}" for o in document.organisations
            if (message := unreachable_message(parsed, o.send_time))]


def check_send_times(document: OrganisationsDocument, schedule: str) -> None:
    """Refuse an unreadable schedule, and any organisation whose send time the schedule does
    not reach on every local day (Dutch messages: the operator reads them)."""
    problems = send_time_problems(document, schedule)
    if problems:
        raise ConfigError("; ".join(problems), problems)


def organisations_source(settings: Settings) -> str:
    """Where the organisations of this deployment come from (for messages)."""
    if settings.organisations_json:
        return "VISH_ORGANISATIONS_JSON"
    if settings.organisations_file:
        return f"VISH_ORGANISATIONS_FILE ({_shown(settings.organisations_file, 120)})"
    return "het ingebouwde voorbeeld (VISH_ORGANISATIONS_JSON en VISH_ORGANISATIONS_FILE zijn leeg)"


def load_organisations(settings: Settings) -> OrganisationsDocument:
    """The organisations of this deployment, checked against the timer's schedule."""
    schedule = settings.delivery_schedule
    if settings.organisations_json:
        return parse_organisations(settings.organisations_json, "VISH_ORGANISATIONS_JSON", schedule)
    if settings.organisations_file:
        try:
            text = settings.organisations_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"VISH_ORGANISATIONS_FILE: bestand niet te lezen "
                              f"({dutch_os_error(exc)})") from None
        except UnicodeDecodeError:
            raise ConfigError("VISH_ORGANISATIONS_FILE: het bestand is geen UTF-8-tekst; sla het "
                              "op als UTF-8") from None
        return parse_organisations(text, "VISH_ORGANISATIONS_FILE", schedule)
    document = OrganisationsDocument.model_validate(EXAMPLE_ORGANISATIONS)
    check_send_times(document, schedule)
    return document


# -- vish config check: every problem at once, without network ---------------------------------
_KEY_VAULT_URL = re.compile(r"https://[a-z0-9-]{3,24}\.vault\.(?:azure\.net|azure\.cn|"
                            r"usgovcloudapi\.net|microsoftazure\.de)/?", re.IGNORECASE)
# Names that are reserved for examples and documentation (RFC 2606): never SNG's server.
_EXAMPLE_HOST = re.compile(r"(?:^|\.)(?:example|invalid)$|(?:^|\.)example\.(?:com|net|org)$",
                           re.IGNORECASE)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# The values of the documented examples (the README's organisations example for Azure,
# organisations.example.json and the built-in example): never a real organisation's. The loader
# takes them (the demo and the tests use them); ``vish config check`` names each one as a
# problem, unless the document is the example itself (then it says so once).
README_EXAMPLE_HOST_KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAWUzSwLPtKP1a4StqQfkX77sisRICyS1aP"
                           "UlW+Krd+r")  # made up, of the right form
_FROM_SNG = "vervang die door de echte waarde van SNG"
_OWN = "vervang die door de echte waarde van de organisatie"
EXAMPLE_VALUES: dict[str, tuple[frozenset[str], str]] = {
    # field: (values, compared lower-case; the telephone number by its digits), what to do
    "code": (frozenset({"gemeente-x", "voorbeeld"}), "kies een eigen code voor de organisatie"),
    "name": (frozenset({"gemeente x - schuldhulpverlening",
                        "gemeente voorbeeld - schuldhulpverlening"}), _OWN),
    "aansluitcode": (frozenset({"sng-1234", "vb-0001"}), _FROM_SNG),
    "gemeentecode": (frozenset({"0123", "9999"}), _OWN),
    "contact.telefoon": (frozenset({"140123", "140999"}), _OWN),
    "contact.email": (frozenset({"gemeente-x.nl", "voorbeeld.nl"}), _OWN),  # the domain
    "sftp.username": (frozenset({"gemeente-x"}), _FROM_SNG),
}


def _example_value(field: str, value: str | None) -> bool:
    if value is None:
        return False
    text = value.strip().lower()
    if field == "contact.telefoon":
        text = "".join(c for c in text if c.isdigit())
    elif field == "contact.email":
        text = text.rpartition("@")[2]
    return text in EXAMPLE_VALUES[field][0]


def _pinned_sha256(host_key: str) -> str | None:
    text = host_key.strip()
    if text.startswith("SHA256:"):
        return text.rstrip("=")
    try:
        blob = base64.b64decode(text.split()[1], validate=True)
    except (IndexError, binascii.Error):
        return None
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def example_value_problems(org: Organisation) -> list[str]:
    """The fields of ``org`` that hold a value of the documented examples (Dutch, never the value)."""
    where = f"organisatie '{org.code}'"
    values = {"code": org.code, "name": org.name, "aansluitcode": org.aansluitcode,
              "gemeentecode": org.gemeentecode, "contact.telefoon": org.contact.telefoon,
              "contact.email": org.contact.email,
              "sftp.username": org.sftp.username if org.sftp else None}
    problems = [f"{where}, veld '{field}': is een voorbeeldwaarde uit de README of "
                f"organisations.example.json; {EXAMPLE_VALUES[field][1]}"
                for field, value in values.items() if _example_value(field, value)]
    if org.sftp and _pinned_sha256(org.sftp.host_key) == _pinned_sha256(README_EXAMPLE_HOST_KEY):
        problems.append(f"{where}, veld 'sftp.host_key': is de verzonnen voorbeeldsleutel uit de "
                        "README; vraag SNG om de hostsleutel van hun server en vul die in")
    return problems


@dataclass
class ConfigCheck:
    """What ``vish config check`` found: problems (the app would refuse or fail), notes (worth
    knowing), the organisations and where they come from."""

    problems: list[str] = dc_field(default_factory=list)
    notes: list[str] = dc_field(default_factory=list)
    organisations: list[str] = dc_field(default_factory=list)
    source: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def _settings_for_check(check: ConfigCheck) -> Settings:
    """The settings; a setting that does not validate is reported and replaced by its default,
    so the rest can still be checked."""
    try:
        return Settings()
    except ValidationError as exc:
        check.problems.extend(settings_errors(exc))
        overrides: dict = {}
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else ""
            for field_name, field in Settings.model_fields.items():
                alias = field.validation_alias
                names = alias.choices if isinstance(alias, AliasChoices) else []
                if name == field_name or name in names:
                    default = field.get_default(call_default_factory=True)
                    overrides.update({str(n): default for n in names} or {field_name: default})
        try:
            return Settings(**overrides)
        except ValidationError:
            return Settings.model_construct()


def _storage_problems(settings: Settings) -> list[str]:
    problems = []
    conn = settings.storage_connection_string
    if conn and conn.strip().lower() != "usedevelopmentstorage=true":
        name = "VISH_STORAGE_CONNECTION_STRING (of AzureWebJobsStorage)"
        parts = {k.strip().lower(): v.strip() for k, _, v in
                 (item.partition("=") for item in conn.split(";") if item.strip())}
        if is_placeholder(conn, words=False):
            problems.append(f"instelling {name}: is nog een voorbeeldwaarde uit een sjabloon")
        elif not ((parts.get("accountname") and (parts.get("accountkey")
                                                 or parts.get("sharedaccesssignature")))
                  or (parts.get("blobendpoint") and parts.get("sharedaccesssignature"))):
            problems.append(f"instelling {name}: geen bruikbare verbindingsreeks (nodig: AccountName "
                            "met AccountKey, of een SharedAccessSignature)")
        elif parts.get("accountkey"):
            try:
                base64.b64decode(parts["accountkey"], validate=True)
            except binascii.Error:
                problems.append(f"instelling {name}: AccountKey is geen geldige sleutel (base64)")
        return problems
    try:
        settings.connection_string()
    except ConfigError as exc:
        problems.append(str(exc))
    for setting, uri in (("VISH_BLOB_SERVICE_URI (of AzureWebJobsStorage__blobServiceUri)",
                          settings.blob_service_uri),
                         ("VISH_TABLE_SERVICE_URI (of AzureWebJobsStorage__tableServiceUri)",
                          settings.table_service_uri),
                         ("VISH_QUEUE_SERVICE_URI (of AzureWebJobsStorage__queueServiceUri)",
                          settings.queue_service_uri)):
        if uri and not re.fullmatch(r"https://[a-z0-9.-]+(?::\d+)?(?:/[^\s]*)?|"
                                    r"http://(?:127\.0\.0\.1|localhost)(?::\d+)?(?:/[^\s]*)?",
                                    uri.strip(), re.IGNORECASE):
            problems.append(f"instelling {setting}: moet een https-adres zijn, zoals "
                            "https://<account>.blob.core.windows.net")
    if settings.blob_service_uri and not settings.table_service_uri:
        problems.append("instelling VISH_TABLE_SERVICE_URI (of AzureWebJobsStorage__tableServiceUri) "
                        "ontbreekt: nodig naast de blob-URI bij opslag met de beheerde identiteit")
    if settings.blob_service_uri and not settings.queue_service_uri:
        problems.append("instelling VISH_QUEUE_SERVICE_URI (of AzureWebJobsStorage__queueServiceUri) "
                        "ontbreekt: nodig naast de blob-URI voor de wachtrij van leveringen")
    return problems


def _settings_problems(settings: Settings, check: ConfigCheck) -> None:
    in_azure = bool(os.environ.get("WEBSITE_INSTANCE_ID"))
    check.problems.extend(_storage_problems(settings))
    url = settings.key_vault_url
    if url and not _KEY_VAULT_URL.fullmatch(url.strip()):
        check.problems.append("instelling VISH_KEY_VAULT_URL: moet het adres van een Key Vault zijn, "
                              "zoals https://<naam>.vault.azure.net/")
    elif not url:
        (check.problems if in_azure else check.notes).append(
            "VISH_KEY_VAULT_URL is niet ingesteld: geheimen komen uit VISH_SECRET_<NAAM> of "
            "VISH_SECRETS_DIR (alleen voor lokaal gebruik)")
    for setting, folder in (("VISH_SECRETS_DIR", settings.secrets_dir),
                            ("VISH_WORK_DIR", settings.work_dir)):
        if folder is not None and not Path(folder).is_dir():
            check.problems.append(f"instelling {setting}: de map bestaat niet")
    if str(settings.log_level).upper() not in LOG_LEVELS:
        check.problems.append(f"instelling VISH_LOG_LEVEL: kies uit {', '.join(LOG_LEVELS)}")
    if settings.organisations_json and settings.organisations_file:
        check.notes.append("VISH_ORGANISATIONS_JSON en VISH_ORGANISATIONS_FILE zijn allebei ingesteld: "
                           "VISH_ORGANISATIONS_JSON wordt gebruikt, het bestand niet")


def _host_key_parses(host_key: str) -> bool:
    """paramiko reads the key line as a public key (the load check only looks at its form)."""
    import paramiko

    text = host_key.strip()
    if text.startswith("SHA256:"):
        return True
    key_type, blob = text.split()[:2]
    try:
        paramiko.PKey.from_type_string(key_type, base64.b64decode(blob))
    except Exception:  # any parse failure: the key is incomplete or damaged
        return False
    return True


def _document_problems(document: OrganisationsDocument, settings: Settings,
                       check: ConfigCheck, *, example: bool = False) -> None:
    """``example``: the document is the example itself (said once by the caller), so its
    example values are not named one by one."""
    check.problems.extend(send_time_problems(document, settings.delivery_schedule))
    for org in document.organisations:
        where = f"organisatie '{org.code}'"
        if not example:
            check.problems.extend(example_value_problems(org))
        if org.sftp is None:
            check.notes.append(f"{where} heeft geen SFTP-bestemming (sftp): er wordt niets geleverd")
            continue
        if _EXAMPLE_HOST.search(org.sftp.host.strip().rstrip(".")):
            check.problems.append(f"{where}, veld 'sftp.host': is een voorbeeldnaam (example, "
                                  "invalid), niet de server van SNG")
        if not _host_key_parses(org.sftp.host_key):
            check.problems.append(f"{where}, veld 'sftp.host_key': de sleutel is onvolledig of "
                                  "beschadigd (knip- of plakfout?); neem de hele regel van SNG over")
        if org.sftp.auth == "password" and org.sftp.passphrase_secret:
            check.notes.append(f"{where}: passphrase_secret wordt niet gebruikt bij auth 'password'")


def check_configuration() -> ConfigCheck:
    """Check the app settings and the organisations document without network: every problem
    at once, in Dutch, never a value (a connection string or a secret name's value)."""
    check = ConfigCheck()
    settings = _settings_for_check(check)
    _settings_problems(settings, check)
    check.source = organisations_source(settings)
    if settings.organisations_json:
        text, source = settings.organisations_json, "VISH_ORGANISATIONS_JSON"
    elif settings.organisations_file:
        source = "VISH_ORGANISATIONS_FILE"
        try:
            text = Path(settings.organisations_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = "geen UTF-8-tekst" if isinstance(exc, UnicodeDecodeError) else (
                dutch_os_error(exc))
            check.problems.append(f"VISH_ORGANISATIONS_FILE: bestand niet te lezen ({reason})")
            return check
    else:
        (check.problems if os.environ.get("WEBSITE_INSTANCE_ID") else check.notes).append(
            "geen organisaties ingesteld (VISH_ORGANISATIONS_JSON of VISH_ORGANISATIONS_FILE): het "
            "ingebouwde voorbeeld 'voorbeeld' wordt gebruikt, alleen voor lokaal gebruik")
        text, source = json.dumps(EXAMPLE_ORGANISATIONS), "voorbeeld"
    try:
        document = parse_organisations(text, source)
    except ConfigError as exc:
        check.problems.extend(exc.problems)
        return check
    check.organisations = [o.code for o in document.organisations]
    example = document.model_dump() == OrganisationsDocument.model_validate(
        EXAMPLE_ORGANISATIONS).model_dump()
    if example and source != "voorbeeld":  # the built-in one is named above already
        (check.problems if os.environ.get("WEBSITE_INSTANCE_ID") else check.notes).append(
            f"{source} is het voorbeelddocument (organisations.example.json, organisatie "
            "'voorbeeld'): alleen voor lokaal gebruik, zoals de demo")
    _document_problems(document, settings, check, example=example)
    return check


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process (cached: app settings change only with a restart)."""
    return Settings()
