"""Benchmark of the embedded completion engine, in-process (no LSP).

Prints three things:
1. quality: a replay-like simulation on real library code nobody here wrote. For each
   package, a few files are held out; every other file of the package is indexed; the
   held-out files are then "typed" from top to bottom, the engine seeing the file only up
   to the cursor (``update_document`` with the typed prefix), with requests at a seeded
   share of the replay's natural pause points, judged by the replay's acceptance rule
   (``tact.server.replay.acceptance.judge``: full = the suggestion is exactly the
   upcoming text up to a line end; partial = a common prefix of >= 4 characters cut to
   a word boundary). Accepted text is skipped, as a programmer who takes it would.
2. latency of ``complete()`` on a >= 5,000-line real Python file (p50/p95/p99), plus the
   cost of a per-keystroke ``update_document`` on it and of opening it.
3. index time (files, tokens, seconds).

Run: .venv/bin/python benchmarks/bench_engine.py [--quick]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tact.models import syntax
from tact.models.engine import CompletionRequest, EmbeddedProvider
from tact.server.replay.acceptance import judge  # the replay's own acceptance rule
from tact.server.replay.segment import natural_points  # ... and its pause points

SITE = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
SITE = SITE / "site-packages"
ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "vscode-client" / "node_modules"
# (label, source folder, language, file suffix): real code nobody here wrote. The
# JavaScript/TypeScript ones exist once the VS Code client's dependencies are installed.
PACKAGES: tuple[tuple[str, Path, str, str], ...] = (
    ("rich", SITE / "rich", "python", ".py"),
    ("httpx", SITE / "httpx", "python", ".py"),
    ("pygls", SITE / "pygls", "python", ".py"),
    ("cattrs", SITE / "cattrs", "python", ".py"),
    ("attr", SITE / "attr", "python", ".py"),
    ("ajv (ts)", NODE / "ajv" / "lib", "typescript", ".ts"),
    ("eslint (js)", NODE / "eslint" / "lib", "javascript", ".js"),
)
_FUNCTION_WORDS = {"python": ("def ",), "typescript": ("function", "=>", "): "),
                   "javascript": ("function", "=>")}


@dataclass
class Tally:
    requests: int = 0
    offered: int = 0
    accepted: int = 0
    partial: int = 0
    chars_saved: int = 0
    chars_total: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.requests += other.requests
        self.offered += other.offered
        self.accepted += other.accepted
        self.partial += other.partial
        self.chars_saved += other.chars_saved
        self.chars_total += other.chars_total
        self.latencies_ms += other.latencies_ms


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q / 100 * len(values)))]


def pause_points(text: str) -> list[int]:
    """Character offsets at the end of each token (after auto-indent for newlines)."""
    points = []
    pos = 0
    current: str | None = None
    for tok in syntax.tokenize(text, "python"):
        if tok.startswith("\n"):
            piece, current = syntax.apply_newline(tok, current or "")
        else:
            if current is None:
                current = tok[: len(tok) - len(tok.lstrip(" \t"))]
            piece = tok
        pos += len(piece)
        points.append(pos)
    return points


def type_file(
    engine: EmbeddedProvider, path: Path, rng: random.Random, share: float,
    language: str = "python",
) -> Tally:
    text = path.read_text(encoding="utf-8")
    uri = path.resolve().as_uri()
    tally = Tally(chars_total=len(text))
    skip_to = 0
    for pos, _kind in natural_points(text):
        if pos < skip_to or rng.random() > share:
            continue
        prefix = text[:pos]
        engine.update_document(uri, language, prefix)
        request = CompletionRequest(uri=uri, language=language, prefix=prefix, suffix="")
        t0 = time.perf_counter()
        cands = engine.complete(request)
        tally.latencies_ms.append((time.perf_counter() - t0) * 1000)
        tally.requests += 1
        if not cands:
            continue
        tally.offered += 1
        verdict = judge(cands[0].text, text[pos:])
        if verdict.kind == "full":
            tally.accepted += 1
        elif verdict.kind == "partial":
            tally.partial += 1
        tally.chars_saved += verdict.chars
        skip_to = pos + verdict.chars
    engine.remove_document(uri)
    return tally


def _is_code(text: str, language: str = "python") -> bool:
    """Held-out files must be code, not generated data tables (e.g. rich's unicode
    width tables, which are trivially predictable): >= 80 lines, >= 1 function per 100."""
    lines = text.count("\n")
    functions = sum(text.count(w) for w in _FUNCTION_WORDS.get(language, ("def ",)))
    return lines >= 80 and functions * 100 >= lines and not text.startswith("// Generated")


def quality(
    packages: tuple[tuple[str, Path, str, str], ...], held_out: int, share: float, seed: int
) -> None:
    total = Tally()
    print(f"quality: held-out files typed, requests at {share:.0%} of pause points, seed {seed}")
    for name, root, language, suffix in packages:
        if not root.is_dir():
            print(f"  {name}: not installed, skipped")
            continue
        sources = sorted(p for p in root.rglob("*" + suffix) if not p.name.endswith(".d.ts"))
        files = [p for p in sources if _is_code(p.read_text("utf-8"), language)]
        rng = random.Random(seed)
        rng.shuffle(files)
        test = files[:held_out]
        train = [p for p in sources if p not in test]
        engine = EmbeddedProvider()
        t0 = time.perf_counter()
        n = engine.index_paths(train)
        t_index = time.perf_counter() - t0
        tally = Tally()
        for path in test:
            tally.add(type_file(engine, path, rng, share, language))
        if language == "python":
            total.add(tally)
        print(
            f"  {name:11s} indexed {n:3d} files in {t_index:5.2f}s; typed {len(test)} files: "
            f"{tally.requests:5d} requests, offered {tally.offered / max(tally.requests, 1):5.1%}"
            f", of offered: full {tally.accepted / max(tally.offered, 1):5.1%} partial "
            f"{tally.partial / max(tally.offered, 1):5.1%}"
        )
    offered = max(total.offered, 1)
    print(
        f"  ALL Python: requests {total.requests}, offered {total.offered} "
        f"({total.offered / max(total.requests, 1):.1%}); of offered: full accept "
        f"{total.accepted / offered:.1%}, partial {total.partial / offered:.1%}, any "
        f"{(total.accepted + total.partial) / offered:.1%}; full accepts per request "
        f"{total.accepted / max(total.requests, 1):.1%}; chars saved "
        f"{total.chars_saved / max(total.chars_total, 1):.1%}; complete() p50 "
        f"{pct(total.latencies_ms, 50):.2f} ms, p99 {pct(total.latencies_ms, 99):.2f} ms"
    )


def big_file(min_lines: int = 5000) -> str:
    """Concatenate real rich sources until the text is long enough."""
    parts: list[str] = []
    lines = 0
    for path in sorted((SITE / "rich").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        parts.append(text)
        lines += text.count("\n")
        if lines >= min_lines:
            break
    return "".join(parts)


def latency(n_requests: int, seed: int) -> None:
    engine = EmbeddedProvider()
    t0 = time.perf_counter()
    n = engine.index_paths([SITE / "rich"])
    t_index = time.perf_counter() - t0
    tokens = len(engine._models["python"])
    print(
        f"index: {n} rich files, {tokens} tokens in {t_index:.2f}s "
        f"({tokens / t_index:,.0f} tok/s)"
    )
    text = big_file()
    uri = "file:///bench/big.py"
    t0 = time.perf_counter()
    engine.update_document(uri, "python", text)
    t_open = time.perf_counter() - t0
    print(f"open: {text.count(chr(10))}-line document counted in {t_open * 1000:.0f} ms")
    rng = random.Random(seed)
    points = pause_points(text)
    lat: list[float] = []
    upd: list[float] = []
    offered = 0
    for _ in range(n_requests):
        pos = rng.choice(points)
        # A keystroke: the document gains one character at the cursor, then a request.
        edited = text[:pos] + "x" + text[pos:]
        t0 = time.perf_counter()
        engine.update_document(uri, "python", edited)
        engine.update_document(uri, "python", text)
        upd.append((time.perf_counter() - t0) * 1000 / 2)
        # As while typing a new line: the rest of this line does not exist yet.
        eol = text.find("\n", pos)
        suffix = text[eol:] if eol >= 0 else ""
        request = CompletionRequest(uri=uri, language="python", prefix=text[:pos], suffix=suffix)
        t0 = time.perf_counter()
        if engine.complete(request):
            offered += 1
        lat.append((time.perf_counter() - t0) * 1000)
    print(
        f"complete() on the {text.count(chr(10))}-line file, {n_requests} requests "
        f"({offered / n_requests:.0%} offered): p50 {pct(lat, 50):.2f} ms, "
        f"p95 {pct(lat, 95):.2f} ms, p99 {pct(lat, 99):.2f} ms, max {max(lat):.2f} ms, "
        f"mean {statistics.fmean(lat):.2f} ms"
    )
    print(
        f"update_document() per keystroke: p50 {pct(upd, 50):.2f} ms, p95 {pct(upd, 95):.2f} ms,"
        f" p99 {pct(upd, 99):.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer packages and requests")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    if not args.skip_latency:
        latency(300 if args.quick else 1000, args.seed)
    if not args.skip_quality:
        packages = PACKAGES[:2] if args.quick else PACKAGES
        quality(packages, held_out=3 if args.quick else 4, share=0.35, seed=args.seed)


if __name__ == "__main__":
    main()
