"""JSON for feature snapshots and exports: orjson when installed, else the stdlib.

Encoding the ~40-80 features of a decision is the largest cost of a telemetry write
(the stdlib spends ~10 us per decision, mostly formatting floats; orjson ~1 us), so
tact depends on orjson, but the telemetry layer still works without it. Both paths
give the same values back: non-finite floats (NaN, +-Infinity) are written as ``null``
(a missing value; strict JSON has no NaN), numpy scalars and subclasses of float/int/
str are written as plain numbers and strings.
"""

from __future__ import annotations

import json
import math
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - depends on the installation
    orjson = None  # type: ignore[assignment]


def _default(value: Any) -> Any:
    """Plain values for numpy scalars and subclasses of the JSON types."""
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    for base in (bool, int, float, str):
        if isinstance(value, base):
            return base(value)
    raise TypeError(f"value {value!r} of type {type(value).__name__} is not JSON")


_STRICT = json.JSONEncoder(
    separators=(",", ":"), check_circular=False, allow_nan=False, default=_default
)


def _finite(value: Any) -> Any:
    """A copy with non-finite floats as None and every value a plain JSON type."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if value is None or type(value) in (str, int, bool):
        return value
    if type(value) is float:
        return value if math.isfinite(value) else None
    return _finite(_default(value))


def _dumps_stdlib(obj: Any) -> str:
    try:
        return _STRICT.encode(obj)
    except ValueError:  # a NaN or infinity somewhere: the rare slow path
        return _STRICT.encode(_finite(obj))


if orjson is not None:
    _OPTIONS = orjson.OPT_SERIALIZE_NUMPY

    def dumps(obj: Any) -> str:
        """Compact JSON text."""
        try:
            return orjson.dumps(obj, default=_default, option=_OPTIONS).decode()
        except orjson.JSONEncodeError:  # e.g. an int beyond 64 bits: let the stdlib try
            return _dumps_stdlib(obj)

    def loads(text: str | bytes) -> Any:
        return orjson.loads(text)

else:  # pragma: no cover - exercised where orjson is absent

    def dumps(obj: Any) -> str:
        """Compact JSON text."""
        return _dumps_stdlib(obj)

    def loads(text: str | bytes) -> Any:
        return json.loads(text)
