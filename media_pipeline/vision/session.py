"""The one place that creates onnxruntime sessions: CPU provider, explicit thread counts."""

from __future__ import annotations

from pathlib import Path

import onnxruntime as ort

PROVIDERS = ["CPUExecutionProvider"]


def create_session(
    model: Path | bytes, intra_op_threads: int = 2, inter_op_threads: int = 1
) -> ort.InferenceSession:
    """A session over a model file or its bytes.

    Passing the bytes lets the registry load exactly what it hashed, with no window in which
    the file could be swapped between the check and the load. Thread counts are explicit
    because onnxruntime otherwise takes every core, and a worker runs beside ffmpeg.
    """
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(1, int(intra_op_threads))
    opts.inter_op_num_threads = max(1, int(inter_op_threads))
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3  # warnings about unused initialisers are noise in worker logs
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, sess_options=opts, providers=PROVIDERS)
