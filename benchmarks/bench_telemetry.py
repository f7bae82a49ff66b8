"""Telemetry write throughput: decisions/s into a SQLite file, batch and async.

Each decision carries 40 features shaped like the gate's (issue 3): context,
suggestion and programmer-state features, about a quarter of them full-precision
floats, the rest ints, booleans and short strings. A second run uses 40 random floats
(the worst case for JSON encoding, where float formatting dominates).

    .venv/bin/python benchmarks/bench_telemetry.py [--n 100000]

Target (issue 2): >= 50,000 decisions/s in batch.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from pathlib import Path

from tact.telemetry.recorder import AsyncRecorder
from tact.telemetry.records import Decision, Outcome
from tact.telemetry.store import open_store
from tact.telemetry.url import sqlite_url

_NODE_TYPES = ("call", "argument_list", "identifier", "block", "string", "comment")
_LAST_CHARS = ("(", ".", " ", "=", ":", ",", "a")


def realistic_features(rng: random.Random) -> dict[str, float | int | str | bool]:
    """40 features: 10 floats, 15 ints, 11 booleans, 4 strings."""
    return {
        # context
        "ctx_language": "python",
        "ctx_col": rng.randint(0, 80),
        "ctx_line_no": rng.randint(0, 5000),
        "ctx_doc_frac": rng.random(),
        "ctx_last_char": rng.choice(_LAST_CHARS),
        "ctx_ws_after": rng.random() < 0.8,
        "ctx_node_type": rng.choice(_NODE_TYPES),
        "ctx_in_string": rng.random() < 0.1,
        "ctx_in_comment": rng.random() < 0.05,
        "ctx_in_call_args": rng.random() < 0.3,
        "ctx_indent": rng.choice((0, 4, 8, 12)),
        "ctx_line_len": rng.randint(0, 100),
        "ctx_prev_line_len": rng.randint(0, 100),
        "ctx_next_line_len": rng.randint(0, 100),
        "ctx_bracket_depth": rng.randint(0, 3),
        # suggestion
        "sug_chars": rng.randint(1, 200),
        "sug_tokens": rng.randint(1, 50),
        "sug_lines": rng.randint(1, 3),
        "sug_score": -rng.random() * 20,
        "sug_mean_logprob": -rng.random() * 3,
        "sug_node_type": rng.choice(_NODE_TYPES),
        "sug_parses": rng.random() < 0.7,
        "sug_repeats_above": rng.random() < 0.2,
        "sug_repeats_below": rng.random() < 0.1,
        "sug_kw_return": rng.random() < 0.1,
        "sug_kw_def": rng.random() < 0.05,
        "sug_kw_import": rng.random() < 0.05,
        "sug_ends_colon": rng.random() < 0.2,
        # programmer state
        "st_since_keystroke_s": rng.expovariate(2.0),
        "st_typing_cps": rng.uniform(1, 12),
        "st_deletions": rng.randint(0, 10),
        "st_since_suggestion_s": rng.expovariate(0.2),
        "st_last_outcome": rng.randint(-1, 1),
        "st_accept_rate_k": round(rng.random(), 2),
        "st_decisions_in_session": rng.randint(0, 2000),
        "st_session_minutes": rng.uniform(0, 120),
        "st_burst_len": rng.randint(0, 60),
        "st_pause_before_s": rng.expovariate(1.0),
        "st_accepts_in_row": rng.randint(0, 5),
        "st_rejects_in_row": rng.randint(0, 10),
    }


def float_features(rng: random.Random) -> dict[str, float]:
    return {f"x{i:02d}": rng.random() for i in range(40)}


def make_decisions(n: int, features, seed: int = 0) -> list[Decision]:
    rng = random.Random(seed)
    t0 = 1.7e9
    return [
        Decision(
            id=f"{seed:x}-{rng.getrandbits(64):016x}",
            session=f"s{i // 400}",
            time=t0 + i * 0.75,
            language="python",
            p_accept_before=rng.random(),
            p_accept=rng.random(),
            propensity=1.0,
            model_version="bench",
            engine="embedded",
            document_hash=f"{rng.getrandbits(64):016x}",
            suggestion_hash=f"{rng.getrandbits(64):016x}",
            suggestion_chars=rng.randint(1, 200),
            features=features(rng),
            outcome=rng.choice((Outcome.UNKNOWN, Outcome.ACCEPTED, Outcome.REJECTED)),
            latency_ms=rng.uniform(1, 20),
            generation_ms=rng.uniform(1, 10),
            gate_ms=rng.uniform(0.01, 0.2),
        )
        for i in range(n)
    ]


def bench_batch(
    decisions: list[Decision], folder: Path, batch: int, tag: str, url: str | None = None
) -> tuple[float, float]:
    """(decisions per wall second, decisions per CPU second of this process)."""
    with open_store(url or sqlite_url(folder / f"batch-{tag}-{batch}.db")) as store:
        if url is not None:  # a shared server database: start from an empty table
            with store.transaction():
                store._exec("DELETE FROM decisions")
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(decisions), batch):
            store.record_many(decisions[i : i + batch])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert store.count() == len(decisions)
    return len(decisions) / wall, len(decisions) / cpu


def bench_async(decisions: list[Decision], folder: Path, tag: str) -> dict[str, float]:
    """End-to-end rate (enqueue everything, then flush) and per-call enqueue latency."""
    url = sqlite_url(folder / f"async-{tag}.db")
    recorder = AsyncRecorder(url)
    calls: list[float] = []
    wall, cpu = time.perf_counter(), time.process_time()
    for d in decisions:
        t = time.perf_counter()
        recorder.record(d)
        calls.append(time.perf_counter() - t)
    assert recorder.flush(timeout=600)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    recorder.close()
    with open_store(url) as store:
        assert store.count() == len(decisions), (store.count(), recorder.errors)
    calls.sort()
    return {
        "rate": len(decisions) / wall,
        "cpu_rate": len(decisions) / cpu,
        "p50_us": calls[len(calls) // 2] * 1e6,
        "p99_us": calls[int(len(calls) * 0.99)] * 1e6,
        "max_us": calls[-1] * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="decisions per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per setting (best kept)")
    parser.add_argument(
        "--postgres", metavar="URL", help="also measure a PostgreSQL store (its table is emptied)"
    )
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print("rates are the best of", args.repeat, "runs; 'cpu' = decisions per CPU-second")
    with tempfile.TemporaryDirectory(prefix="tact-bench-") as tmp:
        folder = Path(tmp)
        for label, features in (
            ("realistic 40 features", realistic_features),
            ("40 random floats (worst case)", float_features),
        ):
            decisions = make_decisions(args.n, features)
            print(f"{label}, {args.n} decisions, file DB (WAL, synchronous=NORMAL):")
            for batch in (1000, 10_000):
                runs = [
                    bench_batch(decisions, folder, batch, f"{label[:4]}{r}")
                    for r in range(args.repeat)
                ]
                rate, cpu_rate = max(r[0] for r in runs), max(r[1] for r in runs)
                print(
                    f"  record_many, batches of {batch:>6}: {rate:>9,.0f} decisions/s"
                    f"  (cpu {cpu_rate:,.0f}/s)"
                )
            results = [
                bench_async(decisions, folder, f"{label[:4]}{r}") for r in range(args.repeat)
            ]
            best = max(results, key=lambda r: r["rate"])
            print(
                f"  AsyncRecorder (enqueue + flush):   {best['rate']:>9,.0f} decisions/s"
                f"  (cpu {best['cpu_rate']:,.0f}/s); record() p50 {best['p50_us']:.1f} us,"
                f" p99 {best['p99_us']:.1f} us, max {best['max_us'] / 1000:.1f} ms"
            )
        if args.postgres:
            decisions = make_decisions(args.n, realistic_features)
            print(f"realistic 40 features, {args.n} decisions, PostgreSQL:")
            for batch in (1000, 10_000):
                runs = [
                    bench_batch(decisions, folder, batch, "pg", args.postgres)
                    for _ in range(args.repeat)
                ]
                rate, cpu_rate = max(r[0] for r in runs), max(r[1] for r in runs)
                print(
                    f"  record_many, batches of {batch:>6}: {rate:>9,.0f} decisions/s"
                    f"  (cpu {cpu_rate:,.0f}/s)"
                )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
