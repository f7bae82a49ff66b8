"""Settings parsing: defaults, both envelope shapes, lenient on bad values."""

from __future__ import annotations

from tact.server.settings import Settings, camel_key, parse_settings, to_protocol


def test_defaults_match_protocol() -> None:
    s = Settings()
    assert s.enable and s.engine == "embedded"
    assert s.completion.max_lines == 3 and s.completion.reject_timeout_ms == 15000
    assert s.telemetry.store_text is False and s.telemetry.url.startswith("sqlite:///")
    assert s.gate.mode == "utility" and s.gate.cost == 0.2 and s.gate.model_path is None
    assert s.fixes.precision == "standard" and s.fixes.memory_mb == 512
    assert set(to_protocol(s)) == {"enable", "engine", "completion", "telemetry", "gate", "fixes"}
    assert to_protocol(s)["fixes"]["memoryMB"] == 512
    assert camel_key("max_accepted_hidden_percent") == "maxAcceptedHiddenPercent"


def test_wrapped_and_inner_objects_are_both_accepted() -> None:
    inner = {"completion": {"maxLines": 5}, "gate": {"benefit": 2}}
    for raw in (inner, {"tact": inner}):
        s = parse_settings(raw)
        assert s.completion.max_lines == 5 and s.gate.benefit == 2.0


def test_partial_update_keeps_the_rest() -> None:
    base = parse_settings({"enable": False, "gate": {"cost": 0.5}})
    s = parse_settings({"gate": {"benefit": 3}}, base)
    assert s.enable is False and s.gate.cost == 0.5 and s.gate.benefit == 3.0
    assert base.gate.benefit == 1.0  # the base is not modified


def test_bad_values_are_reported_and_ignored() -> None:
    messages: list[str] = []
    raw = {
        "enable": "yes",
        "completion": {"maxLines": 0, "rejectTimeoutMs": "soon"},
        "gate": {"mode": "yolo", "exploration": 2, "modelPath": ""},
        "telemetry": {"url": "not a url"},
        "fixes": 7,
        "colour": "blue",
    }
    s = parse_settings(raw, warn=messages.append)
    assert s == Settings(telemetry=s.telemetry)  # every bad value kept its default
    assert s.telemetry.url == Settings().telemetry.url
    joined = "\n".join(messages)
    for key in (
        "enable",
        "completion.maxLines",
        "completion.rejectTimeoutMs",
        "gate.mode",
        "gate.exploration",
        "telemetry.url",
        "fixes",
        "colour",
    ):
        assert key in joined, key
    assert "modelPath" not in joined  # empty string means "no model path": valid
    assert parse_settings("nonsense", warn=messages.append) == Settings(telemetry=s.telemetry)


def test_numbers_are_coerced() -> None:
    s = parse_settings({"completion": {"maxLines": 4.0}, "gate": {"cost": "0.3"}})
    assert s.completion.max_lines == 4 and isinstance(s.completion.max_lines, int)
    assert s.gate.cost == 0.3
