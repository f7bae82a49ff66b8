"""The server's settings: one typed tree with defaults, parsed leniently.

Settings arrive from editors we do not control (``initializationOptions`` and
``workspace/didChangeConfiguration``), so parsing never fails: a bad or unknown value
is logged with its key path and the previous value is kept. The camel-case keys are
the agreed protocol (see README, "Settings reference"); attributes are snake case.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("tact.settings")

GATE_MODES = ("utility", "maxAcceptedHidden")
FIX_PRECISIONS = ("lenient", "standard", "strict")
ENGINES = ("embedded",)


def default_telemetry_url() -> str:
    """The store URL when nobody configured one: the telemetry layer's own default
    (one place decides where user data lives), or the XDG data dir if it is absent."""
    try:
        from tact.telemetry.url import default_url
    except ImportError:  # the telemetry layer predates url.py
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return f"sqlite:///{Path(base) / 'tact' / 'telemetry.db'}"
    return str(default_url())


@dataclass(slots=True)
class CompletionSettings:
    max_lines: int = 3
    reject_timeout_ms: int = 15000
    # Extension beyond the agreed protocol: wait this long before generating, so a
    # request superseded by typing (and cancelled by the client) costs nothing.
    debounce_ms: int = 0


@dataclass(slots=True)
class TelemetrySettings:
    url: str = field(default_factory=default_telemetry_url)
    store_text: bool = False


@dataclass(slots=True)
class GateSettings:
    enabled: bool = True
    mode: str = "utility"
    benefit: float = 1.0
    cost: float = 0.2
    max_accepted_hidden_percent: float = 5.0
    exploration: float = 0.05
    model_path: str | None = None


@dataclass(slots=True)
class FixesSettings:
    enable: bool = True
    allow_execution: bool = False
    timeout_seconds: float = 10
    memory_mb: int = 512
    precision: str = "standard"


@dataclass(slots=True)
class Settings:
    enable: bool = True
    engine: str = "embedded"
    completion: CompletionSettings = field(default_factory=CompletionSettings)
    telemetry: TelemetrySettings = field(default_factory=TelemetrySettings)
    gate: GateSettings = field(default_factory=GateSettings)
    fixes: FixesSettings = field(default_factory=FixesSettings)


# Keys whose camel-case spelling is not the mechanical conversion of the attribute.
_KEY_OVERRIDES = {"memory_mb": "memoryMB"}
# Allowed values and ranges (inclusive) per attribute path.
_CHOICES: dict[str, tuple[str, ...]] = {
    "engine": ENGINES,
    "gate.mode": GATE_MODES,
    "fixes.precision": FIX_PRECISIONS,
}
_RANGES: dict[str, tuple[float, float]] = {
    "completion.max_lines": (1, 50),
    "completion.reject_timeout_ms": (100, 86_400_000),
    "completion.debounce_ms": (0, 10_000),
    "gate.benefit": (0.0, 1e6),
    "gate.cost": (0.0, 1e6),
    "gate.max_accepted_hidden_percent": (0.0, 100.0),
    "gate.exploration": (0.0, 1.0),
    "fixes.timeout_seconds": (0.1, 3600),
    "fixes.memory_mb": (16, 1_048_576),
}


def camel_key(attribute: str) -> str:
    """The protocol's key for an attribute: ``reject_timeout_ms`` -> ``rejectTimeoutMs``."""
    if attribute in _KEY_OVERRIDES:
        return _KEY_OVERRIDES[attribute]
    head, *rest = attribute.split("_")
    return head + "".join(part.capitalize() for part in rest)


def unwrap(raw: Any) -> Any:
    """Accept both ``{"tact": {...}}`` and the inner object (clients differ)."""
    if isinstance(raw, Mapping) and isinstance(raw.get("tact"), Mapping):
        return raw["tact"]
    return raw


def parse_settings(
    raw: Any,
    base: Settings | None = None,
    warn: Callable[[str], None] | None = None,
) -> Settings:
    """``base`` (or the defaults) updated with whatever in ``raw`` is valid.

    Never raises: every rejected value produces one message naming its key, what was
    wrong, and the value kept. Keys absent from ``raw`` keep their ``base`` value, so a
    client may send only what changed.
    """
    warn = warn or log.warning
    result = dataclasses.replace(base) if base is not None else Settings()
    # dataclasses.replace is shallow: copy the sections so `base` stays untouched.
    for f in dataclasses.fields(result):
        value = getattr(result, f.name)
        if dataclasses.is_dataclass(value):
            setattr(result, f.name, dataclasses.replace(value))
    raw = unwrap(raw)
    if raw is None:
        return result
    if not isinstance(raw, Mapping):
        warn(f"tact settings: expected an object, got {type(raw).__name__}; ignored")
        return result
    _merge(result, raw, "", warn)
    return result


def _merge(target: Any, raw: Mapping[str, Any], prefix: str, warn: Callable[[str], None]) -> None:
    known = {camel_key(f.name): f for f in dataclasses.fields(target)}
    for key, value in raw.items():
        f = known.get(key)
        if f is None:
            warn(f"tact settings: unknown key {prefix}{key!s}; ignored")
            continue
        path = f"{prefix}{f.name}"
        current = getattr(target, f.name)
        if dataclasses.is_dataclass(current):
            if isinstance(value, Mapping):
                _merge(current, value, f"{prefix}{key}.", warn)
            else:
                warn(f"tact settings: {prefix}{key} must be an object; ignored")
            continue
        try:
            setattr(target, f.name, _coerce(path, value, current, f))
        except ValueError as exc:
            warn(f"tact settings: {prefix}{key}: {exc}; keeping {current!r}")


def _coerce(path: str, value: Any, current: Any, f: dataclasses.Field[Any]) -> Any:
    """Convert ``value`` to the field's type, or raise ValueError saying why not."""
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError(f"expected true/false, got {value!r}")
    if kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"expected a number, got {value!r}")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"expected a number, got {value!r}") from None
        if number != number:  # NaN
            raise ValueError("expected a number, got NaN")
        low, high = _RANGES.get(path, (-float("inf"), float("inf")))
        if not low <= number <= high:
            raise ValueError(f"{number:g} is outside [{low:g}, {high:g}]")
        return int(number) if kind == "int" else number
    if kind == "str":
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {value!r}")
        choices = _CHOICES.get(path)
        if choices and value not in choices:
            raise ValueError(f"{value!r} is not one of {', '.join(choices)}")
        if path == "telemetry.url" and not re.match(r"^[a-z][a-z0-9+.-]*://", value):
            raise ValueError(f"{value!r} is not a URL like sqlite:///path.db")
        return value
    if kind == "str | None":
        if value is None or (isinstance(value, str) and value.strip() == ""):
            return None
        if not isinstance(value, str):
            raise ValueError(f"expected a string or null, got {value!r}")
        return value
    raise ValueError(f"unsupported setting type {kind}")  # pragma: no cover


def to_protocol(settings: Settings) -> dict[str, Any]:
    """The settings as the protocol spells them (camel case), e.g. for logs and status."""

    def convert(obj: Any) -> Any:
        if dataclasses.is_dataclass(obj):
            return {
                camel_key(f.name): convert(getattr(obj, f.name)) for f in dataclasses.fields(obj)
            }
        return obj

    return convert(settings)
