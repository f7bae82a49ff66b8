"""tact.models: what learns.

The completion engine (``engine``), tree-sitter syntax helpers (``syntax``), the
features shared by training and serving (``features``), the acceptance model
(``gate``: training, ONNX export, runtime) and its evaluation (``evaluation``).
Imports only from ``tact.telemetry`` below it; knows nothing of LSP.
"""
