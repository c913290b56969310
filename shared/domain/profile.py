"""SNG file profiles: the delivered file's layout as versioned, declarative configuration.

SNG gives each organisation its exact layout at onboarding (no public specification exists), so
matching it is a profile, not code. Profiles ship in ``shared/domain/profiles/*.json``; an
organisation names one (``"profile": "vish-minimaal"``) or carries its own inline.

A field's ``source`` is a snapshot field (``bsn``, ``geboortedatum``, ``eligible_from`` …), an
organisation field (``organisation.aansluitcode``, ``organisation.contact.telefoon`` …), the
mutation code in ``mutations`` mode (``mutation``), or a constant (``const:TEXT``).
"""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from shared.domain.snapshot import SNAPSHOT_FIELDS

PROFILE_DIR = Path(__file__).parent / "profiles"
DEFAULT_PROFILE = "vish-minimaal"
ORGANISATION_SOURCES = ("organisation.code", "organisation.name", "organisation.aansluitcode",
                        "organisation.gemeentecode", "organisation.contact.naam",
                        "organisation.contact.telefoon", "organisation.contact.email")
DATE_SOURCES = frozenset({"geboortedatum", "startdatum", "toelatingsdatum", "einddatum", "eligible_from"})


class ProfileError(Exception):
    """A profile cannot be used; the message names the profile and the problem."""


class ProfileField(BaseModel):
    model_config = ConfigDict(extra="forbid")
    column: str = Field(min_length=1, max_length=60, description="header label in the file")
    source: str
    max_length: int | None = Field(default=None, gt=0)

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        if value.startswith("const:") or value == "mutation":
            return value
        if value in SNAPSHOT_FIELDS[:-2] or value in ORGANISATION_SOURCES:
            return value
        raise ValueError(f"unknown source {value!r}; use a snapshot field, one of "
                         f"{list(ORGANISATION_SOURCES)}, 'mutation' or 'const:…'")


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,59}$")
    version: int = Field(ge=1)
    description: str = ""
    mode: Literal["full", "mutations"] = "full"
    header: bool = True
    delimiter: str = Field(default=";", min_length=1, max_length=1)
    quoting: Literal["minimal", "all", "none"] = "minimal"
    encoding: Literal["utf-8", "utf-8-sig", "windows-1252", "iso-8859-1"] = "utf-8"
    line_ending: Literal["crlf", "lf"] = "crlf"
    date_format: str = "%Y-%m-%d"
    file_name: str = "VISH_{aansluitcode}_{date:%Y%m%d}_{sequence:03d}.csv"
    trailer: str | None = Field(default=None, description="e.g. 'EINDE;{count}'")
    mutation_codes: dict[Literal["aanmelding", "afmelding"], str] = Field(
        default_factory=lambda: {"aanmelding": "A", "afmelding": "V"})
    fields: list[ProfileField] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Profile:
        sources = [f.source for f in self.fields]
        if "bsn" not in sources:
            raise ValueError("a profile must deliver the bsn")
        if ("mutation" in sources) != (self.mode == "mutations"):
            raise ValueError("the 'mutation' field belongs in mode 'mutations' (and only there)")
        columns = [f.column for f in self.fields]
        if len(set(columns)) != len(columns):
            raise ValueError("column labels must be unique")
        try:
            self.render_file_name(organisation_code="x", aansluitcode="y", on=date(2026, 1, 2),
                                  sequence=1)
            date(2026, 1, 2).strftime(self.date_format)
            if self.trailer:
                self.trailer.format(count=0)
        except (KeyError, ValueError, IndexError) as exc:
            raise ValueError(f"file_name, date_format or trailer cannot be rendered: {exc}") from None
        return self

    def render_file_name(self, *, organisation_code: str, aansluitcode: str, on: date,
                         sequence: int) -> str:
        name = self.file_name.format(org=organisation_code, aansluitcode=aansluitcode, date=on,
                                     sequence=sequence)
        if "/" in name or "\\" in name or name.startswith("."):
            raise ValueError("the file name may not contain a path")
        return name

    @property
    def newline(self) -> str:
        return "\r\n" if self.line_ending == "crlf" else "\n"


def parse_profile(text: str, source: str) -> Profile:
    try:
        return Profile.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise ProfileError(f"{source}: not valid JSON (line {exc.lineno})") from None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(profile)'}: {e['msg']}"
                             for e in exc.errors())
        raise ProfileError(f"{source}: invalid profile: {problems}") from None


@lru_cache(maxsize=32)
def shipped_profile(name: str) -> Profile:
    path = PROFILE_DIR / f"{name}.json"
    if not path.is_file():
        known = sorted(p.stem for p in PROFILE_DIR.glob("*.json"))
        raise ProfileError(f"unknown profile {name!r}; shipped profiles: {known}")
    return parse_profile(path.read_text(encoding="utf-8"), str(path.name))


def profile_for(organisation) -> Profile:
    """The organisation's profile: inline, named, or the default."""
    chosen = getattr(organisation, "profile", None) or DEFAULT_PROFILE
    if isinstance(chosen, Profile):
        return chosen
    return shipped_profile(chosen)
