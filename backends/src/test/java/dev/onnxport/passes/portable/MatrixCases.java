package dev.onnxport.passes.portable;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.passes.Pass;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.onnxport.passes.portable.Ort.f32;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shared cases of inverse-decompose and det-decompose: n = 1..8 (closed form to 4, elimination above), batched and not. */
abstract class MatrixCases {
    final Random rnd = new Random(13);

    /** Well-conditioned random matrices (random entries plus n on the diagonal), rows permuted to force pivoting. */
    Tensor matrices(long[] shape, int n) {
        Tensor t = Ort.uniform(rnd, -1, 1, shape);
        float[] v = t.toFloats();
        int per = n * n;
        for (int m = 0; m < v.length / per; m++) {
            for (int i = 0; i < n; i++) v[m * per + i * n + i] += (i % 2 == 0 ? 1 : -1) * n * 0.6f;
            if (n > 1) { // swap rows 0 and n-1 so that the largest entry of column 0 is not on the diagonal
                for (int j = 0; j < n; j++) {
                    float a = v[m * per + j];
                    v[m * per + j] = v[m * per + (n - 1) * n + j];
                    v[m * per + (n - 1) * n + j] = a;
                }
            }
        }
        return Tensor.ofFloats(shape, v);
    }

    static long[] with(long[] batch, int n) {
        long[] s = java.util.Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = n;
        s[batch.length + 1] = n;
        return s;
    }

    Graph graph(boolean inverse, long[] shape, boolean symbolicBatch) {
        Graph g = Ort.graph(13);
        g.opsets().put("com.microsoft", 1);
        ValueType t = f32(shape);
        if (symbolicBatch && shape.length > 2) {
            List<Dim> d = new ArrayList<>(t.shape().dims());
            d.set(0, Dim.sym("B"));
            t = new ValueType(DType.FLOAT32, Shape.of(d));
        }
        Value x = g.addInput("x", t);
        if (inverse) g.addOutput(Ort.nodeIn(g, "com.microsoft", "Inverse", Attrs.EMPTY, t, x));
        else g.addOutput(Ort.node(g, "Det", Attrs.EMPTY, new ValueType(DType.FLOAT32, Shape.of(t.shape().dims().subList(0, shape.length - 2))), x));
        return g;
    }

    void check(boolean inverse, double atol, double rtol) {
        Pass p = inverse ? new InverseDecompose() : new DetDecompose();
        for (int n = 1; n <= 8; n++) for (long[] batch : new long[][] {{}, {3}, {2, 2}}) for (boolean sym : new boolean[] {false, true}) {
            if (sym && batch.length == 0) continue;
            long[] shape = with(batch, n);
            boolean s = sym;
            Ort.Check c = Ort.check(() -> graph(inverse, shape, s), p, Map.of("x", matrices(shape, n)), atol, rtol,
                    inverse ? "com.microsoft.Inverse" : "Det");
            assertTrue(c.after().containsKey(n <= Matrices.CLOSED_FORM_MAX && n > 1 ? "ReduceProd" : n == 1 ? (inverse ? "Div" : "Squeeze") : "ArgMax"), c.after().toString());
        }
    }
}
