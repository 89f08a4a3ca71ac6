#!/usr/bin/env python3
"""Looks into an int8 real-model folder that Int8RealModelsTest left (cli/target/int8/<model>/: float32.tflite,
int8.tflite, input.npy, manifest.json) in current LiteRT. The diagnoses in docs/QUANTIZATION.md come from here.

  per-image DIR [--quant FILE] [--output NAME] [--no-xnnpack]
      per image: cosine of the (dequantized) int8 output with float32, float32 max |y|, whether it counts as empty
      (max below two quantization steps, as the tests' rule), share of values above 0.5 and IoU at 0.5 (masks), and
      the outputs of both files where a classifier's top-1 differs; then mean / min. --quant runs another int8 file
      (e.g. a CLI conversion with other calibration options) on the same inputs.
  per-layer DIR --image N [--quant FILE]
      every int8 activation of the int8 file, dequantized, against the float32 tensor of the same name (float values
      clipped to what the int8 tensor can hold, so layers narrowed for the activation after them compare fairly).
  delegate-diff DIR --image N
      the int8 file with every int8 activation made a subgraph output, run with and without the XNNPACK delegate:
      per op, how many quantization steps the two runs differ by (where more than 1).
  concat-ranges DIR MODEL.onnx
      onnxruntime over all images: for each Concat of 4-D tensors, each input's largest and median per-channel max |x|.

Python is an oracle here, never part of the product. Run with conformance/.venv/bin/python (conformance/run.sh makes it).
"""
import argparse
import json
import os
import sys

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType


def load(d):
    with open(os.path.join(d, "manifest.json"), encoding="utf-8") as f:
        return json.load(f), np.load(os.path.join(d, "input.npy"))


def interp(path=None, content=None, xnnpack=True, keep=False):
    kw = {} if xnnpack else {"experimental_op_resolver_type": OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES}
    it = Interpreter(model_path=path, model_content=content, experimental_preserve_all_tensors=keep, **kw)
    it.allocate_tensors()
    return it


def run(it, x):
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return {o["name"]: it.get_tensor(o["index"]).astype(np.float64) for o in it.get_output_details()}


def cosine(a, b):
    a, b = a.ravel(), b.ravel()
    na, nb = float(a @ a), float(b @ b)
    if na == 0 and nb == 0:
        return 1.0
    return float(a @ b / np.sqrt(na * nb)) if na > 0 and nb > 0 else 0.0


def per_image(a):
    man, xs = load(a.dir)
    fi = interp(os.path.join(a.dir, "float32.tflite"))
    qi = interp(a.quant or os.path.join(a.dir, "int8.tflite"), xnnpack=not a.no_xnnpack)
    name = a.output or fi.get_output_details()[0]["name"]
    step = man["steps"].get(name)
    co = man.get("classifier_output")
    kept, agree = [], 0
    print(f"output {name} (step {step}), {len(xs)} images, int8 file {a.quant or 'int8.tflite'}, XNNPACK {'off' if a.no_xnnpack else 'on'}")
    for i, x in enumerate(xs):
        f, q = run(fi, x), run(qi, x)
        y, z = f[name], q[name]
        c = cosine(y, z)
        empty = step is not None and float(np.abs(y).max()) < 2 * step
        fm, qm = y > 0.5, z > 0.5
        iou = float((fm & qm).sum() / max(1, (fm | qm).sum()))
        line = f"{i:3d} cos {c:.4f} max {np.abs(y).max():.4f}{' EMPTY' if empty else ''} >0.5 {fm.mean():.4f}/{qm.mean():.4f} IoU {iou:.3f}"
        if co:
            same = int(np.argmax(f[co]) == np.argmax(q[co]))
            agree += same
            if not same:
                line += f" top-1 differs: float {np.round(f[co].ravel(), 3)} int8 {np.round(q[co].ravel(), 3)}"
        print(line)
        kept.append((c, empty))
    cs = [c for c, e in kept if not e]
    print(f"mean {np.mean(cs):.4f} min {np.min(cs):.4f} over {len(cs)} non-empty images; mean over all {np.mean([c for c, _ in kept]):.4f}"
          + (f"; top-1 {agree}/{len(xs)}" if co else ""))


def per_layer(a):
    _, xs = load(a.dir)
    fi = interp(os.path.join(a.dir, "float32.tflite"), keep=True)
    qi = interp(a.quant or os.path.join(a.dir, "int8.tflite"), keep=True)
    x = xs[a.image]
    run(fi, x)
    run(qi, x)
    fmap = {t["name"]: t for t in fi.get_tensor_details()}
    for t in qi.get_tensor_details():
        if t["dtype"] != np.int8 or t["name"] not in fmap:
            continue
        s, z = t["quantization"]
        try:
            f = fi.get_tensor(fmap[t["name"]]["index"]).astype(np.float64)
            q = (qi.get_tensor(t["index"]).astype(np.float64) - z) * s
        except ValueError:  # constants and tensors the interpreter did not keep
            continue
        if s == 0 or f.shape != q.shape or f.size < 2:
            continue
        f = np.clip(f, (-128 - z) * s, (127 - z) * s)
        print(f"{t['index']:5d} {t['name'][:60]:60s} cos {cosine(f, q):.4f} range [{f.min():.2f}, {f.max():.2f}] step {s:.4f} "
              f"mean error {np.abs(f - q).mean() / s:.2f} steps")


def delegate_diff(a):
    from ai_edge_litert import schema_py_generated as S
    import flatbuffers
    _, xs = load(a.dir)
    with open(os.path.join(a.dir, "int8.tflite"), "rb") as f:
        m = S.ModelT.InitFromObj(S.Model.GetRootAsModel(f.read(), 0))
    g = m.subgraphs[0]
    acts = [i for i, t in enumerate(g.tensors) if t.type == S.TensorType.INT8
            and (t.buffer == 0 or m.buffers[t.buffer].data is None or len(m.buffers[t.buffer].data) == 0)]
    g.outputs = list(g.outputs) + [i for i in acts if i not in list(g.outputs)]
    b = flatbuffers.Builder(0)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    content = bytes(b.Output())
    res = []
    for xnn in (True, False):
        it = interp(content=content, xnnpack=xnn)
        it.set_tensor(it.get_input_details()[0]["index"], xs[a.image])
        it.invoke()
        res.append({o["name"]: it.get_tensor(o["index"]).astype(np.int32) for o in it.get_output_details()})
    names = {v: k for k, v in vars(S.BuiltinOperator).items() if not k.startswith("_")}
    for k, op in enumerate(g.operators):
        code = m.operatorCodes[op.opcodeIndex]
        opname = names.get(max(code.builtinCode, code.deprecatedBuiltinCode), "?")
        for o in op.outputs:
            n = g.tensors[o].name.decode()
            if n in res[0] and n in res[1]:
                d = np.abs(res[0][n] - res[1][n])
                if d.max() > 1:
                    print(f"{k:4d} {opname:20s} {n[:50]:50s} XNNPACK vs reference: max {d.max()} steps, mean {d.mean():.3f}, "
                          f"share > 1 step {(d > 1).mean():.4f}")


def concat_ranges(a):
    import onnx
    import onnxruntime as ort
    _, xs = load(a.dir)
    m = onnx.load(a.model)
    concats = [n for n in m.graph.node if n.op_type == "Concat"]
    names = sorted({i for n in concats for i in n.input})
    for nm in names:
        m.graph.output.append(onnx.helper.make_empty_tensor_value_info(nm))
    s = ort.InferenceSession(m.SerializeToString())
    inp = s.get_inputs()[0].name
    chmax = {}
    for x in xs:
        x = x.transpose(0, 3, 1, 2) if x.ndim == 4 and x.shape[-1] == 3 else x  # TFLite NHWC -> ONNX NCHW
        for nm, v in zip(names, s.run(names, {inp: x.astype(np.float32)})):
            if v.ndim == 4:
                c = np.abs(v).max(axis=(0, 2, 3))
                chmax[nm] = c if nm not in chmax else np.maximum(chmax[nm], c)
    for n in concats:
        if all(i in chmax for i in n.input):
            print(n.output[0], ", ".join(f"{i}: max {chmax[i].max():.1f}, median channel {np.median(chmax[i]):.1f}" for i in n.input))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("per-image")
    p.add_argument("dir"); p.add_argument("--quant"); p.add_argument("--output"); p.add_argument("--no-xnnpack", action="store_true")
    p = sub.add_parser("per-layer")
    p.add_argument("dir"); p.add_argument("--image", type=int, required=True); p.add_argument("--quant")
    p = sub.add_parser("delegate-diff")
    p.add_argument("dir"); p.add_argument("--image", type=int, required=True)
    p = sub.add_parser("concat-ranges")
    p.add_argument("dir"); p.add_argument("model")
    a = ap.parse_args()
    {"per-image": per_image, "per-layer": per_layer, "delegate-diff": delegate_diff, "concat-ranges": concat_ranges}[a.cmd](a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
