"""Suggestion features: what the proposed text is, and how it fits where it would go.

Stage 2 of the gate uses these together with the context and programmer state.
Works on the bounded window only (see :mod:`.window`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from tact.models.features import window as win
from tact.models.features.repetition import engine_detail_features, suggestion_repetition
from tact.models.features.text import bracket_balance, char_class, identifiers, line_kind

# Placeholder-ish text that programmers rarely want inserted as is.
_FILLER = ("TODO", "FIXME", "pass", "...", "NotImplemented", "XXX")


def suggestion_features(
    prefix: str,
    suffix: str,
    language: str,
    text: str,
    score: float | None,
    num_tokens: int | None,
    engine: str = "tact",
    details: Mapping[str, float] | None = None,
) -> dict[str, float | str]:
    """Features of suggestion ``text`` proposed at the cursor between prefix and suffix.

    ``score`` is the engine's mean per-token log-probability (None when unknown) and
    ``num_tokens`` its length in the engine's tokens (None: estimated from the text).
    ``engine`` names whose scores these are: scores of different engines live on
    different scales ("tact": tact's own engine, what the server records; "copilot":
    imported CUPS telemetry), so a model trained on both can tell them apart.
    ``details`` are the engine's own confidence signals (``Candidate.details``; None
    when unknown).
    """
    cw, base = win.analyze(prefix, suffix, language)
    before, after = cw.before, cw.after

    lines = text.split("\n")
    nonempty = [ln.strip() for ln in lines if ln.strip()]
    first = nonempty[0] if nonempty else ""
    stripped = text.strip()
    idents = identifiers(text)
    known_words = set(identifiers(before[-1000:]))
    known_words.update(identifiers(after[:300]))
    known = sum(1 for w in idents if w in known_words)

    # Does it repeat text that is already there (a common failure: echoing lines)?
    before_lines = {ln.strip() for ln in before[-1200:].split("\n") if len(ln.strip()) > 3}
    after_lines = {ln.strip() for ln in after.split("\n") if len(ln.strip()) > 3}
    long_lines = [ln for ln in nonempty if len(ln) > 3]
    dup_above = sum(1 for ln in long_lines if ln in before_lines)
    dup_below = sum(1 for ln in long_lines if ln in after_lines)

    net, _ = bracket_balance(text)
    line_before = before[before.rfind("\n") + 1 :]
    eol = after.find("\n")
    rest_of_line = (after if eol < 0 else after[:eol]).strip()

    node = "unknown"
    parses = -1.0
    error_delta = 0.0
    if cw.in_string:
        node = "string"
    elif stripped and base is not None:
        with_text = win.parse_with_insertion(language, cw, base, text)
        if with_text is not None:
            had = base.tree.root_node.has_error
            has = with_text.tree.root_node.has_error
            parses = float(not has)
            error_delta = float(has) - float(had)
            moved = win.dedent_insertion(text, cw.dedent)
            lead = len(moved) - len(moved.lstrip())
            start = with_text.cursor + len(moved[:lead].encode("utf-8", "surrogatepass"))
            n = with_text.tree.root_node.descendant_for_byte_range(start, start + 1)
            node = win.category_at(n) if n is not None else "unknown"

    if num_tokens is None or num_tokens <= 0:
        num_tokens = max(1, len(idents) + sum(1 for ch in text if not ch.isalnum()
                                               and not ch.isspace() and ch != "_"))
    has_score = score is not None and math.isfinite(score)
    out: dict[str, float | str] = {
        "sug_engine": engine,
        "sug_chars": float(len(text)),
        "sug_chars_stripped": float(len(stripped)),
        "sug_lines": float(len(lines)),
        "sug_nonempty_lines": float(len(nonempty)),
        "sug_tokens": float(num_tokens),
        "sug_score": float(score) if has_score else 0.0,
        "sug_has_score": float(has_score),
        "sug_logprob": float(score) * num_tokens if has_score else 0.0,
        "sug_first_line_chars": float(len(lines[0])),
        "sug_max_line_chars": float(max((len(ln) for ln in lines), default=0)),
        "sug_first_char": char_class(text[:1]),
        "sug_last_char": char_class(stripped[-1:]),
        "sug_starts_newline": float(text.startswith("\n")),
        "sug_kind": line_kind(first) if first else "empty",
        "sug_joined_kind": line_kind(line_before + lines[0]),
        "sug_node": node,
        "sug_parses": parses,
        "sug_error_delta": error_delta,
        "sug_identifiers": float(len(idents)),
        "sug_known_ident_frac": known / len(idents) if idents else 1.0,
        "sug_unknown_idents": float(len(idents) - known),
        "sug_repeats_above": float(dup_above > 0),
        "sug_repeats_below": float(dup_below > 0),
        "sug_dup_line_frac": (dup_above + dup_below) / len(long_lines) if long_lines else 0.0,
        "sug_bracket_balance": float(max(min(net, 5), -5)),
        "sug_has_comment": float("#" in text or "//" in text),
        "sug_has_string": float('"' in text or "'" in text),
        "sug_filler": float(any(f in text for f in _FILLER)),
        "sug_ends_line": float(not rest_of_line and "\n" not in text.rstrip("\n")),
        "sug_only_ws": float(not stripped),
    }
    out.update(suggestion_repetition(prefix, text))
    out.update(engine_detail_features(details))
    return out
