"""Evaluation of the acceptance gate: metrics (AUC, hiding curve, operating points,
calibration), session-fold cross-validation with permutation importance and ablation,
the Markdown/PNG report of ``tact model eval``, and ``tact model score``."""
