"""What a replay reports: counts, acceptance, characters saved, latency."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(slots=True)
class Summary:
    files: int = 0
    requests: int = 0  # inline completion requests sent
    decisions: int = 0  # telemetry decisions the server made (shown + hidden + skipped)
    shown: int = 0
    hidden: int = 0
    skipped: int = 0
    accepted_full: int = 0
    accepted_partial: int = 0
    chars_typed: int = 0  # characters the programmer typed by hand
    chars_saved: int = 0  # characters inserted by accepting suggestions
    simulated_seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    wall_seconds: float = 0.0
    unchecked_requests: int = 0  # requests since the server's decision count was read

    @property
    def accepted(self) -> int:
        return self.accepted_full + self.accepted_partial

    @property
    def acceptance_rate(self) -> float:
        return self.accepted / self.shown if self.shown else 0.0

    def deterministic(self) -> dict[str, Any]:
        """Everything a seed fixes (no latencies or wall time)."""
        data = asdict(self)
        for key in ("latencies_ms", "wall_seconds", "unchecked_requests"):
            data.pop(key)
        return data

    def to_dict(self) -> dict[str, Any]:
        data = self.deterministic()
        data.update(
            accepted=self.accepted,
            acceptance_rate=self.acceptance_rate,
            latency_p50_ms=percentile(self.latencies_ms, 50),
            latency_p95_ms=percentile(self.latencies_ms, 95),
            wall_seconds=self.wall_seconds,
        )
        return data

    def render(self, console: Console) -> None:
        table = Table(title="tact replay", show_header=False, title_justify="left")
        table.add_column("what", style="bold")
        table.add_column("value", justify="right")

        def pct(part: float, whole: float) -> str:
            return f"{100.0 * part / whole:.1f}%" if whole else "-"

        def ms(value: float | None) -> str:
            return "-" if value is None else f"{value:.1f} ms"

        table.add_row("files", str(self.files))
        table.add_row("requests", str(self.requests))
        table.add_row("decisions", str(self.decisions))
        table.add_row("  shown", str(self.shown))
        table.add_row("  hidden by the gate", str(self.hidden))
        table.add_row("  skipped (stage 1)", str(self.skipped))
        table.add_row(
            "accepted",
            f"{self.accepted} ({self.accepted_full} full, {self.accepted_partial} partial)",
        )
        table.add_row("acceptance rate", pct(self.accepted, self.shown))
        total = self.chars_typed + self.chars_saved
        table.add_row(
            "characters saved",
            f"{self.chars_saved:,} of {total:,} ({pct(self.chars_saved, total)})",
        )
        table.add_row(
            "latency p50 / p95",
            f"{ms(percentile(self.latencies_ms, 50))} / {ms(percentile(self.latencies_ms, 95))}",
        )
        table.add_row("simulated time", f"{self.simulated_seconds / 60:.1f} min")
        table.add_row("wall time", f"{self.wall_seconds:.1f} s")
        console.print(table)
