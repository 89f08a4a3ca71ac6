package dev.onnxport.passes.portable;

import dev.onnxport.backends.onnx.OnnxBackend;
import dev.onnxport.backends.onnx.OnnxOptions;
import dev.onnxport.backends.runtime.OrtRunner;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.passes.Pass;
import dev.onnxport.passes.PassContext;
import dev.onnxport.passes.PassOptions;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Test helpers for the portable passes: build tiny graphs, run them in onnxruntime before and after a pass. */
final class Ort {
    private Ort() {}

    static PassContext ctx() { return PassContext.standard(PassOptions.DEFAULT); }

    static Graph graph(int opset) {
        Graph g = new Graph("t");
        g.opsets().put("", opset);
        return g;
    }

    static ValueType f32(long... dims) { return ValueType.of(DType.FLOAT32, dims); }

    static ValueType i64(long... dims) { return ValueType.of(DType.INT64, dims); }

    /** A node with one output of the given type. */
    static Value node(Graph g, String op, dev.onnxport.ir.Attrs a, ValueType t, Value... ins) {
        return nodeIn(g, "", op, a, t, ins);
    }

    static Value nodeIn(Graph g, String domain, String op, dev.onnxport.ir.Attrs a, ValueType t, Value... ins) {
        int opset = domain.isEmpty() ? g.opset() : g.opsets().getOrDefault(domain, 1);
        Node n = g.addNode(domain, op, op.toLowerCase(), java.util.Arrays.asList(ins), a, opset, op.toLowerCase());
        n.output().setType(t);
        return n.output();
    }

    static byte[] model(Graph g) { return OnnxBackend.emit(g, OnnxOptions.DEFAULT); }

    static Map<String, Tensor> run(Graph g, Map<String, Tensor> feeds) {
        try (OrtRunner r = new OrtRunner(model(g))) {
            return r.run(feeds);
        }
    }

    static Map<String, Tensor> run(byte[] model, Map<String, Tensor> feeds) {
        try (OrtRunner r = new OrtRunner(model)) {
            return r.run(feeds);
        }
    }

    static Tensor uniform(Random rnd, double lo, double hi, long... shape) {
        float[] v = new float[(int) Tensor.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
        return Tensor.ofFloats(shape, v);
    }

    static long count(Graph g, String qualifiedOp) {
        return g.nodes().stream().filter(n -> n.qualifiedOp().equals(qualifiedOp)).count();
    }

    /** Max |a - b| over every element of every output (same names, same shapes; NaN equal to NaN). */
    static double maxError(Map<String, Tensor> a, Map<String, Tensor> b, double atol, double rtol) {
        assertEquals(a.keySet(), b.keySet(), "output names");
        double worst = 0;
        for (String k : a.keySet()) {
            Tensor x = a.get(k), y = b.get(k);
            assertEquals(java.util.Arrays.toString(x.shape()), java.util.Arrays.toString(y.shape()), "shape of " + k);
            assertEquals(x.dtype(), y.dtype(), "dtype of " + k);
            double[] xd = x.toDoubles(), yd = y.toDoubles();
            for (int i = 0; i < xd.length; i++) {
                if (Double.isNaN(xd[i]) && Double.isNaN(yd[i])) continue;
                if (xd[i] == yd[i]) continue; // also equal infinities
                double e = Math.abs(xd[i] - yd[i]);
                worst = Math.max(worst, e);
                if (!(e <= atol + rtol * Math.abs(xd[i])))
                    throw new AssertionError(k + "[" + i + "]: expected " + xd[i] + ", got " + yd[i] + " (|diff| " + e + ")");
            }
        }
        return worst;
    }

    /** The result of one before/after check. */
    record Check(Map<String, Integer> before, Map<String, Integer> after, double maxError, List<String> log) {}

    /**
     * Builds the graph, runs it in onnxruntime, applies the pass (which must report a change and remove the given
     * ops), runs it again and compares every output within atol + rtol * |expected|.
     */
    static Check check(Supplier<Graph> build, Pass p, Map<String, Tensor> feeds, double atol, double rtol, String... gone) {
        Graph g = build.get();
        Map<String, Integer> before = new LinkedHashMap<>(g.opHistogram());
        Map<String, Tensor> ref = run(g, feeds);
        PassContext ctx = ctx();
        assertTrue(p.run(g, ctx), p.name() + " reported no change on\n" + g.dump() + ctx.log());
        for (String op : gone) assertEquals(0, count(g, op), op + " left after " + p.name() + ":\n" + g.dump());
        Map<String, Tensor> got = run(g, feeds);
        double e = maxError(ref, got, atol, rtol);
        return new Check(before, new LinkedHashMap<>(g.opHistogram()), e, ctx.log());
    }

    /** The pass must report no change and leave the graph's dump() as it was. */
    static List<String> assertUnchanged(Graph g, Pass p) {
        String before = g.dump();
        int constants = g.constants().size();
        PassContext ctx = ctx();
        assertFalse(p.run(g, ctx), p.name() + " reported a change on\n" + before);
        assertEquals(before, g.dump());
        assertEquals(constants, g.constants().size(), "constants added");
        return new ArrayList<>(ctx.log());
    }
}
