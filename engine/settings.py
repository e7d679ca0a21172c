"""Engine settings: defaults in code, overridden from the environment, checked at once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["PROJECT_ROOT", "Settings", "SmtpSettings"]

# The bundles live beside the packages in the project checkout (an editable install).
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class SmtpSettings:
    """Where notification e-mail goes; no host means e-mail is off."""

    host: str = ""
    port: int = 25
    user: str = ""
    password: str = field(default="", repr=False)
    sender: str = "govflow@localhost"
    starttls: bool = False
    timeout_seconds: float = 20.0
    public_url: str = ""  # the address people open Govflow at, for links in e-mails; none: no links
    digest_hour: int = 8  # local hour from which each day's digest goes out

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ValueError(f"GOVFLOW_SMTP_PORT must be a port number, got {self.port}")
        if not 0 <= self.digest_hour <= 23:
            raise ValueError(f"GOVFLOW_DIGEST_HOUR must be 0 to 23, got {self.digest_hour}")
        if self.host and "@" not in self.sender:
            raise ValueError(f"GOVFLOW_SMTP_FROM must be an e-mail address, got {self.sender!r}")

    @property
    def enabled(self) -> bool:
        """Tell whether e-mail is configured."""
        return bool(self.host)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpSettings:
        """Read GOVFLOW_SMTP_* (and the digest hour and public address); refuse a malformed value."""
        values: dict[str, object] = {}
        for name, key in (("host", "HOST"), ("user", "USER"), ("password", "PASSWORD"), ("sender", "FROM")):
            if env.get(f"GOVFLOW_SMTP_{key}"):
                values[name] = env[f"GOVFLOW_SMTP_{key}"]
        for name, variable in (("port", "GOVFLOW_SMTP_PORT"), ("digest_hour", "GOVFLOW_DIGEST_HOUR")):
            raw = env.get(variable)
            if raw:
                if not raw.isdigit():
                    raise ValueError(f"{variable} must be a whole number, got {raw!r}")
                values[name] = int(raw)
        starttls = env.get("GOVFLOW_SMTP_STARTTLS", "").strip().lower()
        if starttls:
            if starttls not in ("1", "true", "yes", "0", "false", "no"):
                raise ValueError(f"GOVFLOW_SMTP_STARTTLS must be true or false, got {starttls!r}")
            values["starttls"] = starttls in ("1", "true", "yes")
        if env.get("GOVFLOW_PUBLIC_URL"):
            values["public_url"] = env["GOVFLOW_PUBLIC_URL"].rstrip("/")
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Settings:
    """Where the database and the bundles are, and the limits the engine enforces."""

    database_url: str = ""
    project_root: Path = PROJECT_ROOT
    instance_dir: Path = PROJECT_ROOT / "instance"
    timezone: str = "Asia/Shanghai"
    max_file_bytes: int = 2_000_000
    calendar_file: Path | None = None
    spec_cache_size: int = 64
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.database_url:
            default = f"sqlite:///{self.instance_dir / 'govflow.sqlite'}"
            object.__setattr__(self, "database_url", default)
        if self.max_file_bytes <= 0:
            raise ValueError("max_file_bytes must be positive")

    @property
    def bpmn_dir(self) -> Path:
        """Return the folder of per-jurisdiction BPMN files."""
        return self.project_root / "bpmn"

    @property
    def dmn_dir(self) -> Path:
        """Return the folder of per-jurisdiction DMN files."""
        return self.project_root / "dmn"

    @property
    def forms_dir(self) -> Path:
        """Return the folder of per-jurisdiction form schemas."""
        return self.project_root / "forms"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from GOVFLOW_* variables, then explicit overrides."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        if env.get("GOVFLOW_DATABASE_URL"):
            values["database_url"] = env["GOVFLOW_DATABASE_URL"]
        if env.get("GOVFLOW_PROJECT_ROOT"):
            values["project_root"] = Path(env["GOVFLOW_PROJECT_ROOT"])
        if env.get("GOVFLOW_INSTANCE_DIR"):
            values["instance_dir"] = Path(env["GOVFLOW_INSTANCE_DIR"])
        if env.get("GOVFLOW_TIMEZONE"):
            values["timezone"] = env["GOVFLOW_TIMEZONE"]
        if env.get("GOVFLOW_CALENDAR_FILE"):
            values["calendar_file"] = Path(env["GOVFLOW_CALENDAR_FILE"])
        if env.get("GOVFLOW_MAX_FILE_BYTES"):
            raw = env["GOVFLOW_MAX_FILE_BYTES"]
            if not raw.isdigit():
                raise ValueError(f"GOVFLOW_MAX_FILE_BYTES must be a whole number, got {raw!r}")
            values["max_file_bytes"] = int(raw)
        values["smtp"] = SmtpSettings.from_env(env)
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
