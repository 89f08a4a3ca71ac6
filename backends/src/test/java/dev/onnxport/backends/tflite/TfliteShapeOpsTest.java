package dev.onnxport.backends.tflite;

import dev.onnxport.backends.Pipelines;
import dev.onnxport.backends.onnx.OnnxBackend;
import dev.onnxport.backends.onnx.OnnxOptions;
import dev.onnxport.backends.runtime.OrtRunner;
import dev.onnxport.backends.runtime.TfliteRunner;
import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.passes.PassContext;
import dev.onnxport.passes.PassManager;
import dev.onnxport.passes.PassOptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shape family's TFLite lowerings on the forms the ONNX node tests do not reach (constant parameters, older
 * opsets' attributes, dynamic batch, rank 6+): each graph runs in onnxruntime and in the TFLite 2.6 interpreter and
 * the results must agree exactly (these ops only move data).
 */
class TfliteShapeOpsTest {
    static final long MAX = Long.MAX_VALUE, MIN = Long.MIN_VALUE;

    // ---------------------------------------------------------------------------------------------- harness

    record In(String name, ValueType type, Tensor data) {}

    static ValueType t(DType dt, long... dims) { return ValueType.of(dt, dims); }

    static ValueType sym(DType dt, Object... dims) {
        List<Dim> d = new ArrayList<>();
        for (Object o : dims) d.add(o instanceof String s ? Dim.sym(s) : Dim.of(((Number) o).longValue()));
        return new ValueType(dt, Shape.of(d));
    }

    /** Deterministic data: distinct values so that any misplaced element shows. */
    static Tensor data(DType dt, long... shape) {
        int n = (int) Tensor.numel(shape);
        long[] v = new long[n];
        for (int i = 0; i < n; i++) v[i] = dt == DType.BOOL ? (i * 7 % 3 == 0 ? 1 : 0) : (i * 37L % 101) - 50;
        if (dt == DType.UINT8) for (int i = 0; i < n; i++) v[i] = i % 251;
        if (dt.isFloat()) {
            double[] d = new double[n];
            for (int i = 0; i < n; i++) d[i] = v[i] * 0.25;
            return Tensor.fromDoubles(dt, shape, d);
        }
        return Tensor.fromLongs(dt, shape, v);
    }

    static Tensor longs(long... v) { return Tensor.ofLongs(new long[] {v.length}, v); }

    interface Body { void build(Graph g, List<Value> ins); }

    static Graph graph(int opset, List<In> ins, Body b) {
        Graph g = new Graph("t");
        g.opsets().put("", opset);
        List<Value> vs = new ArrayList<>();
        for (In i : ins) vs.add(g.addInput(i.name, i.type));
        b.build(g, vs);
        return g;
    }

    static Node node(Graph g, String op, List<Value> ins, Attrs a, int opset, String... outs) {
        return g.addNodeExact("", op, op + "_" + g.nodes().size(), ins, a, opset, List.of(outs.length == 0 ? new String[] {"y"} : outs));
    }

    static Value c(Graph g, Tensor t) { return g.addConstant("k", t); }

    /** Converts, runs both runtimes and compares every output exactly; returns the TFLite graph's output types. */
    static Graph check(int opset, List<In> ins, Body b) {
        Graph ref = graph(opset, ins, b);
        new PassManager(List.of(), 1).run(ref, PassContext.standard(PassOptions.DEFAULT));
        byte[] onnx = OnnxBackend.emit(ref, OnnxOptions.DEFAULT);
        Map<String, Tensor> feed = new LinkedHashMap<>();
        for (In i : ins) feed.put(i.name, i.data);
        Map<String, Tensor> want;
        try (OrtRunner r = new OrtRunner(onnx)) { want = r.run(feed); }
        Graph g = graph(opset, ins, b);
        byte[] tfl = Pipelines.toTflite(g, TfliteOptions.FLOAT32, new PassOptions("nchw"));
        Map<String, Tensor> got = runTflite(tfl, feed);
        for (Map.Entry<String, Tensor> e : want.entrySet()) {
            Tensor w = e.getValue(), a = got.get(e.getKey());
            assertArrayEquals(w.shape(), a.shape(), "shape of " + e.getKey());
            if (w.dtype().isFloat()) assertArrayEquals(w.toDoubles(), a.toDoubles(), 0.0, "values of " + e.getKey());
            else assertArrayEquals(w.toLongs(), a.toLongs(), "values of " + e.getKey());
        }
        return g;
    }

    /**
     * Runs a TFLite model and reads outputs whose shapes are only known after the run (dynamic batch, RESHAPE of a
     * computed shape): the interpreter refreshes output shapes after a run only when that run allocated the tensors.
     */
    static Map<String, Tensor> runTflite(byte[] model, Map<String, Tensor> feed) {
        TfliteRunner.loadNative();
        java.nio.ByteBuffer mb = java.nio.ByteBuffer.allocateDirect(model.length).order(java.nio.ByteOrder.nativeOrder());
        mb.put(model).flip();
        try (org.tensorflow.lite.Interpreter ip = new org.tensorflow.lite.Interpreter(mb, new org.tensorflow.lite.Interpreter.Options())) {
            Object[] ins = new Object[ip.getInputTensorCount()];
            for (int i = 0; i < ins.length; i++) {
                org.tensorflow.lite.Tensor it = ip.getInputTensor(i);
                Tensor v = feed.get(it.name());
                int[] shape = LowerContext.toInt(v.shape());
                ip.resizeInput(i, shape, true);
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect((int) v.byteSize()).order(java.nio.ByteOrder.nativeOrder());
                b.put(v.data()).flip();
                ins[i] = b;
            }
            Map<Integer, Object> outs = new java.util.HashMap<>();
            java.nio.ByteBuffer[] ob = new java.nio.ByteBuffer[ip.getOutputTensorCount()];
            for (int i = 0; i < ob.length; i++) {
                ob[i] = java.nio.ByteBuffer.allocateDirect(1 << 20).order(java.nio.ByteOrder.nativeOrder());
                outs.put(i, ob[i]);
            }
            ip.runForMultipleInputsOutputs(ins, outs);
            Map<String, Tensor> r = new LinkedHashMap<>();
            for (int i = 0; i < ob.length; i++) {
                org.tensorflow.lite.Tensor t = ip.getOutputTensor(i);
                DType dt = switch (t.dataType()) {
                    case FLOAT32 -> DType.FLOAT32;
                    case INT32 -> DType.INT32;
                    case INT64 -> DType.INT64;
                    case UINT8 -> DType.UINT8;
                    case BOOL -> DType.BOOL;
                    case INT8 -> DType.INT8;
                    default -> throw new IllegalStateException("type " + t.dataType());
                };
                ob[i].flip();
                java.nio.ByteBuffer copy = Tensor.alloc(ob[i].remaining());
                copy.put(ob[i]).flip();
                long[] shape = Arrays.stream(t.shape()).asLongStream().toArray();
                r.put(t.name(), Tensor.of(dt, shape, copy));
            }
            return r;
        }
    }

    static Graph one(int opset, String op, In x, List<Tensor> params, Attrs a) {
        return check(opset, List.of(x), (g, v) -> {
            List<Value> ins = new ArrayList<>();
            ins.add(v.get(0));
            for (Tensor p : params) ins.add(p == null ? null : c(g, p));
            g.addOutput(node(g, op, ins, a, opset).output());
        });
    }

    static In x(DType dt, long... shape) { return new In("x", t(dt, shape), data(dt, shape)); }

    static In xf(long... shape) { return x(DType.FLOAT32, shape); }

    static Attrs.Builder at() { return Attrs.builder(); }

    // ---------------------------------------------------------------------------------------------- Slice

    @Test void sliceConstantClampsHugeValuesAndNegativeSteps() {
        one(13, "Slice", xf(4, 6, 5), List.of(longs(1, -1, 0), longs(MAX, MIN, 4), longs(0, 1, -1), longs(1, -2, 3)), Attrs.EMPTY);
        one(13, "Slice", xf(4, 6, 5), List.of(longs(4), longs(-100), longs(2), longs(-3)), Attrs.EMPTY);
        one(13, "Slice", xf(4, 6, 5), List.of(longs(100), longs(-100), longs(1), longs(-1)), Attrs.EMPTY);
        one(13, "Slice", xf(4, 6, 5), List.of(longs(3, 2), longs(4, 5)), Attrs.EMPTY);
        one(13, "Slice", x(DType.INT64, 7), List.of(longs(MIN), longs(MAX), longs(0), longs(2)), Attrs.EMPTY);
    }

    @Test void sliceOpset9Attributes() {
        one(9, "Slice", xf(3, 4, 5), List.of(), at().put("starts", new long[] {0, 1}).put("ends", new long[] {2, 1000}).put("axes", new long[] {1, 2}).build());
        one(7, "Slice", xf(3, 4), List.of(), at().put("starts", new long[] {-2}).put("ends", new long[] {-1}).build());
    }

    @Test void sliceRank6MergesWholeAxes() {
        one(13, "Slice", xf(2, 3, 2, 2, 3, 2), List.of(longs(1, 0), longs(3, 2), longs(1, 4)), Attrs.EMPTY);
    }

    @Test void sliceDynamicBatch() {
        In x = new In("x", sym(DType.FLOAT32, "N", 6, 3), data(DType.FLOAT32, 2, 6, 3));
        check(13, List.of(x), (g, v) -> g.addOutput(node(g, "Slice", List.of(v.get(0), c(g, longs(1, -1)), c(g, longs(5, MIN)), c(g, longs(1, 2)),
                c(g, longs(2, -1))), Attrs.EMPTY, 13).output()));
        check(13, List.of(x), (g, v) -> g.addOutput(node(g, "Slice", List.of(v.get(0), c(g, longs(0)), c(g, longs(MAX)), c(g, longs(0)),
                c(g, longs(1))), Attrs.EMPTY, 13).output()));
    }

    // ---------------------------------------------------------------------------------------------- Pad

    @Test void padConstantForms() {
        one(13, "Pad", xf(2, 3, 4), List.of(longs(0, 1, 2, 0, 1, 0), Tensor.scalarFloat(1.5f)), Attrs.EMPTY);
        one(11, "Pad", xf(2, 3, 4), List.of(longs(1, 0, 0, 0, 0, 3)), Attrs.EMPTY);
        one(13, "Pad", xf(2, 3, 4), List.of(longs(0, -1, 2, 0, 1, -2)), Attrs.EMPTY);
        one(13, "Pad", x(DType.INT64, 2, 3), List.of(longs(1, 1, 1, 1), Tensor.scalarLong(MAX)), Attrs.EMPTY);
        one(18, "Pad", xf(2, 3, 4), List.of(longs(2, 1), Tensor.scalarFloat(-2f), longs(-1)), Attrs.EMPTY);
        one(7, "Pad", xf(2, 3), List.of(), at().put("pads", new long[] {1, 0, 2, 1}).put("value", 3.5f).build());
        one(13, "Pad", xf(1, 2, 2, 3, 4), List.of(longs(0, 0, 1, 0, 1, 0, 0, 0, 1, 2)), Attrs.EMPTY);
        one(13, "Pad", x(DType.BOOL, 2, 3), List.of(longs(1, 0, 0, 2)), Attrs.EMPTY);
        one(13, "Pad", x(DType.UINT8, 2, 3), List.of(longs(1, 0, 0, 2), Tensor.fromLongs(DType.UINT8, new long[0], new long[] {200})), Attrs.EMPTY);
        one(13, "Pad", x(DType.INT8, 2, 3), List.of(longs(1, 0, 0, 2)), at().put("mode", "reflect").build());
        one(13, "Pad", x(DType.BOOL, 2, 3), List.of(longs(1, 0, 0, 2)), at().put("mode", "reflect").build());
        one(13, "Pad", x(DType.BOOL, 2, 3), List.of(longs(1, 0, -1, 2), Tensor.fromLongs(DType.BOOL, new long[0], new long[] {1})), Attrs.EMPTY);
    }

    @Test void padModes() {
        for (String mode : new String[] {"reflect", "edge"}) {
            one(13, "Pad", xf(2, 3, 4), List.of(longs(0, 2, 1, 0, 1, 3)), at().put("mode", mode).build());
            one(13, "Pad", xf(1, 3, 4), List.of(longs(0, 2, 0, 0, 1, 0)), at().put("mode", mode).build());
            one(7, "Pad", xf(3, 4), List.of(), at().put("mode", mode).put("pads", new long[] {1, 2, 0, 1}).build());
        }
        one(19, "Pad", xf(2, 3, 4), List.of(longs(0, 2, 1, 0, 1, 3)), at().put("mode", "wrap").build());
        one(18, "Pad", x(DType.INT32, 2, 3, 4), List.of(longs(3, 1), Tensor.ofInts(new long[0], 0), longs(1)), at().put("mode", "edge").build());
    }

    // ---------------------------------------------------------------------------------------------- Split / Concat

    @Test void splitForms() {
        check(11, List.of(xf(3, 6)), (g, v) -> {
            Node n = node(g, "Split", List.of(v.get(0)), at().put("axis", 1).put("split", new long[] {2, 4}).build(), 11, "a", "b");
            g.addOutput(n.output(0));
            g.addOutput(n.output(1));
        });
        check(18, List.of(xf(7, 2)), (g, v) -> {
            Node n = node(g, "Split", List.of(v.get(0)), at().put("num_outputs", 3).build(), 18, "a", "b", "c");
            for (Value o : n.outputs()) g.addOutput(o);
        });
        check(13, List.of(x(DType.INT64, 2, 6)), (g, v) -> {
            Node n = node(g, "Split", List.of(v.get(0), c(g, longs(1, 2, 3))), at().put("axis", -1).build(), 13, "a", "b", "c");
            for (Value o : n.outputs()) g.addOutput(o);
        });
        check(13, List.of(x(DType.BOOL, 4, 2)), (g, v) -> {
            Node n = node(g, "Split", List.of(v.get(0)), Attrs.EMPTY, 13, "a", "b");
            for (Value o : n.outputs()) g.addOutput(o);
        });
    }

    @Test void concatTypesAndConstants() {
        for (DType dt : new DType[] {DType.INT64, DType.BOOL, DType.INT32, DType.UINT8}) {
            check(13, List.of(x(dt, 2, 3)), (g, v) -> g.addOutput(node(g, "Concat", List.of(v.get(0), c(g, data(dt, 2, 2)), v.get(0)),
                    at().put("axis", -1).build(), 13).output()));
        }
    }

    // ---------------------------------------------------------------------------------------------- Transpose

    @Test void transposeRank6And7() {
        one(13, "Transpose", xf(2, 2, 2, 3, 2, 2), List.of(), at().put("perm", new long[] {0, 3, 4, 1, 5, 2}).build());
        one(13, "Transpose", xf(2, 3, 2, 2, 2, 2), List.of(), at().put("perm", new long[] {5, 3, 1, 4, 2, 0}).build());
        one(13, "Transpose", xf(2, 2, 3, 2, 2, 2, 2), List.of(), at().put("perm", new long[] {6, 0, 4, 2, 5, 1, 3}).build());
        one(13, "Transpose", x(DType.INT64, 2, 1, 3, 1, 2, 2), List.of(), Attrs.EMPTY);
        one(13, "Transpose", x(DType.BOOL, 2, 3, 4), List.of(), at().put("perm", new long[] {1, 2, 0}).build());
    }

    // ---------------------------------------------------------------------------------------------- Expand / Tile / ConstantOfShape

    @Test void expandTileConstants() {
        one(13, "Expand", xf(3, 1), List.of(longs(2, 1, 3)), Attrs.EMPTY);
        one(13, "Expand", x(DType.INT64, 1, 4), List.of(longs(3, 1)), Attrs.EMPTY);
        one(13, "Tile", xf(2, 3), List.of(longs(2, 3)), Attrs.EMPTY);
        one(13, "Tile", x(DType.BOOL, 2, 1), List.of(longs(1, 4)), Attrs.EMPTY);
    }

    @Test void constantOfShapeFromInput() {
        In s = new In("s", t(DType.INT64, 2), longs(2, 3));
        check(13, List.of(s), (g, v) -> g.addOutput(node(g, "ConstantOfShape", List.of(v.get(0)),
                at().put("value", Tensor.ofInts(new long[] {1}, 7)).build(), 13).output()));
        check(13, List.of(s), (g, v) -> g.addOutput(node(g, "ConstantOfShape", List.of(v.get(0)), Attrs.EMPTY, 13).output()));
    }

    // ---------------------------------------------------------------------------------------------- Reshape & co, dynamic batch

    @Test void reshapeOfComputedShapeKeepsTheBatchSymbol() {
        In x = new In("x", sym(DType.FLOAT32, "N", 3, 4), data(DType.FLOAT32, 2, 3, 4));
        Graph g = check(15, List.of(x), (gr, v) -> {
            Value sh = node(gr, "Shape", List.of(v.get(0)), Attrs.EMPTY, 15, "sh").output();
            Value n0 = node(gr, "Slice", List.of(sh, c(gr, longs(0)), c(gr, longs(1))), Attrs.EMPTY, 15, "n0").output();
            Value n1 = node(gr, "Squeeze", List.of(n0, c(gr, longs(0))), Attrs.EMPTY, 15, "n1").output();
            Value n2 = node(gr, "Unsqueeze", List.of(n1, c(gr, longs(0))), Attrs.EMPTY, 15, "n2").output();
            Value cat = node(gr, "Concat", List.of(n2, c(gr, longs(-1))), at().put("axis", 0).build(), 15, "cat").output();
            gr.addOutput(node(gr, "Reshape", List.of(v.get(0), cat), Attrs.EMPTY, 15).output());
        });
        assertEquals(Shape.of(List.of(Dim.sym("N"), Dim.of(12))), g.outputs().get(0).shape());
        Graph h = check(15, List.of(x), (gr, v) -> {
            Value sh = node(gr, "Shape", List.of(v.get(0)), at().put("end", 1).build(), 15, "sh").output();
            Value cat = node(gr, "Concat", List.of(sh, c(gr, longs(2, 6))), at().put("axis", 0).build(), 15, "cat").output();
            gr.addOutput(node(gr, "Reshape", List.of(v.get(0), cat), Attrs.EMPTY, 15).output());
        });
        assertEquals(Shape.of(List.of(Dim.sym("N"), Dim.of(2), Dim.of(6))), h.outputs().get(0).shape());
    }

    @Test void reshapeLikeOpsWithDynamicBatch() {
        In x = new In("x", sym(DType.FLOAT32, "N", 2, 3), data(DType.FLOAT32, 3, 2, 3));
        check(13, List.of(x), (g, v) -> g.addOutput(node(g, "Flatten", List.of(v.get(0)), Attrs.EMPTY, 13).output()));
        check(13, List.of(x), (g, v) -> g.addOutput(node(g, "Reshape", List.of(v.get(0), c(g, longs(0, 3, -1))), Attrs.EMPTY, 13).output()));
        check(11, List.of(x), (g, v) -> g.addOutput(node(g, "Unsqueeze", List.of(v.get(0)), at().put("axes", new long[] {1, -1}).build(), 11).output()));
        check(13, List.of(x), (g, v) -> g.addOutput(node(g, "Transpose", List.of(v.get(0)), at().put("perm", new long[] {2, 0, 1}).build(), 13).output()));
        check(15, List.of(x), (g, v) -> g.addOutput(node(g, "Shape", List.of(v.get(0)), at().put("start", -2).build(), 15).output()));
        check(13, List.of(x), (g, v) -> g.addOutput(node(g, "Size", List.of(v.get(0)), Attrs.EMPTY, 13).output()));
        check(13, List.of(x), (g, v) -> g.addOutput(node(g, "Expand", List.of(v.get(0), c(g, longs(2, 1, 1, 1))), Attrs.EMPTY, 13).output()));
    }

    @Test void severalUnknownDimsComeFromTheRunTimeShape() {
        In x = new In("x", sym(DType.FLOAT32, "", "", 4), data(DType.FLOAT32, 2, 3, 4));
        check(13, List.of(x), (g, v) -> g.addOutput(node(g, "Unsqueeze", List.of(v.get(0), c(g, longs(1, -1))), Attrs.EMPTY, 13).output()));
        check(13, List.of(x), (g, v) -> g.addOutput(node(g, "Squeeze", List.of(node(g, "Unsqueeze", List.of(v.get(0), c(g, longs(1))),
                Attrs.EMPTY, 13, "u").output(), c(g, longs(1))), Attrs.EMPTY, 13).output()));
        check(13, List.of(x), (g, v) -> g.addOutput(node(g, "Flatten", List.of(v.get(0)), at().put("axis", 2).build(), 13).output()));
        check(13, List.of(x), (g, v) -> g.addOutput(node(g, "Reshape", List.of(v.get(0), c(g, longs(0, 0, 2, 2))), Attrs.EMPTY, 13).output()));
        In s = new In("s", t(DType.INT64, 3), longs(0, -1, 2));
        check(13, List.of(x, s), (g, v) -> g.addOutput(node(g, "Reshape", List.of(v.get(0), v.get(1)), Attrs.EMPTY, 13).output()));
        In y = new In("x1", sym(DType.FLOAT32, "", 1), data(DType.FLOAT32, 3, 1));
        In e = new In("e", t(DType.INT64, 3), longs(2, 1, 5));
        check(13, List.of(y, e), (g, v) -> g.addOutput(node(g, "Expand", List.of(v.get(0), v.get(1)), Attrs.EMPTY, 13).output()));
        check(13, List.of(x), (g, v) -> g.addOutput(node(g, "Concat", List.of(v.get(0)), at().put("axis", 0).build(), 13).output()));
    }

    @Test void squeezeUnsqueezeAttributes() {
        one(11, "Squeeze", xf(1, 3, 1, 2), List.of(), at().put("axes", new long[] {-2}).build());
        one(11, "Squeeze", xf(1, 3, 1, 2), List.of(), Attrs.EMPTY);
        one(11, "Unsqueeze", xf(3, 2), List.of(), at().put("axes", new long[] {0, 3}).build());
    }

    // ---------------------------------------------------------------------------------------------- the rest

    @Test void rangeInt64FromInputs() {
        List<In> ins = List.of(new In("a", t(DType.INT64), Tensor.scalarLong(10)), new In("b", t(DType.INT64), Tensor.scalarLong(-3)),
                new In("d", t(DType.INT64), Tensor.scalarLong(-4)));
        check(11, ins, (g, v) -> g.addOutput(node(g, "Range", v, Attrs.EMPTY, 11).output()));
    }

    @Test void triluCompressEyeLikeCenterCropPad() {
        one(14, "Trilu", x(DType.INT64, 2, 3, 4), List.of(Tensor.scalarLong(1)), at().put("upper", 0).build());
        one(14, "Trilu", x(DType.INT64, 4, 3), List.of(Tensor.scalarLong(-1)), Attrs.EMPTY);
        one(11, "Compress", xf(3, 4), List.of(Tensor.fromLongs(DType.BOOL, new long[] {3}, new long[] {1, 0, 1})), at().put("axis", 1).build());
        one(11, "Compress", xf(3, 4), List.of(Tensor.fromLongs(DType.BOOL, new long[] {5}, new long[] {0, 1, 1, 0, 1})), Attrs.EMPTY);
        one(9, "EyeLike", xf(3, 5), List.of(), at().put("k", -1).build());
        one(18, "CenterCropPad", xf(5, 8, 3), List.of(longs(7, 3)), at().put("axes", new long[] {0, -2}).build());
    }

    @Test void identityOfGraphInput() {
        Graph g = one(13, "Identity", x(DType.INT64, 2, 2), List.of(), Attrs.EMPTY);
        assertTrue(g.nodes().size() >= 1);
        assertEquals(Arrays.asList("y"), g.outputs().stream().map(Value::name).toList());
    }
}
