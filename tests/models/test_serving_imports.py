"""Serving the gates needs onnxruntime, not the training libraries: scikit-learn takes
about a second to import, paid by the server's first request and by every `tact fix`."""

from __future__ import annotations

import subprocess
import sys

SERVE = """
import sys
from tact.models.gate import GatePolicy, LearnedGate, default_model_dir
from tact.models.gate.fix_runtime import FixModel
import tact.server.fixes.gating
LearnedGate.load(default_model_dir(), GatePolicy())
FixModel.load(default_model_dir())
print(sorted(m for m in ("sklearn", "skl2onnx", "scipy") if m in sys.modules))
"""


def test_loading_both_gate_models_imports_no_training_library() -> None:
    out = subprocess.run([sys.executable, "-c", SERVE], capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
