#!/usr/bin/env python3
"""Runs the TFLite files the JVM tests left behind in current LiteRT (ai-edge-litert) and checks their outputs.

Node cases: every line of results-tflite.jsonl whose case has a model.tflite under tflite/<suite>/<case>/ is fed
the case's test_data_set_*/input_N.pb (positional = the ONNX graph inputs' order; the TFLite input names must equal
the ONNX names) and compared with output_N.pb (floats: allclose atol 1e-4 rtol 1e-3; integers and bools exact).
Cases the JVM test skipped stay skipped; cases it could not convert are skipped with "not converted: <reason>".
Writes results-litert.jsonl (backend tflite, runtime litert-<version>).

Real models: every tflite line of results-models.jsonl whose models/<name>/manifest-tflite.json exists is run on
the .npy inputs beside it and compared with the expected .npy outputs (max abs error <= the manifest's tol).
Writes results-models-litert.jsonl.

Int8 real models: every cli/target/int8/<model>/manifest.json (and cli/target/int16/, the 16x8 files of
Int16RealModelsTest) that Int8RealModelsTest left is run in LiteRT on all the
coco20 images in input.npy, float32.tflite against int8.tflite: per output the cosine similarity of the dequantized
int8 output with the float32 one (mean and min over the images, leaving out an image whose float32 output is empty:
max |y| below two steps of the output's int8 scale, as the JVM test does), and for a classifier how often top-1
agrees. Writes results-int8-litert.jsonl (the JVM figures from the manifest beside them).

Exit status 1 when a node case that passed in the TFLite 2.6 JNI interpreter fails in LiteRT, or a claimed model
fails in LiteRT; else 0. Python is only an oracle here: it is never part of the product.
"""
import argparse
import json
import os
import sys
from importlib.metadata import version

import numpy as np
import onnx
from onnx import numpy_helper
from ai_edge_litert.interpreter import Interpreter

ATOL, RTOL = 1e-4, 1e-3
HERE = os.path.dirname(os.path.abspath(__file__))


def first_line(e):
    s = f"{type(e).__name__}: {e}" if not isinstance(e, CheckFailure) else str(e)
    s = " | ".join(p.strip() for p in s.strip().splitlines() if p.strip())
    return s if len(s) <= 600 else s[:600] + "..."


class CheckFailure(Exception):
    pass


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False, sort_keys=False) + "\n")


def onnx_io(model_path):
    """Names of the graph inputs (without initializers) and outputs of an ONNX model."""
    m = onnx.load(model_path, load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    return [i.name for i in m.graph.input if i.name not in inits], [o.name for o in m.graph.output]


def read_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def make_interpreter(path):
    return Interpreter(model_path=path, num_threads=1)


def run(interp, feed_by_position):
    """Feeds arrays to the interpreter's inputs in order (cast to the input's type, resized when needed)."""
    details = interp.get_input_details()
    resized = False
    for d, a in zip(details, feed_by_position):
        if tuple(d["shape"]) != tuple(a.shape):
            interp.resize_tensor_input(d["index"], list(a.shape), strict=False)
            resized = True
    interp.allocate_tensors()
    if resized:
        details = interp.get_input_details()
    for d, a in zip(details, feed_by_position):
        want = d["dtype"]
        if a.dtype != want and not (a.dtype.kind in "SUO" and np.dtype(want).kind in "SUO"):
            a = a.astype(want)
        if a.size:  # set_tensor rejects an empty array: an input with no elements has nothing to set
            interp.set_tensor(d["index"], a)
    interp.invoke()
    # get_tensor raises "Invalid tensor size" for a tensor with no elements: build those from their shape
    return [np.zeros(d["shape"], d["dtype"]) if int(np.prod(d["shape"])) == 0 else interp.get_tensor(d["index"])
            for d in interp.get_output_details()]


def mismatch(expected, got):
    """None when got matches expected (floats within ATOL/RTOL, others exact), else a description."""
    if tuple(expected.shape) != tuple(got.shape):
        return f"shape {list(got.shape)}, expected {list(expected.shape)}"
    if expected.dtype.kind in "SUO":
        e = [x.decode() if isinstance(x, bytes) else str(x) for x in expected.ravel()]
        g = [x.decode() if isinstance(x, bytes) else str(x) for x in got.ravel()]
        return None if e == g else "strings differ"
    if expected.dtype.kind == "f":
        e, g = expected.astype(np.float64), got.astype(np.float64)
        ok = np.isclose(g, e, atol=ATOL, rtol=RTOL, equal_nan=True) | (np.isinf(e) & (e == g))
        if ok.all():
            return None
        d = np.where(ok, 0.0, np.nan_to_num(np.abs(g - e), nan=np.inf, posinf=np.inf))
        i = int(np.argmax(d))
        return f"max error {d.flat[i]} at flat index {i} (got {g.flat[i]}, expected {e.flat[i]})"
    e, g = expected.astype(np.int64), got.astype(np.int64)
    if np.array_equal(e, g):
        return None
    i = int(np.argmax(e.ravel() != g.ravel()))
    return f"differs at flat index {i} (got {g.flat[i]}, expected {e.flat[i]})"


def check_case(tfl_path, case_dir):
    in_names, out_names = onnx_io(os.path.join(case_dir, "model.onnx"))
    interp = make_interpreter(tfl_path)
    tin = [d["name"] for d in interp.get_input_details()]
    tout = [d["name"] for d in interp.get_output_details()]
    if tin != in_names:
        raise CheckFailure(f"TFLite inputs {tin} != ONNX inputs {in_names}")
    if tout != out_names:
        raise CheckFailure(f"TFLite outputs {tout} != ONNX outputs {out_names}")
    sets = sorted(d for d in os.listdir(case_dir) if d.startswith("test_data_set_"))
    if not sets:
        raise CheckFailure("no test_data_set_* in the case")
    for ds in sets:
        p = os.path.join(case_dir, ds)
        ins = []
        for i in range(len(in_names)):
            f = os.path.join(p, f"input_{i}.pb")
            if not os.path.exists(f):
                break
            ins.append(read_pb(f))
        if len(ins) != len(in_names):
            raise CheckFailure(f"{ds} has {len(ins)} inputs, the model {len(in_names)}")
        got = run(interp, ins)
        for i, name in enumerate(out_names):
            f = os.path.join(p, f"output_{i}.pb")
            if not os.path.exists(f):
                break
            mm = mismatch(read_pb(f), got[i])
            if mm:
                raise CheckFailure(f"output '{name}' {ds}: {mm}")


def check_model(mdir, manifest):
    interp = make_interpreter(os.path.join(mdir, manifest["tflite"]))
    tin = [d["name"] for d in interp.get_input_details()]
    tout = [d["name"] for d in interp.get_output_details()]
    want_in = [e["name"] for e in manifest["inputs"]]
    want_out = [e["name"] for e in manifest["outputs"]]
    if tin != want_in:
        raise CheckFailure(f"TFLite inputs {tin} != {want_in}")
    if tout != want_out:
        raise CheckFailure(f"TFLite outputs {tout} != {want_out}")
    got = run(interp, [np.load(os.path.join(mdir, e["file"])) for e in manifest["inputs"]])
    worst, where = 0.0, ""
    for e, g in zip(manifest["outputs"], got):
        x = np.load(os.path.join(mdir, e["file"]))
        if tuple(x.shape) != tuple(g.shape):
            raise CheckFailure(f"output '{e['name']}' has shape {list(g.shape)}, expected {list(x.shape)}")
        x64, g64 = x.astype(np.float64), g.astype(np.float64)
        same = (x64 == g64) | (np.isnan(x64) & np.isnan(g64))
        d = np.where(same, 0.0, np.nan_to_num(np.abs(x64 - g64), nan=np.inf))
        if d.size and float(d.max()) > worst:
            finite = np.abs(x64[np.isfinite(x64)])
            scale = float(finite.max()) if finite.size else 0.0
            worst, where = float(d.max()), f" in output '{e['name']}' (its values reach |{scale}|)"
    return worst, where


def cosine(a, b):
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    na, nb = float((a * a).sum()), float((b * b).sum())
    if na == 0 and nb == 0:
        return 1.0
    return float((a * b).sum() / np.sqrt(na * nb)) if na > 0 and nb > 0 else 0.0


def check_int8(mdir, man):
    """Cosine per output (over non-empty images) and top-1 agreement of int8.tflite vs float32.tflite in LiteRT."""
    xs = np.load(os.path.join(mdir, "input.npy"))
    fi = make_interpreter(os.path.join(mdir, "float32.tflite"))
    qi = make_interpreter(os.path.join(mdir, "int8.tflite"))
    names = [d["name"] for d in fi.get_output_details()]
    if [d["name"] for d in qi.get_output_details()] != names:
        raise CheckFailure(f"int8 outputs {[d['name'] for d in qi.get_output_details()]} != float32 outputs {names}")
    per = {n: [] for n in names}
    agree = 0
    for x in xs:
        a = run(fi, [x])
        b = run(qi, [x])
        for n, fa, qb in zip(names, a, b):
            step = man["steps"].get(n)
            empty = step is not None and float(np.abs(fa).max()) < 2 * step
            per[n].append((cosine(fa, qb), empty))
        co = man.get("classifier_output")
        if co:
            k = names.index(co)
            agree += int(np.argmax(a[k]) == np.argmax(b[k]))
    outs = {}
    for n, v in per.items():
        kept = [c for c, e in v if not e]
        outs[n] = {"mean": float(np.mean(kept)) if kept else 1.0, "min": float(np.min(kept)) if kept else 1.0,
                   "empty": len(v) - len(kept), "mean_all": float(np.mean([c for c, _ in v]))}
    return len(xs), outs, (agree if man.get("classifier_output") else None)


def int8_models(root, runtime, bad):
    rows = []
    mdirs = []
    for sub in ("int8", "int16"):
        base = os.path.join(root, "cli", "target", sub)
        if os.path.isdir(base):
            mdirs += [os.path.join(base, d) for d in sorted(os.listdir(base)) if os.path.exists(os.path.join(base, d, "manifest.json"))]
    for mdir in mdirs:
        name = os.path.basename(mdir)
        with open(os.path.join(mdir, "manifest.json"), encoding="utf-8") as f:
            man = json.load(f)
        variant = man.get("variant", "int8")
        row = {"model": name, "variant": variant, "runtime": runtime, "claimed": man["claimed"], "status": "fail", "reason": "",
               "min_cosine": man["min_cosine"], "jvm": man.get("jvm")}
        try:
            n, outs, top1 = check_int8(mdir, man)
            row.update({"images": n, "outputs": outs, "top1": top1})
            low = [f"{k} {v['mean']:.4f}" for k, v in outs.items() if v["mean"] < man["min_cosine"]]
            if low:
                row["reason"] = f"cosine below {man['min_cosine']}: " + ", ".join(low)
            elif top1 is not None and top1 < man["min_top1"] * n:
                row["reason"] = f"top-1 agreement {top1}/{n} below {man['min_top1']:.0%}"
            else:
                row["status"] = "pass"
        except Exception as e:
            row["reason"] = first_line(e)
        if row["status"] == "fail" and row["claimed"]:
            bad.append(f"{variant} model {name}: claimed, fails in {runtime}: {row['reason']}")
        rows.append(row)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "target", "conformance"),
                    help="the JVM tests' output folder (default conformance/target/conformance)")
    a = ap.parse_args()
    runtime = "litert-" + version("ai-edge-litert")
    bad = []

    rows = []
    src = read_jsonl(os.path.join(a.out, "results-tflite.jsonl"))
    for r in src:
        tfl = os.path.join(a.out, "tflite", r["suite"], r["case"], "model.tflite")
        row = {"backend": "tflite", "runtime": runtime, "suite": r["suite"], "case": r["case"], "dir": r["dir"],
               "ops": r["ops"], "status": "skip", "reason": r["reason"]}
        if r["status"] in ("pass", "fail"):
            if not os.path.exists(tfl):
                row["reason"] = "not converted: " + r["reason"]
            else:
                try:
                    check_case(tfl, r["dir"])
                    row["status"], row["reason"] = "pass", ""
                except Exception as e:  # any failure of the runtime is the case's failure
                    row["status"], row["reason"] = "fail", first_line(e)
                    if r["status"] == "pass":
                        bad.append(f"{r['suite']}/{r['case']}: passes in TFLite 2.6 JNI, fails in {runtime}: {row['reason']}")
        rows.append(row)
    write_jsonl(os.path.join(a.out, "results-litert.jsonl"), rows)
    count = {s: sum(1 for r in rows if r["status"] == s) for s in ("pass", "fail", "skip")}
    print(f"[litert_check] node cases in {runtime}: {count['pass']} passed, {count['fail']} failed, {count['skip']} skipped")

    mrows = []
    for r in read_jsonl(os.path.join(a.out, "results-models.jsonl")):
        if r["backend"] != "tflite":
            continue
        mdir = os.path.join(a.out, "models", r["model"])
        man_path = os.path.join(mdir, "manifest-tflite.json")
        row = {"model": r["model"], "family": r["family"], "backend": "tflite", "runtime": runtime, "status": "skip",
               "max_abs_err": None, "claimed": r.get("claimed", False), "reason": r["reason"]}
        if r["status"] == "skip":
            pass
        elif not os.path.exists(man_path):
            row["reason"] = "not converted: " + r["reason"]
        else:
            with open(man_path, encoding="utf-8") as f:
                man = json.load(f)
            try:
                err, where = check_model(mdir, man)
                row["max_abs_err"] = err if np.isfinite(err) else str(err)
                if err <= man["tol"]:
                    row["status"], row["reason"] = "pass", ""
                else:
                    row["status"], row["reason"] = "fail", f"max abs error {err} > {man['tol']}{where}"
            except Exception as e:
                row["status"], row["reason"] = "fail", first_line(e)
            if row["status"] == "fail" and row["claimed"]:
                bad.append(f"model {r['model']}: claimed, fails in {runtime}: {row['reason']}")
        mrows.append(row)
    write_jsonl(os.path.join(a.out, "results-models-litert.jsonl"), mrows)
    count = {s: sum(1 for r in mrows if r["status"] == s) for s in ("pass", "fail", "skip")}
    print(f"[litert_check] real models in {runtime}: {count['pass']} passed, {count['fail']} failed, {count['skip']} skipped")

    irows = int8_models(os.path.dirname(HERE), runtime, bad)
    write_jsonl(os.path.join(a.out, "results-int8-litert.jsonl"), irows)
    count = {s: sum(1 for r in irows if r["status"] == s) for s in ("pass", "fail")}
    print(f"[litert_check] int8 real models in {runtime}: {count['pass']} passed, {count['fail']} failed")

    for b in bad:
        print("[litert_check] FAIL " + b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
