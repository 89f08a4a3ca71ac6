package dev.onnxport.conformance;

import dev.onnxport.backends.Pipelines;
import dev.onnxport.backends.onnx.OnnxBackend;
import dev.onnxport.backends.onnx.OnnxOptions;
import dev.onnxport.backends.runtime.OrtRunner;
import dev.onnxport.frontends.onnx.OnnxFrontend;
import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.passes.InferShapes;
import dev.onnxport.passes.Pass;
import dev.onnxport.passes.PassContext;
import dev.onnxport.passes.PassOptions;
import dev.onnxport.passes.portable.FusedArgmax;
import dev.onnxport.passes.portable.PortablePasses;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * Writes docs/PASSES.md: for each portable pass, node cases and real models it applied to, op counts before and
 * after and the max abs difference of onnxruntime's outputs (original model vs rewritten graph). Off unless
 * {@code -Donnxport.portableDocs=true}; {@code -Donnxport.portableDocs.only=REGEX} recomputes the rows whose id
 * matches (printed, and written to target/portable-docs.md instead of docs/PASSES.md).
 */
class PortablePassesDocs {
    static final String CMD = "mvn -q -o test -pl conformance -am -Dsurefire.failIfNoSpecifiedTests=false -Dtest=PortablePassesDocs";

    record Row(String pass, String kase, String ops, String nodes, String error, String id) {}

    static final Map<String, List<String>> NODE_CASES = new LinkedHashMap<>();
    static {
        NODE_CASES.put("gridsample-decompose", List.of("test_gridsample", "test_gridsample_aligncorners_true", "test_gridsample_bilinear",
                "test_gridsample_border_padding", "test_gridsample_nearest", "test_gridsample_zeros_padding",
                "test_gridsample_bilinear_align_corners_0_additional_1", "test_gridsample_bilinear_align_corners_1_additional_1",
                "test_gridsample_nearest_align_corners_0_additional_1", "test_gridsample_nearest_align_corners_1_additional_1",
                "test_gridsample_bicubic", "test_gridsample_reflection_padding", "test_gridsample_volumetric_bilinear_align_corners_0"));
        NODE_CASES.put("nms-single-class", List.of("test_nonmaxsuppression_two_classes", "test_nonmaxsuppression_two_batches"));
        NODE_CASES.put("gathernd-decompose", List.of("test_gathernd_example_float32", "test_gathernd_example_int32", "test_gathernd_example_int32_batch_dim1"));
        // ONNX 1.22's Unsqueeze cases are opset 25 / IR 13, which onnxruntime 1.23 cannot load: Debian's opset-13 copies
        NODE_CASES.put("unsqueeze-to-reshape", List.of("debian:test_unsqueeze_axis_0", "debian:test_unsqueeze_negative_axes",
                "debian:test_unsqueeze_three_axes", "debian:test_unsqueeze_unsorted_axes"));
        NODE_CASES.put("det-decompose", List.of("test_det_2d", "test_det_nd"));
        NODE_CASES.put("mvn-decompose", List.of("test_mvn"));
        NODE_CASES.put("atan-family", List.of("test_atan", "test_atan_example", "test_asin", "test_asin_example", "test_acos", "test_acos_example"));
        NODE_CASES.put("primitive-activations", List.of("test_erf", "test_gelu_default_2", "test_gelu_tanh_2", "test_hardswish", "test_hardsigmoid",
                "test_leakyrelu", "test_prelu_broadcast", "test_mish", "test_softplus", "test_abs", "test_neg"));
    }

    /** Models whose inputs all carry the batch in dim 0 (dynamic-batch is checked at batch 1, 3 and 7 on them). */
    static final List<String> BATCH_MODELS = List.of("picodet-layout-cdla", "mtcnn-onet", "pplcnet-orientation", "ppocr-mobile-v2-cls");

    @Test void table() throws IOException {
        String only = System.getProperty("onnxport.portableDocs.only", "");
        Assumptions.assumeTrue(Boolean.getBoolean("onnxport.portableDocs") || !only.isEmpty(), "set -Donnxport.portableDocs=true");
        List<Row> rows = new ArrayList<>();
        Path nodes = TestData.shared().resolve("data/onnx-node-1.22");
        for (Map.Entry<String, List<String>> e : NODE_CASES.entrySet()) for (String c : e.getValue()) {
            boolean deb = c.startsWith("debian:");
            String name = deb ? c.substring(7) : c;
            String id = e.getKey() + "/" + name;
            if (!only.isEmpty() && !id.matches(only)) continue;
            rows.add(nodeCase(e.getKey(), name, deb ? Path.of("/usr/share/libonnx-testdata/data/node", name) : nodes.resolve(name), deb));
        }
        for (RealModelTest.Model m : RealModelTest.models()) {
            if (!Files.exists(m.file())) continue;
            for (Pass p : PortablePasses.all()) {
                if (p.name().equals("fused-argmax")) continue; // approximate: its rows are the synthetic maps below
                if (p.name().equals("dynamic-batch") && !BATCH_MODELS.contains(m.name())) continue;
                String id = p.name() + "/" + m.name();
                if (!only.isEmpty() && !id.matches(only)) continue;
                Row r = realModel(p, m);
                if (r != null) rows.add(r);
            }
        }
        for (String id : List.of("inverse-decompose/synthetic-4x4", "inverse-decompose/synthetic-7x7", "reduce-keepdims/synthetic-argmax-unsqueeze",
                "gather-to-slice/synthetic-rgb-to-ycbcr", "gather-to-slice/synthetic-rgb-bgr-gray", "dynamic-batch/synthetic-keypoint-head",
                "fused-argmax/synthetic-19x512x512", "fused-argmax/synthetic-5x256x320")) {
            if (!only.isEmpty() && !id.matches(only)) continue;
            rows.add(synthetic(id));
        }
        String md = render(rows, only.isEmpty());
        System.out.println(md);
        Path out = only.isEmpty() ? RealModelTest.repoRoot().resolve("docs/PASSES.md") : Path.of("target/portable-docs.md");
        Files.writeString(out, md);
    }

    // ------------------------------------------------------------------------------------------------ cases

    static PassContext ctx() { return PassContext.standard(PassOptions.DEFAULT); }

    /** Runs the pass once (after shape inference); true when it changed the graph. The log goes to log. */
    static boolean apply(Pass p, Graph g, List<String> log) {
        PassContext ctx = ctx();
        new InferShapes().run(g, ctx);
        boolean changed = p.run(g, ctx);
        log.addAll(ctx.log());
        return changed;
    }

    Row nodeCase(String pass, String kase, Path dir, boolean debian) throws IOException {
        String id = pass + "/" + kase;
        String label = "`" + kase + "`" + (debian ? " (Debian libonnx-testdata)" : "");
        if (!Files.isDirectory(dir)) return new Row(pass, label, "-", "-", "case not found", id);
        byte[] original = Files.readAllBytes(dir.resolve("model.onnx"));
        Graph g = OnnxFrontend.load(dir.resolve("model.onnx")).graph();
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (int i = 0; i < g.inputs().size(); i++) {
            Path pb = dir.resolve("test_data_set_0/input_" + i + ".pb");
            if (Files.exists(pb)) in.put(g.inputs().get(i).name(), OnnxFrontend.readTensorFile(pb));
        }
        Pass p = PortablePasses.byName(pass);
        String pinned = "";
        if (pass.equals("unsqueeze-to-reshape")) { // the suite feeds the axes as an input: pin them as the exporter would
            for (Value v : List.copyOf(g.inputs())) {
                String name = v.name();
                if (v.dtype() == DType.INT64 && in.containsKey(name)) {
                    GraphEdits.pin(g, name, in.get(name));
                    pinned = " (input `" + name + "` pinned to its test value)";
                }
            }
        }
        Map<String, Integer> before = g.opHistogram();
        List<String> log = new ArrayList<>();
        if (!apply(p, g, log)) return new Row(pass, label + pinned, ops(before, before), nodes(before, before), "left: " + reason(log), id);
        Map<String, Integer> after = g.opHistogram();
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        for (Value v : g.inputs()) if (in.containsKey(v.name())) feeds.put(v.name(), in.get(v.name()));
        Map<String, Tensor> ref = ort(original, in), got = ort(OnnxBackend.emit(g, OnnxOptions.DEFAULT), feeds);
        String err = pass.equals("nms-single-class") ? nmsRows(ref, got) : fmt(maxAbs(ref, got));
        return new Row(pass, label + pinned, ops(before, after), nodes(before, after), err, id);
    }

    Row realModel(Pass p, RealModelTest.Model m) throws IOException {
        RealModelTest.Reference ref = RealModelTest.reference(m);
        Graph g = RealModelTest.load(m, ref);
        Pipelines.prepareOnnx(g);
        Map<String, Integer> before = g.opHistogram();
        List<String> log = new ArrayList<>();
        if (!apply(p, g, log)) return null;
        Map<String, Integer> after = g.opHistogram();
        byte[] model = OnnxBackend.emit(g, OnnxOptions.DEFAULT);
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        Set<String> inputs = new TreeSet<>();
        for (Value v : g.inputs()) inputs.add(v.name());
        for (Map.Entry<String, Tensor> e : ref.inputs().entrySet()) if (inputs.contains(e.getKey())) feeds.put(e.getKey(), e.getValue());
        String err;
        if (p.name().equals("dynamic-batch")) {
            err = batchCheck(Files.readAllBytes(m.file()), model, feeds, m.name());
        } else {
            err = fmt(maxAbs(ref.outputs(), ort(model, feeds)));
        }
        String kase = m.name() + " (" + shapes(feeds) + ")";
        String ops = ops(before, after);
        if (p.name().equals("dynamic-batch") && ops.equals("no change")) ops = "no op change (only the inputs' dim 0 made symbolic)";
        return new Row(p.name(), kase, ops, nodes(before, after), err, p.name() + "/" + m.name());
    }

    /** Runs the rewritten model at batch 1, 3 and 7; each item must match the original run on it alone. */
    String batchCheck(byte[] original, byte[] rewritten, Map<String, Tensor> one, String name) {
        double worst = 0;
        SplittableRandom rnd = new SplittableRandom(name.hashCode());
        try (OrtRunner ref = new OrtRunner(original); OrtRunner dyn = new OrtRunner(rewritten)) {
            for (int b : new int[] {1, 3, 7}) {
                Map<String, Tensor> batch = new LinkedHashMap<>();
                List<Map<String, Tensor>> items = new ArrayList<>();
                for (int i = 0; i < b; i++) items.add(new LinkedHashMap<>());
                for (Map.Entry<String, Tensor> e : one.entrySet()) {
                    Tensor t = e.getValue();
                    List<Tensor> parts = new ArrayList<>();
                    for (int i = 0; i < b; i++) {
                        Tensor part = i == 0 ? t : jitter(t, rnd);
                        parts.add(part);
                        items.get(i).put(e.getKey(), part);
                    }
                    batch.put(e.getKey(), stack(parts));
                }
                Map<String, Tensor> out = dyn.run(batch);
                for (Map.Entry<String, Tensor> e : out.entrySet()) {
                    if (e.getValue().rank() == 0 || e.getValue().shape()[0] % b != 0 || b > 1 && e.getValue().shape()[0] == 1)
                        return "fails at batch " + b + ": output '" + e.getKey() + "' has shape " + Arrays.toString(e.getValue().shape());
                }
                for (int i = 0; i < b; i++) {
                    Map<String, Tensor> r = ref.run(items.get(i));
                    for (Map.Entry<String, Tensor> e : r.entrySet()) worst = Math.max(worst, maxAbs(e.getValue(), item(out.get(e.getKey()), i, b)));
                }
            }
        }
        return fmt(worst) + " (batch 1, 3, 7 vs per item)";
    }

    Row synthetic(String id) {
        String pass = id.substring(0, id.indexOf('/'));
        Pass p = PortablePasses.byName(pass);
        SplittableRandom rnd = new SplittableRandom(id.hashCode());
        Graph g = new Graph("synthetic");
        g.opsets().put("", 17);
        String kase;
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        switch (id) {
            case "inverse-decompose/synthetic-4x4", "inverse-decompose/synthetic-7x7" -> {
                int n = id.endsWith("4x4") ? 4 : 7;
                long[] s = {3, n, n};
                g.opsets().put("com.microsoft", 1);
                Value x = g.addInput("x", ValueType.of(DType.FLOAT32, s));
                Node inv = g.addNode("com.microsoft", "Inverse", "inv", List.of(x), Attrs.EMPTY, 1, "y");
                inv.output().setType(x.type());
                g.addOutput(inv.output());
                double[] v = new double[3 * n * n];
                for (int i = 0; i < v.length; i++) v[i] = rnd.nextDouble() * 2 - 1 + ((i % (n * n)) % (n + 1) == 0 ? n * 0.6 : 0);
                feeds.put("x", Tensor.fromDoubles(DType.FLOAT32, s, v));
                kase = "com.microsoft Inverse of [3, " + n + ", " + n + "] (random + " + (n * 0.6) + " I)";
            }
            case "reduce-keepdims/synthetic-argmax-unsqueeze" -> {
                long[] s = {2, 5, 6, 7};
                Value x = g.addInput("x", ValueType.of(DType.FLOAT32, s));
                Node am = g.addNode("", "ArgMax", "argmax", List.of(x), Attrs.builder().put("axis", 1L).put("keepdims", 0L).build(), 17, "am");
                Value ax = g.addConstant("axes", Tensor.ofLongs(new long[] {1}, 1));
                Node u = g.addNode("", "Unsqueeze", "unsq", List.of(am.output(), ax), Attrs.EMPTY, 17, "y");
                g.addOutput(u.output());
                feeds.put("x", random(rnd, s));
                kase = "PyTorch `x.argmax(1).unsqueeze(1)` on [2, 5, 6, 7]";
            }
            case "gather-to-slice/synthetic-rgb-to-ycbcr" -> {
                long[] s = {2, 3, 32, 48};
                Value x = g.addInput("x", ValueType.of(DType.FLOAT32, s));
                Value r = pick(g, x, 0), gr = pick(g, x, 1), b = pick(g, x, 2);
                Value y = bin(g, "Add", bin(g, "Add", times(g, r, 0.299), times(g, gr, 0.587)), times(g, b, 0.114));
                Value cb = plus(g, times(g, bin(g, "Sub", b, y), 0.564), 0.5), cr = plus(g, times(g, bin(g, "Sub", r, y), 0.713), 0.5);
                g.addOutput(concat1(g, unsqueeze1(g, y), unsqueeze1(g, cb), unsqueeze1(g, cr)));
                feeds.put("x", random(rnd, s));
                kase = "PyTorch-style RGB→YCbCr on [2, 3, 32, 48]: `x[:, 0]`, `x[:, 1]`, `x[:, 2]` (Gather, rank drops), arithmetic, "
                        + "`torch.stack([y, cb, cr], 1)` (Unsqueeze + Concat)";
            }
            case "gather-to-slice/synthetic-rgb-bgr-gray" -> {
                long[] s = {2, 3, 32, 48};
                Value x = g.addInput("x", ValueType.of(DType.FLOAT32, s));
                Value bgr = concat1(g, unsqueeze1(g, pick(g, x, 2)), unsqueeze1(g, pick(g, x, 1)), unsqueeze1(g, pick(g, x, 0)));
                Value gray = bin(g, "Add", bin(g, "Add", times(g, pick(g, bgr, 0), 0.114), times(g, pick(g, bgr, 1), 0.587)), times(g, pick(g, bgr, 2), 0.299));
                gray = times(g, bin(g, "Mul", gray, g.addConstant("gain", random(rnd, new long[] {1, 32, 48}))), 1 / 255.0);
                g.addOutput(bgr);
                g.addOutput(unsqueeze1(g, gray));
                feeds.put("x", random(rnd, s));
                kase = "PyTorch-style RGB→BGR→gray on [2, 3, 32, 48]: BGR stacked from `x[:, i]`, gray = weighted `bgr[:, i]` times a "
                        + "[1, 32, 48] gain / 255, `.unsqueeze(1)`; outputs BGR and gray";
            }
            case "dynamic-batch/synthetic-keypoint-head" -> {
                keypointHead(g, rnd, 17, 64, 48);
                feeds.put("image", random(rnd, new long[] {1, 3, 64, 48}));
                kase = "keypoint head exported at batch 1 (image [1, 3, 64, 48]): Conv → heatmaps [1, 17, 64, 48] → Reshape to a "
                        + "baked [1, 17, 3072] → Softmax → ArgMax, x = idx mod W, y = idx div W → Concat → Reshape [1, 34] → Reshape "
                        + "[1, 17, 2]; soft-argmax with [1, 1, 3072] grids; peak scores Reshaped to [1, 17]";
            }
            default -> { // fused-argmax
                boolean big = id.endsWith("512x512");
                long[] s = big ? new long[] {1, 19, 512, 512} : new long[] {1, 5, 256, 320};
                Value x = g.addInput("x", ValueType.of(DType.FLOAT32, s));
                Node am = g.addNode("", "ArgMax", "argmax", List.of(x), Attrs.builder().put("axis", 1L).build(), 17, "y");
                am.output().setType(ValueType.of(DType.INT64, s[0], 1, s[2], s[3]));
                g.addOutput(am.output());
                feeds.put("x", smooth(rnd, s));
                kase = "smooth synthetic logits " + Arrays.toString(s) + " (3 random cosines of 1-4 periods per class)";
            }
        }
        byte[] original = OnnxBackend.emit(g, OnnxOptions.DEFAULT);
        Map<String, Integer> before = g.opHistogram();
        List<String> log = new ArrayList<>();
        if (!apply(p, g, log)) return new Row(pass, kase, "-", "-", "left: " + reason(log), id);
        Map<String, Integer> after = g.opHistogram();
        if (pass.equals("dynamic-batch"))
            return new Row(pass, kase, ops(before, after), nodes(before, after), batchCheck(original, OnnxBackend.emit(g, OnnxOptions.DEFAULT), feeds, id), id);
        Map<String, Tensor> ref = ort(original, feeds), got = ort(OnnxBackend.emit(g, OnnxOptions.DEFAULT), feeds);
        String err;
        if (pass.equals("gather-to-slice")) {
            for (String op : List.of("Gather", "Unsqueeze", "Squeeze"))
                if (after.getOrDefault(op, 0) != 0) throw new AssertionError(id + ": " + op + " left: " + after);
        }
        if (pass.equals("fused-argmax")) {
            double a = FusedArgmax.agreement(ref.values().iterator().next().toLongs(), got.values().iterator().next().toLongs());
            String est = log.stream().filter(l -> l.contains("agreement")).map(l -> l.substring(l.lastIndexOf(": ") + 2)).findFirst().orElse("?");
            err = String.format(Locale.ROOT, "pixel agreement %.2f%% (logged estimate %s)", 100 * a, est);
        } else {
            err = fmt(maxAbs(ref, got));
        }
        return new Row(pass, kase, ops(before, after), nodes(before, after), err, id);
    }

    // ------------------------------------------------------------------------------------------------ graphs built in code

    static Value add(Graph g, String op, Attrs a, ValueType t, Value... ins) {
        Node n = g.addNode("", op, op.toLowerCase(Locale.ROOT), Arrays.asList(ins), a, g.opset(), op.toLowerCase(Locale.ROOT));
        n.output().setType(t);
        return n.output();
    }

    /** x[:, i] as PyTorch exports it: Gather with a scalar index, the channel dim dropped. */
    static Value pick(Graph g, Value x, long i) {
        long[] s = x.shape().toArray();
        return add(g, "Gather", Attrs.builder().put("axis", 1L).build(), ValueType.of(DType.FLOAT32, s[0], s[2], s[3]), x,
                g.addConstant("i", Tensor.scalarLong(i)));
    }

    static Value unsqueeze1(Graph g, Value v) {
        long[] s = v.shape().toArray();
        return add(g, "Unsqueeze", Attrs.EMPTY, ValueType.of(DType.FLOAT32, s[0], 1, s[1], s[2]), v, g.addConstant("axes", Tensor.ofLongs(new long[] {1}, 1)));
    }

    static Value concat1(Graph g, Value... vs) {
        long[] s = vs[0].shape().toArray();
        s[1] = vs.length;
        return add(g, "Concat", Attrs.builder().put("axis", 1L).build(), ValueType.of(DType.FLOAT32, s), vs);
    }

    static Value bin(Graph g, String op, Value a, Value b) { return add(g, op, Attrs.EMPTY, a.type(), a, b); }

    static Value times(Graph g, Value a, double c) { return bin(g, "Mul", a, g.addConstant("k", Tensor.scalarFloat((float) c))); }

    static Value plus(Graph g, Value a, double c) { return bin(g, "Add", a, g.addConstant("k", Tensor.scalarFloat((float) c))); }

    /** The keypoint head of backends' DynamicBatchTest (opset 17), K keypoints on an H x W map. */
    static void keypointHead(Graph g, SplittableRandom rnd, long k, long h, long w) {
        long hw = h * w;
        Value x = g.addInput("image", ValueType.of(DType.FLOAT32, 1, 3, h, w));
        Value c1 = add(g, "Conv", Attrs.builder().put("pads", new long[] {1, 1, 1, 1}).build(), ValueType.of(DType.FLOAT32, 1, 8, h, w), x,
                g.addConstant("w1", scaled(rnd, new long[] {8, 3, 3, 3}, 0.5)), g.addConstant("b1", scaled(rnd, new long[] {8}, 0.1)));
        Value r1 = add(g, "Relu", Attrs.EMPTY, c1.type(), c1);
        Value heat = add(g, "Conv", Attrs.EMPTY, ValueType.of(DType.FLOAT32, 1, k, h, w), r1,
                g.addConstant("w2", scaled(rnd, new long[] {k, 8, 1, 1}, 1)), g.addConstant("b2", scaled(rnd, new long[] {k}, 0.1)));
        Value flat = add(g, "Reshape", Attrs.EMPTY, ValueType.of(DType.FLOAT32, 1, k, hw), heat, g.addConstant("t", Tensor.ofLongs(new long[] {3}, 1, k, hw)));
        Value prob = add(g, "Softmax", Attrs.builder().put("axis", 2L).build(), flat.type(), flat);
        ValueType idxT = ValueType.of(DType.INT64, 1, k, 1);
        Value idx = add(g, "ArgMax", Attrs.builder().put("axis", 2L).put("keepdims", 1L).build(), idxT, prob);
        Value wc = g.addConstant("w", Tensor.scalarLong(w));
        Value xy = add(g, "Concat", Attrs.builder().put("axis", 2L).build(), ValueType.of(DType.INT64, 1, k, 2),
                add(g, "Mod", Attrs.EMPTY, idxT, idx, wc), add(g, "Div", Attrs.EMPTY, idxT, idx, wc));
        Value xy2 = add(g, "Reshape", Attrs.EMPTY, ValueType.of(DType.INT64, 1, 2 * k), xy, g.addConstant("t", Tensor.ofLongs(new long[] {2}, 1, 2 * k)));
        Value px = times(g, add(g, "Cast", Attrs.builder().put("to", (long) DType.FLOAT32.onnxCode()).build(), ValueType.of(DType.FLOAT32, 1, 2 * k), xy2), 4);
        g.addOutput(add(g, "Reshape", Attrs.EMPTY, ValueType.of(DType.FLOAT32, 1, k, 2), px, g.addConstant("t", Tensor.ofLongs(new long[] {3}, 1, k, 2))));
        float[][] grid = new float[2][(int) hw];
        for (int i = 0; i < hw; i++) { grid[0][i] = i % w; grid[1][i] = i / w; }
        Value[] coord = new Value[2];
        for (int c = 0; c < 2; c++) {
            Value m = bin(g, "Mul", prob, g.addConstant("grid", Tensor.ofFloats(new long[] {1, 1, hw}, grid[c])));
            Value sum = add(g, "ReduceSum", Attrs.builder().put("keepdims", 1L).build(), ValueType.of(DType.FLOAT32, 1, k, 1), m,
                    g.addConstant("axes", Tensor.ofLongs(new long[] {1}, 2)));
            coord[c] = sum;
        }
        g.addOutput(add(g, "Concat", Attrs.builder().put("axis", 2L).build(), ValueType.of(DType.FLOAT32, 1, k, 2), coord));
        Value peak = add(g, "ReduceMax", Attrs.builder().put("keepdims", 1L).put("axes", new long[] {2}).build(), ValueType.of(DType.FLOAT32, 1, k, 1), prob);
        g.addOutput(add(g, "Reshape", Attrs.EMPTY, ValueType.of(DType.FLOAT32, 1, k), peak, g.addConstant("t", Tensor.ofLongs(new long[] {2}, 1, k))));
        g.addOutput(heat);
    }

    static Tensor scaled(SplittableRandom rnd, long[] s, double amp) {
        double[] v = new double[(int) Tensor.numel(s)];
        for (int i = 0; i < v.length; i++) v[i] = (rnd.nextDouble() * 2 - 1) * amp;
        return Tensor.fromDoubles(DType.FLOAT32, s, v);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    static Map<String, Tensor> ort(byte[] model, Map<String, Tensor> in) {
        try (OrtRunner r = new OrtRunner(model)) {
            return r.run(in);
        }
    }

    static double maxAbs(Map<String, Tensor> a, Map<String, Tensor> b) {
        double w = 0;
        for (Map.Entry<String, Tensor> e : a.entrySet()) {
            Tensor y = b.get(e.getKey());
            if (y == null) throw new AssertionError("output " + e.getKey() + " missing after the pass");
            w = Math.max(w, maxAbs(e.getValue(), y));
        }
        return w;
    }

    static double maxAbs(Tensor x, Tensor y) {
        if (!Arrays.equals(x.shape(), y.shape())) throw new AssertionError("shape " + Arrays.toString(x.shape()) + " became " + Arrays.toString(y.shape()));
        double[] a = x.toDoubles(), b = y.toDoubles();
        double w = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b[i] || Double.isNaN(a[i]) && Double.isNaN(b[i])) continue;
            w = Math.max(w, Math.abs(a[i] - b[i]));
        }
        return w;
    }

    static String nmsRows(Map<String, Tensor> ref, Map<String, Tensor> got) {
        List<String> r = rows(ref.values().iterator().next()), g = rows(got.values().iterator().next());
        boolean subset = r.containsAll(g);
        return "selected rows: " + r.size() + " before, " + g.size() + " after" + (subset ? " (a subset: best class only, by design)" : " (differ)");
    }

    static List<String> rows(Tensor t) {
        long[] v = t.toLongs();
        List<String> r = new ArrayList<>();
        for (int i = 0; i + 2 < v.length; i += 3) r.add(v[i] + "," + v[i + 1] + "," + v[i + 2]);
        return r;
    }

    static Tensor jitter(Tensor t, SplittableRandom rnd) {
        if (!t.dtype().isFloat()) return t;
        double[] v = t.toDoubles();
        for (int i = 0; i < v.length; i++) v[i] += rnd.nextDouble() * 0.2 - 0.1;
        return Tensor.fromDoubles(t.dtype(), t.shape(), v);
    }

    static Tensor stack(List<Tensor> parts) {
        long[] s = parts.get(0).shape();
        s[0] *= parts.size();
        java.nio.ByteBuffer b = Tensor.alloc(parts.stream().mapToLong(Tensor::byteSize).sum());
        for (Tensor t : parts) b.put(t.data());
        return Tensor.of(parts.get(0).dtype(), s, b.flip());
    }

    static Tensor item(Tensor t, int i, int n) {
        long[] s = t.shape();
        s[0] /= n;
        int per = (int) (t.byteSize() / n);
        java.nio.ByteBuffer b = t.data();
        b.position(i * per).limit((i + 1) * per);
        return Tensor.of(t.dtype(), s, b.slice());
    }

    static Tensor random(SplittableRandom rnd, long[] s) {
        double[] v = new double[(int) Tensor.numel(s)];
        for (int i = 0; i < v.length; i++) v[i] = rnd.nextDouble() * 2 - 1;
        return Tensor.fromDoubles(DType.FLOAT32, s, v);
    }

    static Tensor smooth(SplittableRandom rnd, long[] s) {
        int c = (int) s[1], h = (int) s[2], w = (int) s[3];
        float[] v = new float[c * h * w];
        for (int k = 0; k < c; k++) for (int t = 0; t < 3; t++) {
            double fx = 1 + rnd.nextInt(4), fy = 1 + rnd.nextInt(4), ph = rnd.nextDouble() * 2 * Math.PI, amp = 0.5 + rnd.nextDouble();
            for (int i = 0; i < h; i++) for (int j = 0; j < w; j++)
                v[(k * h + i) * w + j] += (float) (amp * Math.cos(2 * Math.PI * (fx * j / w + fy * i / h) + ph));
        }
        return Tensor.ofFloats(s, v);
    }

    static String shapes(Map<String, Tensor> feeds) {
        List<String> r = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : feeds.entrySet()) r.add(Arrays.toString(e.getValue().shape()).replace(" ", ""));
        return String.join(" ", r);
    }

    /** The ops whose count changed, "Op a→b", most significant first. */
    static String ops(Map<String, Integer> before, Map<String, Integer> after) {
        Set<String> all = new TreeSet<>(before.keySet());
        all.addAll(after.keySet());
        List<String> gone = new ArrayList<>(), grown = new ArrayList<>();
        for (String op : all) {
            int a = before.getOrDefault(op, 0), b = after.getOrDefault(op, 0);
            if (a == b) continue;
            (b < a ? gone : grown).add(op + " " + a + "→" + b);
        }
        if (gone.isEmpty() && grown.isEmpty()) return "no change";
        List<String> r = new ArrayList<>(gone);
        if (grown.size() > 6) {
            r.addAll(grown.subList(0, 6));
            r.add("+" + (grown.size() - 6) + " more");
        } else r.addAll(grown);
        return String.join(", ", r);
    }

    static String nodes(Map<String, Integer> before, Map<String, Integer> after) {
        return before.values().stream().mapToInt(Integer::intValue).sum() + " → " + after.values().stream().mapToInt(Integer::intValue).sum();
    }

    static String reason(List<String> log) {
        for (String l : log) if (l.contains(": left ")) return l.substring(l.lastIndexOf(": ") + 2);
        return log.isEmpty() ? "does not apply" : log.get(log.size() - 1);
    }

    static String fmt(double e) { return e == 0 ? "0 (exact)" : String.format(Locale.ROOT, "%.2e", e); }

    static String render(List<Row> rows, boolean full) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Portability passes\n\n");
        sb.append("Named rewrites for runtimes that lack some ops (old TensorRT/JetPack, Unity Barracuda, Edge TPU, OpenVINO Myriad,\n")
                .append("older TFLite). They live in `passes/src/main/java/dev/onnxport/passes/portable/`; `PortablePasses` lists them\n")
                .append("by name in the order they run (`all()`, `defaults()` without the opt-in ones, `byName(name)`).\n\n");
        sb.append("| pass | what it does |\n|---|---|\n");
        for (Pass p : PortablePasses.all()) {
            String why = PortablePasses.optInReason(p.name());
            sb.append("| `").append(p.name()).append("` | ").append(p.description().replace("|", "\\|"))
                    .append(why == null ? "" : " — **opt-in** (" + why + ")").append(" |\n");
        }
        sb.append("\n## Where they applied\n\n");
        sb.append("Each row: a node case of the ONNX 1.22 suite (`/work/shared/data/onnx-node-1.22/<case>`, or Debian's\n")
                .append("`/usr/share/libonnx-testdata/data/node/<case>` where marked; test_data_set_0 inputs) or a real\n")
                .append("model of `models/models.tsv` (the seeded inputs of `RealModelTest`, after the ONNX cleanup pipeline), or a graph built in\n")
                .append("code. The pass runs once (after shape inference); ops whose count changed are listed as before→after, then the node\n")
                .append("totals, and the max abs difference between onnxruntime on the original model and on the rewritten graph (written by\n")
                .append("the ONNX backend). Real models appear only for passes that changed them.\n\n");
        sb.append("| pass | case | ops before→after | nodes | max abs error | row id |\n|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            sb.append("| `").append(r.pass()).append("` | ").append(r.kase()).append(" | ").append(r.ops()).append(" | ").append(r.nodes())
                    .append(" | ").append(r.error()).append(" | `").append(r.id()).append("` |\n");
        }
        sb.append("\nEvery row was produced by\n\n```\n").append(CMD).append(" -Donnxport.portableDocs=true\n```\n\n")
                .append("(conformance/src/test/java/dev/onnxport/conformance/PortablePassesDocs.java; real models come from\n")
                .append("`~/.cache/onnxport/models`, fetched by `models/fetch-models.sh`). One row alone: add\n")
                .append("`-Donnxport.portableDocs.only='<row id regex>'` (it prints the rows and writes `conformance/target/portable-docs.md`).\n");
        if (!full) sb.append("\n(partial table)\n");
        sb.append(NOTES);
        return sb.toString();
    }

    static final String NOTES = """

            ## Notes per pass

            - `nms-single-class` is **best-class NMS (class-agnostic), not ONNX's multi-class NonMaxSuppression**. Each box
              keeps only its best class (ReduceMax/ArgMax over the classes) and one single-class NMS runs over all boxes.
              Consequences: boxes of different classes suppress each other (an overlapping person and bicycle: the lower
              score goes); a box is reported for one class only, even when a second class also passes the score threshold;
              `max_output_boxes_per_class` bounds the total per batch, not the count per class; rows come by batch, then
              descending score, not by class. Its rows report the selected rows instead of an error (a subset of the exact
              result). Where no two classes compete for a box or an overlap, the selected set is the same. The CLI runs it only
              when asked (`--pass nms-single-class`; no profile lists it). For the exact batched multi-class form, keep the
              model's NonMaxSuppression, or export the model without NMS and append
              `onnxport make nms --classes C --boxes N --max-output K --iou T --score S --box-format xyxy|yxyx|cxcywh`
              with `onnxport merge model.onnx nms.onnx --connect boxes:boxes,scores:scores`: ONNX NonMaxSuppression over
              every batch and class at opset 11, with outputs selected_boxes [M,4], selected_scores [M], selected_classes [M]
              and selected_batch_index [M], rows by batch, class, descending score.
            - `gather-to-slice` also drops an Unsqueeze whose input is computed elementwise from Squeezes of the same axis
              (the Gathers it rewrote): the arithmetic is rebuilt on the kept-dim Slices, so a colour-space conversion
              (`x[:, 0]`, `x[:, 1]`, `x[:, 2]`, arithmetic, `torch.stack(..., 1)`) loses every Gather, Squeeze and Unsqueeze
              (its rows above; `GatherToSliceTest.colourSpaceConversionLosesEveryUnsqueeze` asserts it).
            - `dynamic-batch` is **opt-in**: it changes the model's input shapes (dim 0 = 1 becomes symbolic). Ask for it with
              `convert --dynamic-batch` (or `--pass dynamic-batch`). It rewrites constant Reshape targets that keep dim 0 as
              the batch (a baked 1, 0 or -1); a batch baked into other constants (Expand shapes, ConstantOfShape, Slice ends,
              constant tensors concatenated with activations) is not found, and a Reshape that folds the batch into another
              dim is left (logged). Its rows run the rewritten model at batch 1, 3 and 7 against the original run item by item.
            - `fused-argmax` is opt-in and approximate: its rows give the pixel agreement with the exact ArgMax in onnxruntime,
              and the estimate the pass logs (a synthetic smooth map of the node's shape).
            - Options reach the passes through `PassOptions.portable()` (`PortableOptions`): `mvn-decompose` takes
              `mvnAntiFusion` (`convert --anti-fusion`: a multiply by 1 that stops a runtime from fusing the decomposition
              back), `fused-argmax` takes `argmaxScale` (`convert --fused-argmax-scale S`) and `argmaxMinPixels`.
            - Nodes the passes create take the form of `PassOptions.targetOpset()` when it is set: `convert --to onnx` sets
              it to the opset it writes (`--profile portable-opset11`, `--opset N`), so e.g. Unsqueeze/Squeeze/ReduceSum
              created in an opset-13 model carry their axes as attributes and the file is valid at opset 11. Nodes already in
              the model keep their form; the profile check names those the target cannot read (exit 1, nothing written).
            - `unsqueeze-to-reshape`, `gridsample-decompose`, `gathernd-decompose` need static shapes and say in the pass log
              why they left a node.
            """;

}
