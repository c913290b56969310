"""Configuration: one settings class (environment / app settings) and the organisations document.

Every setting is documented in the README with its default. Organisations (the VISH
registrations one deployment serves) come from one JSON document: the app setting
``VISH_ORGANISATIONS_JSON``, or the file named by ``VISH_ORGANISATIONS_FILE``; without either,
the local example organisation ``voorbeeld`` is used.
"""

from __future__ import annotations

import json
import os
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
from shared.domain.profile import DEFAULT_PROFILE, Profile, ProfileError, shipped_profile
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
    """The configuration cannot be used; the message says which setting and why."""


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

    @model_validator(mode="after")
    def _uris_from_the_account_name(self) -> Settings:
        if self.storage_account_name:
            name = self.storage_account_name
            self.blob_service_uri = self.blob_service_uri or f"https://{name}.blob.core.windows.net"
            self.table_service_uri = self.table_service_uri or f"https://{name}.table.core.windows.net"
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
            raise ConfigError("no storage is configured: set AzureWebJobsStorage__accountName (or "
                              "__blobServiceUri and __tableServiceUri) for identity-based storage")
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

    @field_validator("profile")
    @classmethod
    def _profile_exists(cls, value: str | Profile) -> str | Profile:
        if isinstance(value, str):
            try:
                shipped_profile(value)
            except ProfileError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("column_aliases")
    @classmethod
    def _aliases_name_canonical_fields(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted({v for v in value.values() if v not in CANONICAL_FIELDS})
        if unknown:
            raise ValueError(
                f"column_aliases maps to unknown fields {unknown}; known: {list(CANONICAL_FIELDS)}"
            )
        return value


class OrganisationsDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")
    organisations: list[Organisation] = Field(min_length=1)

    @model_validator(mode="after")
    def _codes_unique(self) -> OrganisationsDocument:
        codes = [o.code for o in self.organisations]
        doubles = sorted({c for c in codes if codes.count(c) > 1})
        if doubles:
            raise ValueError(f"organisation codes must be unique; repeated: {doubles}")
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


def parse_organisations(text: str, source: str, schedule: str | None = None) -> OrganisationsDocument:
    """Parse and validate the organisations JSON; errors name the source and the field.

    With ``schedule`` (the timer's NCRONTAB), also refuse a send time that the schedule never
    reaches on its own local day (see ``check_send_times``)."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    try:
        document = OrganisationsDocument.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(document)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(f"{source}: invalid organisations document: {problems}") from None
    if schedule is not None:
        check_send_times(document, schedule)
    return document


def check_send_times(document: OrganisationsDocument, schedule: str) -> None:
    """Refuse an unreadable schedule, and any organisation whose send time the schedule does
    not reach on every local day (Dutch messages: the operator reads them)."""
    try:
        parsed = parse_schedule(schedule)
    except ScheduleError as exc:
        raise ConfigError(f"VISH_DELIVERY_SCHEDULE: schema '{schedule}' is niet te lezen: {exc}") from None
    problems = [f"organisatie '{o.code}': {message}" for o in document.organisations
                if (message := unreachable_message(parsed, o.send_time))]
    if problems:
        raise ConfigError("; ".join(problems))


def load_organisations(settings: Settings) -> OrganisationsDocument:
    """The organisations of this deployment, checked against the timer's schedule."""
    schedule = settings.delivery_schedule
    if settings.organisations_json:
        return parse_organisations(settings.organisations_json, "VISH_ORGANISATIONS_JSON", schedule)
    if settings.organisations_file:
        try:
            text = settings.organisations_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"VISH_ORGANISATIONS_FILE: cannot read ({exc.strerror})") from None
        return parse_organisations(text, str(settings.organisations_file), schedule)
    document = OrganisationsDocument.model_validate(EXAMPLE_ORGANISATIONS)
    check_send_times(document, schedule)
    return document


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process (cached: app settings change only with a restart)."""
    return Settings()
