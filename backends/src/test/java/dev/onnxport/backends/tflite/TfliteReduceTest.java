package dev.onnxport.backends.tflite;

import dev.onnxport.backends.Pipelines;
import dev.onnxport.backends.runtime.TfliteRunner;
import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ops.OpRegistry;
import dev.onnxport.passes.PassOptions;
import org.junit.jupiter.api.Test;

import org.tensorflow.lite.Interpreter;

import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Runs reduction-family lowerings in the TFLite 2.6 interpreter for the forms the ONNX node suites do not reach
 * (float32 LogSumExp, integer and bool reductions, CumProd, TopK on a non-last axis, constant NMS parameters) and
 * compares them with the IR's constant evaluators (themselves checked against hand-computed values).
 */
class TfliteReduceTest {
    /** One op as a graph: inputs (name -> value; a null name makes a constant), attributes, output count. */
    static final class Case {
        final Graph g = new Graph("t");
        final Map<String, Tensor> feeds = new LinkedHashMap<>();
        final List<Value> ins = new ArrayList<>();
        final List<Tensor> all = new ArrayList<>();

        Case() { g.opsets().put("", 18); }

        Case in(String name, Tensor t) {
            all.add(t);
            if (name == null) {
                ins.add(g.addConstant("c" + ins.size(), t));
            } else {
                ins.add(g.addInput(name, t.type()));
                feeds.put(name, t);
            }
            return this;
        }

        Case absent() { ins.add(null); all.add(null); return this; }

        List<Tensor> run(String op, int opset, Attrs a, int outs) throws Exception {
            String[] names = new String[outs];
            for (int i = 0; i < outs; i++) names[i] = "y" + i;
            Node n = g.addNode("", op, op, ins, a, opset, names);
            for (Value o : n.outputs()) g.addOutput(o);
            OpRegistry.EvalFn ev = OpRegistry.standard().get(op).eval();
            List<Tensor> expected = ev == null ? null : ev.eval(n, all);
            byte[] tfl = Pipelines.toTflite(g, TfliteOptions.FLOAT32, new PassOptions("nchw"));
            Map<String, Tensor> got = runFresh(tfl, feeds);
            List<Tensor> res = new ArrayList<>();
            for (int i = 0; i < outs; i++) {
                Tensor t = got.get("y" + i);
                if (expected != null) compare(expected.get(i), t);
                res.add(t);
            }
            return res;
        }
    }

    /**
     * Like TfliteRunner.run, but re-reads each output's shape after the run: the Java API refreshes output
     * shapes only when an input was resized, and these outputs have data-dependent shapes (run-time axes or k,
     * NMS selections).
     */
    static Map<String, Tensor> runFresh(byte[] model, Map<String, Tensor> feeds) throws Exception {
        TfliteRunner.loadNative();
        ByteBuffer mb = ByteBuffer.allocateDirect(model.length).order(ByteOrder.nativeOrder());
        mb.put(model).flip();
        Interpreter.Options o = new Interpreter.Options();
        o.setNumThreads(1);
        try (Interpreter it = new Interpreter(mb, o)) {
            Object[] ins = new Object[it.getInputTensorCount()];
            for (int i = 0; i < ins.length; i++) {
                Tensor v = feeds.get(it.getInputTensor(i).name());
                ByteBuffer b = ByteBuffer.allocateDirect((int) v.byteSize()).order(ByteOrder.nativeOrder());
                b.put(v.data()).flip();
                ins[i] = b;
            }
            Map<Integer, Object> outs = new HashMap<>();
            for (int i = 0; i < it.getOutputTensorCount(); i++) outs.put(i, ByteBuffer.allocateDirect(1 << 16).order(ByteOrder.nativeOrder()));
            it.runForMultipleInputsOutputs(ins, outs);
            Method refresh = org.tensorflow.lite.Tensor.class.getDeclaredMethod("refreshShape");
            refresh.setAccessible(true);
            Map<String, Tensor> r = new LinkedHashMap<>();
            for (int i = 0; i < it.getOutputTensorCount(); i++) {
                org.tensorflow.lite.Tensor t = it.getOutputTensor(i);
                refresh.invoke(t);
                long[] shape = Arrays.stream(t.shape()).asLongStream().toArray();
                DType dt = switch (t.dataType()) {
                    case FLOAT32 -> DType.FLOAT32;
                    case INT32 -> DType.INT32;
                    case INT64 -> DType.INT64;
                    case BOOL -> DType.BOOL;
                    default -> throw new IllegalStateException("output type " + t.dataType());
                };
                ByteBuffer src = t.asReadOnlyBuffer().order(ByteOrder.nativeOrder());
                ByteBuffer copy = Tensor.alloc(src.remaining());
                copy.put(src).flip();
                r.put(t.name(), Tensor.of(dt, shape, copy));
            }
            return r;
        }
    }

    static void compare(Tensor e, Tensor a) {
        assertArrayEquals(e.shape(), a.shape(), "shape");
        assertEquals(e.dtype(), a.dtype(), "dtype");
        double[] x = e.toDoubles(), y = a.toDoubles();
        for (int i = 0; i < x.length; i++)
            assertEquals(x[i], y[i], 1e-4 + 1e-3 * Math.abs(x[i]), "element " + i + ": " + Arrays.toString(y) + " vs " + Arrays.toString(x));
    }

    static Attrs attrs(Object... kv) {
        Attrs.Builder b = Attrs.builder();
        for (int i = 0; i < kv.length; i += 2) {
            Object v = kv[i + 1];
            if (v instanceof long[] l) b.put((String) kv[i], l);
            else if (v instanceof Float f) b.put((String) kv[i], f);
            else b.put((String) kv[i], ((Number) v).longValue());
        }
        return b.build();
    }

    static Tensor seq(DType dt, long[] shape, double start, double step) {
        double[] d = new double[(int) Tensor.numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = start + step * i;
        return Tensor.fromDoubles(dt, shape, d);
    }

    static final Tensor F = Tensor.ofFloats(new long[] {2, 3, 4}, 0.5f, -1, 2, 3, 80, 81, -2, 0, 1, 1, 1, 1,
            -5, 4, 2.5f, 3, 0, 0, 7, -7, 9, 8, 7, 6);

    @Test void logSumExpFloat32() throws Exception {
        new Case().in("x", F).run("ReduceLogSumExp", 13, attrs("axes", new long[] {1}, "keepdims", 0), 1);
        new Case().in("x", F).run("ReduceLogSumExp", 13, attrs("axes", new long[] {0, 2}, "keepdims", 1), 1);
        new Case().in("x", F).in(null, Tensor.ofLongs(new long[] {1}, -1)).run("ReduceLogSumExp", 18, attrs("keepdims", 0), 1);
        new Case().in("x", F).in("axes", Tensor.ofLongs(new long[] {2}, 0, -1)).run("ReduceLogSumExp", 18, attrs("keepdims", 0), 1);
        new Case().in("x", F).run("ReduceLogSumExp", 13, attrs("keepdims", 0), 1);
        Tensor r5 = seq(DType.FLOAT32, new long[] {2, 1, 3, 2, 2}, -3, 0.37);
        new Case().in("x", r5).run("ReduceLogSumExp", 13, attrs("axes", new long[] {2, 4}, "keepdims", 0), 1);
    }

    @Test void floatCompositesWithConstantAxes() throws Exception {
        for (String op : List.of("ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceMean", "ReduceProd", "ReduceMin"))
            new Case().in("x", F).run(op, 13, attrs("axes", new long[] {-1, 0}, "keepdims", 0), 1);
        Tensor pos = seq(DType.FLOAT32, new long[] {2, 3, 4}, 0.25, 0.5);
        new Case().in("x", pos).run("ReduceLogSum", 13, attrs("axes", new long[] {1}, "keepdims", 1), 1);
    }

    @Test void integerAndBoolReductions() throws Exception {
        Tensor i32 = seq(DType.INT32, new long[] {2, 3, 4}, -7, 1);
        Tensor i64 = seq(DType.INT64, new long[] {2, 3, 4}, -11, 1);
        for (String op : List.of("ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceMean")) {
            new Case().in("x", i32).run(op, 13, attrs("axes", new long[] {1}, "keepdims", 0), 1);
            new Case().in("x", i64).run(op, 13, attrs("axes", new long[] {2}, "keepdims", 1), 1);
        }
        new Case().in("x", i32).run("ReduceSumSquare", 13, attrs("axes", new long[] {0}, "keepdims", 1), 1);
        Tensor b = Tensor.fromLongs(DType.BOOL, new long[] {3, 2}, new long[] {1, 1, 0, 1, 0, 0});
        new Case().in("x", b).run("ReduceMax", 13, attrs("axes", new long[] {1}, "keepdims", 0), 1);
        new Case().in("x", b).run("ReduceMin", 13, attrs("axes", new long[] {0}, "keepdims", 1), 1);
    }

    @Test void noopAndScalarOutputs() throws Exception {
        new Case().in("x", F).in(null, Tensor.ofLongs(new long[] {0})).run("ReduceSum", 13, attrs("noop_with_empty_axes", 1), 1);
        new Case().in("x", F).run("ReduceMax", 13, attrs("keepdims", 0), 1);
    }

    @Test void argMinMaxForms() throws Exception {
        Tensor ties = Tensor.ofInts(new long[] {2, 4}, 3, 9, 9, 1, 4, 4, 0, 4);
        new Case().in("x", ties).run("ArgMax", 13, attrs("axis", 1, "select_last_index", 1), 1);
        new Case().in("x", ties).run("ArgMin", 13, attrs("axis", 0, "keepdims", 0, "select_last_index", 1), 1);
        new Case().in("x", F).run("ArgMin", 13, attrs("axis", -2, "keepdims", 0), 1);
    }

    @Test void topKForms() throws Exception {
        new Case().in("x", F).in(null, Tensor.ofLongs(new long[] {1}, 2)).run("TopK", 11, attrs("axis", 1, "largest", 0), 2);
        new Case().in("x", F).run("TopK", 1, attrs("axis", 0, "k", 1), 2);
        Tensor i = Tensor.ofInts(new long[] {2, 5}, 5, 1, 5, 3, 1, 0, 0, 2, 2, 0);
        new Case().in("x", i).in("k", Tensor.ofLongs(new long[] {1}, 3)).run("TopK", 11, attrs(), 2);
        new Case().in("x", i).in(null, Tensor.ofLongs(new long[] {1}, 4)).run("TopK", 11, attrs("largest", 0), 2);
    }

    @Test void cumSumForms() throws Exception {
        new Case().in("x", F).in(null, Tensor.ofLongs(new long[0], 1)).run("CumSum", 14, attrs("exclusive", 1), 1);
        new Case().in("x", F).in("axis", Tensor.ofLongs(new long[0], -1)).run("CumSum", 14, attrs("reverse", 1), 1);
        new Case().in("x", seq(DType.INT64, new long[] {3, 2}, 1, 3)).in(null, Tensor.ofInts(new long[] {1}, 0))
                .run("CumSum", 14, attrs("reverse", 1, "exclusive", 1), 1);
    }

    @Test void cumProdForms() throws Exception {
        Tensor small = seq(DType.FLOAT32, new long[] {2, 3, 2}, 0.5, 0.25);
        for (int ex = 0; ex < 2; ex++)
            for (int rev = 0; rev < 2; rev++)
                new Case().in("x", small).in(null, Tensor.ofLongs(new long[0], 1)).run("CumProd", 22, attrs("exclusive", ex, "reverse", rev), 1);
        new Case().in("x", Tensor.ofInts(new long[] {5}, 1, 2, 3, 4, 5)).in("axis", Tensor.ofInts(new long[0], 0))
                .run("CumProd", 22, attrs("exclusive", 1), 1);
        new Case().in("x", Tensor.ofInts(new long[] {2, 3}, 1, 2, 3, 4, 5, 6)).in(null, Tensor.ofInts(new long[0], -2))
                .run("CumProd", 22, attrs(), 1);
    }

    static final Tensor BOXES = Tensor.ofFloats(new long[] {1, 6, 4},
            0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 0, -0.1f, 1, 0.9f, 0, 10, 1, 11, 0, 10.1f, 1, 11.1f, 0, 100, 1, 101);

    @Test void nmsWithConstantParameters() throws Exception {
        Tensor scores = Tensor.ofFloats(new long[] {1, 2, 6}, 0.9f, 0.75f, 0.6f, 0.95f, 0.5f, 0.3f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f);
        List<Tensor> r = new Case().in("boxes", BOXES).in("scores", scores).in(null, Tensor.ofLongs(new long[] {1}, 3))
                .in(null, Tensor.ofFloats(new long[] {1}, 0.5f)).absent().run("NonMaxSuppression", 11, attrs(), 1);
        // class 0: 3 (0.95), 0 (0.9), 5 (0.3); class 1: 5 (0.6), 4 (0.5), 2 (0.3) -- 3 is suppressed by 4
        assertArrayEquals(new long[] {0, 0, 3, 0, 0, 0, 0, 0, 5, 0, 1, 5, 0, 1, 4, 0, 1, 2}, r.get(0).toLongs());
        assertArrayEquals(new long[] {6, 3}, r.get(0).shape());
    }

    @Test void nmsIouBoundaryWithConstantThreshold() throws Exception {
        Tensor boxes = Tensor.ofFloats(new long[] {1, 2, 4}, 0, 0, 1, 1, 0.5f, 0.5f, 1.5f, 1.5f);
        Tensor scores = Tensor.ofFloats(new long[] {1, 1, 2}, 0.9f, 0.8f);
        // IoU = 0.25 / 1.75 = 1/7: ONNX keeps the second box at threshold 1/7 (suppression needs IoU > threshold)
        List<Tensor> r = new Case().in("boxes", boxes).in("scores", scores).in(null, Tensor.ofLongs(new long[] {1}, 3))
                .in(null, Tensor.ofFloats(new long[] {1}, 0.25f / 1.75f)).in(null, Tensor.ofFloats(new long[] {1}, 0f))
                .run("NonMaxSuppression", 11, attrs(), 1);
        assertArrayEquals(new long[] {0, 0, 0, 0, 0, 1}, r.get(0).toLongs());
    }
}
