"""The embedded completion engine, with real tree-sitter and small real-looking corpora."""

from __future__ import annotations

import random
import threading
from pathlib import Path

import pytest
from tact.models import syntax
from tact.models.engine import (
    Candidate,
    CompletionProvider,
    CompletionRequest,
    EmbeddedProvider,
)
from tact.models.engine.documents import flat_with_padding
from tact.models.engine.ngram import NgramCounts

PY_REPO = '''"""User storage."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class UserRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get_user(self, user_id: int) -> User | None:
        log.debug("loading user %s", user_id)
        return self._session.get(User, user_id)

    def delete_user(self, user_id: int) -> None:
        log.debug("deleting user %s", user_id)
        user = self._session.get(User, user_id)
        if user is not None:
            self._session.delete(user)
'''

PY_ORDERS = '''"""Order storage."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class OrderRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get_order(self, order_id: int) -> Order | None:
        log.debug("loading order %s", order_id)
        return self._session.get(Order, order_id)
'''

JS_FILES = {
    "api.js": """import express from "express";

const router = express.Router();

router.get("/users/:id", async (req, res) => {
  const user = await db.users.findById(req.params.id);
  res.json(user);
});

router.get("/orders/:id", async (req, res) => {
  const order = await db.orders.findById(req.params.id);
  res.json(order);
});

export default router;
""",
    "util.js": """export function clamp(value, low, high) {
  return Math.min(Math.max(value, low), high);
}

export function sum(values) {
  return values.reduce((a, b) => a + b, 0);
}
""",
    "color.js": """import { clamp } from "./util";

export function channel(value) {
  return Math.min(Math.max(value, 0), 255);
}

export function hue(value) {
  return Math.min(Math.max(value, 0), 255);
}

export function alpha(value) {
  return Math.min(Math.max(value, 0), 1);
}
""",
}

TS_FILES = {
    "store.ts": """export interface User {
    id: number;
    name: string;
}

export class Store<T extends { id: number }> {
    private items: Map<number, T> = new Map();

    get(id: number): T | undefined {
        return this.items.get(id);
    }

    put(item: T): void {
        this.items.set(item.id, item);
    }
}
""",
    "users.ts": """import { Store, User } from "./store";

const users = new Store<User>();

export function findUser(id: number): User | undefined {
    return users.get(id);
}
""",
}

GO_FILES = {
    "health.go": """package server

import (
\t"fmt"
\t"net/http"
)

func handleHealth(w http.ResponseWriter, r *http.Request) {
\tw.WriteHeader(http.StatusOK)
\tfmt.Fprintf(w, "ok")
}
""",
    "users.go": """package server

import (
\t"encoding/json"
\t"net/http"
)

func handleUsers(w http.ResponseWriter, r *http.Request) {
\tif err := json.NewEncoder(w).Encode(users); err != nil {
\t\thttp.Error(w, err.Error(), http.StatusInternalServerError)
\t\treturn
\t}
}
""",
}

RUST_FILES = {
    "config.rs": """use std::fs;
use std::path::Path;

pub fn load(path: &Path) -> Result<String, std::io::Error> {
    let text = fs::read_to_string(path)?;
    Ok(text)
}

pub fn save(path: &Path, text: &str) -> Result<(), std::io::Error> {
    fs::write(path, text)?;
    Ok(())
}
""",
    "main.rs": """use std::path::Path;

fn main() {
    let path = Path::new("config.toml");
    let text = config::load(path).expect("config");
    println!("{}", text);
}
""",
}


def write(tmp: Path, files: dict[str, str]) -> list[Path]:
    paths = []
    for name, text in files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def ask(
    engine: EmbeddedProvider,
    prefix: str,
    language: str = "python",
    uri: str = "file:///work/new.py",
    suffix: str = "",
    max_lines: int = 1,
) -> str | None:
    found = engine.complete(
        CompletionRequest(uri=uri, language=language, prefix=prefix, suffix=suffix,
                          max_lines=max_lines)
    )
    return found[0].text if found else None


@pytest.fixture
def py_engine(tmp_path: Path) -> EmbeddedProvider:
    engine = EmbeddedProvider()
    paths = write(tmp_path, {"users.py": PY_REPO, "orders.py": PY_ORDERS})
    assert engine.index_paths(paths) == 2
    return engine


def test_is_a_completion_provider() -> None:
    engine = EmbeddedProvider()
    assert isinstance(engine, CompletionProvider)
    assert engine.name == "embedded"


def test_seen_pattern_is_completed_exactly(py_engine: EmbeddedProvider) -> None:
    prefix = "import logging\n\nlog = logging."
    assert ask(py_engine, prefix) == "getLogger(__name__)"
    # a partly typed word is completed, not repeated
    assert ask(py_engine, "import logging\n\nlog = logging.getLo") == "gger(__name__)"
    # after typed spaces the suggestion does not add another one
    assert ask(py_engine, "from __future__ import") == " annotations"
    assert ask(py_engine, "from __future__ import ") == "annotations"


def test_candidate_fields_are_consistent(py_engine: EmbeddedProvider) -> None:
    (cand,) = py_engine.complete(
        CompletionRequest(uri="file:///w/a.py", language="python",
                          prefix="log = logging.", suffix="")
    )
    assert isinstance(cand, Candidate)
    assert cand.provider == "embedded"
    assert cand.num_tokens >= 4
    assert cand.logprob <= 0.0
    assert cand.score == pytest.approx(cand.logprob / cand.num_tokens)


def test_block_suggestion_after_colon(py_engine: EmbeddedProvider) -> None:
    prefix = "class Repo:\n    def __init__(self, session: Session) -> None:"
    text = ask(py_engine, prefix, max_lines=3)
    assert text == "\n        self._session = session"
    # with one line allowed there is nothing to say at the end of the line
    assert ask(py_engine, prefix, max_lines=1) is None


def test_fresh_line_gets_indentation_and_code(py_engine: EmbeddedProvider) -> None:
    prefix = "class Repo:\n    def __init__(self, session: Session) -> None:\n"
    assert ask(py_engine, prefix) == "        self._session = session"


def test_declines_unsupported_language_and_empty_model(py_engine: EmbeddedProvider) -> None:
    assert ask(py_engine, "log = logging.", language="plaintext", uri="file:///w/x.txt") is None
    assert ask(py_engine, "log = logging.", language="cobol", uri="file:///w/x.cob") is None
    assert ask(EmbeddedProvider(), "log = logging.") is None
    # a language with no indexed code yet says nothing either
    assert ask(py_engine, "const x = ", language="javascript", uri="file:///w/a.js") is None


def test_declines_in_comments_strings_and_mid_line(py_engine: EmbeddedProvider) -> None:
    assert ask(py_engine, "# log = logging.") is None
    assert ask(py_engine, 'x = "log = logging.') is None
    # real text after the cursor: inserting in the middle is not this engine's job
    assert ask(py_engine, "log = logging.", suffix="foo(1)\n") is None


def test_stops_before_closing_text_already_in_the_editor(py_engine: EmbeddedProvider) -> None:
    prefix = "log = logging.getLogger("
    assert ask(py_engine, prefix) == "__name__)"
    assert ask(py_engine, prefix, suffix=")\n") == "__name__"


def test_update_document_changes_predictions_and_remove_forgets(tmp_path: Path) -> None:
    engine = EmbeddedProvider()
    write(tmp_path, {"a.py": "value = compute_total(items)\n"})
    engine.index_paths([tmp_path])
    prefix = "result = compute_"
    assert ask(engine, prefix) == "total(items)"
    before = engine._models["python"].as_dict()
    uri = "file:///w/open.py"
    text = "".join(f"r{i} = compute_average(values)\n" for i in range(6))
    engine.update_document(uri, "python", text)
    assert ask(engine, prefix, uri=uri) == "average(values)"
    engine.remove_document(uri)
    assert ask(engine, prefix, uri=uri) == "total(items)"
    assert engine._models["python"].as_dict() == before  # exactly what it was


def test_opened_file_replaces_its_indexed_version(tmp_path: Path) -> None:
    """The editor's text wins over the copy on disk (no double counting, no peeking at
    the disk version's future lines while the file is being written)."""
    engine = EmbeddedProvider()
    (path,) = write(tmp_path, {"m.py": "answer = lookup_table(key)\n"})
    engine.index_paths([path])
    assert ask(engine, "x = lookup_") == "table(key)"
    engine.update_document(path.as_uri(), "python", "answer = 1\n")
    assert ask(engine, "x = lookup_") is None
    assert engine.index_paths([path]) == 0  # open documents are not re-read from disk


def _model_from_scratch(engine: EmbeddedProvider, key: str) -> NgramCounts:
    doc = engine._docs[key]
    model = NgramCounts(engine.local_order)
    model.update(flat_with_padding(doc.segments, doc.order), doc.order - 1, +1)
    return model


def test_incremental_updates_match_a_full_recount() -> None:
    """Typing a file keystroke by keystroke, with edits in the middle, leaves exactly
    the counts of the document's token segments, and the segments still spell it."""
    engine = EmbeddedProvider()
    uri = "file:///w/typed.py"
    target = PY_REPO
    rng = random.Random(5)
    text = ""
    pos = 0
    while pos < len(target):
        pos = min(len(target), pos + rng.randint(1, 12))
        text = target[:pos]
        if rng.random() < 0.1 and pos > 40:
            cut = rng.randrange(0, pos - 5)
            text = text[:cut] + "zz" + text[cut + 3 :]  # an edit far above the cursor
            engine.update_document(uri, "python", text)
            text = target[:pos]
        engine.update_document(uri, "python", text)
    key = "/w/typed.py"
    local = engine._local[key]
    assert local.as_dict() == _model_from_scratch(engine, key).as_dict()
    doc = engine._docs[key]
    assert doc.text == target
    tokens = [t for seg in doc.segments for t in seg]
    assert syntax.detokenize(tokens) == target
    assert len(doc.segments) == target.count("\n") + 1


@pytest.mark.parametrize(
    ("language", "files", "prefix", "expected", "uri"),
    [
        ("javascript", JS_FILES,
         'router.get("/items/:id", async (req, res) => {\n  const item = await db.items.findById(',
         "req.params.id);", "file:///w/items.js"),
        ("javascript", JS_FILES, "export function level(value) {\n  return Math.",
         "min(Math.max(value, 0), 255);", "file:///w/m.js"),
        ("typescript", TS_FILES, "export class Cache<T> {\n    get(id: number): T ",
         "| undefined {", "file:///w/cache.ts"),
        ("typescript", TS_FILES, "import { Store, User } from",
         ' "./store";', "file:///w/other.ts"),
        ("go", GO_FILES, "func handleOrders(w http.ResponseWriter, r ",
         "*http.Request) {", "file:///w/orders.go"),
        ("go", GO_FILES, "func f(w http.ResponseWriter) {\n\tw.WriteHeader(",
         "http.StatusOK)", "file:///w/f.go"),
        ("rust", RUST_FILES, "pub fn read(path: &Path) -> Result<String, ",
         "std::io::Error> {", "file:///w/read.rs"),
        ("rust", RUST_FILES, "fn f(path: &Path) {\n    let text = fs::",
         "read_to_string(path)?;", "file:///w/f.rs"),
    ],
)
def test_languages_complete_sensibly(
    tmp_path: Path, language: str, files: dict[str, str], prefix: str, expected: str, uri: str
) -> None:
    engine = EmbeddedProvider()
    assert engine.index_paths(write(tmp_path, files)) == len(files)
    got = ask(engine, prefix, language=language, uri=uri)
    assert got == expected
    assert syntax.parses_in_place(prefix, got, "", language) or language == "typescript"


def test_index_paths_walks_folders_and_filters(tmp_path: Path) -> None:
    write(tmp_path, {"src/a.py": PY_REPO, "web/b.js": JS_FILES["util.js"],
                     "node_modules/dep/c.js": "x()\n", ".venv/d.py": "y()\n",
                     "notes.txt": "hello\n"})
    engine = EmbeddedProvider()
    assert engine.index_paths([tmp_path], languages=["python"]) == 1
    assert engine.index_paths([tmp_path]) == 2  # a.py again (re-read) and b.js
    assert set(engine._models) == {"python", "javascript"}
    # a.py was replaced, not counted twice
    only = EmbeddedProvider()
    only.index_paths([tmp_path / "src"])
    assert engine._models["python"].as_dict() == only._models["python"].as_dict()


def test_score_text_prefers_code_like_the_workspace(py_engine: EmbeddedProvider) -> None:
    good = py_engine.score_text("return self._session.get(User, user_id)\n", "python")
    bad = py_engine.score_text("user_id, get.self return _session )User(\n", "python")
    assert good > bad
    assert good <= 0.0
    assert py_engine.score_text("x = 1", "cobol") == float("-inf")
    assert py_engine.score_text("", "python") == 0.0


def test_complete_and_update_from_two_threads(py_engine: EmbeddedProvider) -> None:
    errors: list[BaseException] = []
    uri = "file:///w/live.py"
    stop = threading.Event()

    def typist() -> None:
        try:
            for i in range(1, len(PY_ORDERS), 7):
                py_engine.update_document(uri, "python", PY_ORDERS[:i])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            stop.set()

    def asker() -> None:
        try:
            while not stop.is_set():
                ask(py_engine, "log = logging.", uri=uri)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=typist), threading.Thread(target=asker)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    key = "/w/live.py"
    assert py_engine._local[key].as_dict() == _model_from_scratch(py_engine, key).as_dict()


def test_big_document_request_uses_a_window(py_engine: EmbeddedProvider) -> None:
    body = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(2000))
    uri = "file:///w/big.py"
    py_engine.update_document(uri, "python", body)
    got = ask(py_engine, body + "log = logging.", uri=uri)
    assert got == "getLogger(__name__)"


def test_only_recent_documents_keep_a_cache_model() -> None:
    """Old open documents lose their cache model but stay in the language model; editing
    one again recounts it from scratch, leaving the same counts as a fresh engine."""
    texts = {f"file:///w/m{i}.py": f"def f{i}(x):\n    return x * {i}\n" for i in range(3)}
    engine = EmbeddedProvider(max_local_models=2)
    for uri, text in texts.items():
        engine.update_document(uri, "python", text)
    assert list(engine._local) == ["/w/m1.py", "/w/m2.py"]
    texts["file:///w/m0.py"] = "def g(y):\n    return y + 1\n"
    engine.update_document("file:///w/m0.py", "python", texts["file:///w/m0.py"])
    assert list(engine._local) == ["/w/m2.py", "/w/m0.py"]
    fresh = EmbeddedProvider()
    for uri, text in texts.items():
        fresh.update_document(uri, "python", text)
    assert engine._models["python"].as_dict() == fresh._models["python"].as_dict()


@pytest.mark.parametrize("max_lines", [1, 2, 3])
def test_block_suggestions_respect_max_lines_and_parse(tmp_path: Path, max_lines: int) -> None:
    body = "".join(
        f"def handler_{i}(request):\n    data = request.json()\n    validate(data)\n"
        f"    return respond(data)\n\n\n"
        for i in range(5)
    )
    engine = EmbeddedProvider()
    engine.index_paths(write(tmp_path, {"handlers.py": body}))
    prefix = "def handler_new(request):"
    found = engine.complete(
        CompletionRequest(uri="file:///w/h.py", language="python", prefix=prefix, suffix="",
                          max_lines=max_lines)
    )
    if max_lines == 1:
        assert found == []  # the line is complete; the block needs more lines
        return
    (cand,) = found
    assert cand.text.startswith("\n    data = request.json()")
    assert cand.text.count("\n") <= max_lines - 1
    assert syntax.parses_in_place(prefix, cand.text, "", "python")


def test_editing_inside_a_docstring_keeps_segments_exact() -> None:
    """A line inside a multi-line string belongs to the string token that starts on an
    earlier line: an edit there re-tokenises from the string's first line, and text
    typed after it (a new docstring) is re-tokenised together with the lines it spans."""
    middle = (
        '    def count(self) -> int:\n        """How many\n        users.\n        """\n'
        "        return self._session.count(User)\n\n"
    )
    tail = "    def close(self) -> None:\n        self._session.close()\n"
    engine = EmbeddedProvider()
    uri = "file:///w/mid.py"
    text = PY_REPO + middle + tail
    engine.update_document(uri, "python", text)
    doc = engine._docs["/w/mid.py"]
    for old, new in [("users.", "all the users."), ("How many", "How many of"), ("all", "al")]:
        text = text.replace(old, new, 1)  # each edit is on a line inside the docstring
        engine.update_document(uri, "python", text)
        assert syntax.detokenize([t for seg in doc.segments for t in seg]) == text
    expected = _model_from_scratch(engine, "/w/mid.py").as_dict()
    assert engine._local["/w/mid.py"].as_dict() == expected
