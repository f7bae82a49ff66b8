"""Feature JSON: the orjson and stdlib paths agree, NaN becomes a missing value."""

from __future__ import annotations

import json
import math

import pytest
from tact.telemetry import jsoncodec
from tact.telemetry.store import TelemetryStore
from telemetry_helpers import simple_decision

np = pytest.importorskip("numpy")


class Sub(float):
    pass


VALUES = {
    "nan": math.nan,
    "inf": -math.inf,
    "f32": np.float32(0.5),
    "i64": np.int64(3),
    "npbool": np.bool_(True),
    "sub": Sub(1.25),
    "text": 'é→"quoted"',
    "none": None,
    "flag": False,
    "big": 2**70,
    "tiny": 1e-300,
    "list": [1, math.nan],
}
EXPECTED = {
    "nan": None,
    "inf": None,
    "f32": 0.5,
    "i64": 3,
    "npbool": True,
    "sub": 1.25,
    "text": 'é→"quoted"',
    "none": None,
    "flag": False,
    "big": 2**70,
    "tiny": 1e-300,
    "list": [1, None],
}


def test_both_paths_give_the_same_values() -> None:
    fast = jsoncodec.dumps(VALUES)
    slow = jsoncodec._dumps_stdlib(VALUES)
    assert json.loads(fast) == json.loads(slow) == EXPECTED  # strict JSON either way
    assert "NaN" not in fast and "Infinity" not in slow


def test_unknown_types_are_refused() -> None:
    with pytest.raises(TypeError):
        jsoncodec.dumps({"x": object()})
    with pytest.raises(TypeError):
        jsoncodec._dumps_stdlib({"x": object()})


def test_float_values_round_trip_exactly() -> None:
    values = {f"x{i}": v for i, v in enumerate([0.1, 1 / 3, 2.5e-8, 123456.789, -0.0, 21.0])}
    back = jsoncodec.loads(jsoncodec.dumps(values))
    assert back == values and all(type(v) is float for v in back.values())


def test_nan_feature_is_stored_as_missing(store: TelemetryStore) -> None:
    store.record(simple_decision(1, features={"gap": math.nan, "ok": 1.5}))
    assert store.get("x-00001").features == {"gap": None, "ok": 1.5}
