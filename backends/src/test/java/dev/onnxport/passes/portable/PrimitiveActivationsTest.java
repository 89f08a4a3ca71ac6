package dev.onnxport.passes.portable;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.onnxport.passes.portable.Ort.f32;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** primitive-activations: every lowered op matches onnxruntime's own kernel on three shapes. */
class PrimitiveActivationsTest {
    static final List<long[]> SHAPES = List.of(new long[] {7}, new long[] {2, 3, 5}, new long[] {1, 4, 3, 3});
    final Random rnd = new Random(11);

    /** y = op(x[, extra]) at the given opset, x uniform in [lo, hi). */
    void check(String domain, String op, int opset, Attrs a, double lo, double hi, Tensor extra) {
        for (long[] shape : SHAPES) {
            Tensor x = Ort.uniform(rnd, lo, hi, shape);
            Tensor ex = extra != null && extra.rank() > 0 && op.equals("PRelu") ? slope(shape) : extra;
            Ort.Check c = Ort.check(() -> {
                Graph g = Ort.graph(opset);
                if (!domain.isEmpty()) g.opsets().put(domain, 1);
                Value in = g.addInput("x", f32(shape));
                Value y = ex == null ? Ort.nodeIn(g, domain, op, a, f32(shape), in)
                        : Ort.nodeIn(g, domain, op, a, f32(shape), in, g.addConstant("e", ex));
                g.addOutput(y);
                return g;
            }, new PrimitiveActivations(), Map.of("x", x), 1e-5, 1e-5, (domain.isEmpty() ? "" : domain + ".") + op);
            assertTrue(c.maxError() <= 1e-5 + 1e-5 * 1000, op + " error " + c.maxError());
        }
    }

    Tensor slope(long[] shape) { return Ort.uniform(rnd, 0, 0.5, shape[shape.length - 1]); }

    @Test void erf() { check("", "Erf", 13, Attrs.EMPTY, -5, 5, null); }

    @Test void gelu() {
        check("", "Gelu", 20, Attrs.EMPTY, -6, 6, null);
        check("", "Gelu", 20, Attrs.builder().put("approximate", "tanh").build(), -6, 6, null);
        check("com.microsoft", "Gelu", 17, Attrs.EMPTY, -6, 6, null);
    }

    @Test void hardActivations() {
        check("", "HardSwish", 14, Attrs.EMPTY, -5, 5, null);
        check("", "HardSigmoid", 13, Attrs.EMPTY, -5, 5, null);
        check("", "HardSigmoid", 13, Attrs.builder().put("alpha", 0.3f).put("beta", 0.4f).build(), -5, 5, null);
    }

    @Test void reluFamily() {
        check("", "LeakyRelu", 13, Attrs.EMPTY, -5, 5, null);
        check("", "LeakyRelu", 13, Attrs.builder().put("alpha", 1.7f).build(), -5, 5, null);
        check("", "PRelu", 13, Attrs.EMPTY, -5, 5, Tensor.ofFloats(new long[] {1}, 0));
        check("", "PRelu", 9, Attrs.EMPTY, -5, 5, Tensor.ofFloats(new long[] {1}, 0));
    }

    @Test void softplusAndMish() {
        check("", "Softplus", 13, Attrs.EMPTY, -100, 100, null);
        check("", "Softplus", 13, Attrs.EMPTY, -5, 5, null);
        check("", "Mish", 18, Attrs.EMPTY, -30, 30, null);
    }

    @Test void absNeg() {
        check("", "Abs", 13, Attrs.EMPTY, -5, 5, null);
        check("", "Neg", 13, Attrs.EMPTY, -5, 5, null);
    }

    @Test void absNegInt64() {
        for (String op : List.of("Abs", "Neg")) {
            long[] shape = {2, 3};
            Ort.check(() -> {
                Graph g = Ort.graph(13);
                Value in = g.addInput("x", ValueType.of(DType.INT64, shape));
                g.addOutput(Ort.node(g, op, Attrs.EMPTY, ValueType.of(DType.INT64, shape), in));
                return g;
            }, new PrimitiveActivations(), Map.of("x", Tensor.ofLongs(shape, -3, 0, 5, -7, 9, Long.MIN_VALUE + 1)), 0, 0, op);
        }
    }

    @Test void powByConstant() {
        for (float e : new float[] {2, 3, 5, -2, 0.5f, -0.5f, 1.7f, 1, -1})
            check("", "Pow", 13, Attrs.EMPTY, 0.1, 3, Tensor.ofFloats(new long[0], e));
        for (float e : new float[] {2, 3, -3})
            check("", "Pow", 13, Attrs.EMPTY, -3, 3, Tensor.ofFloats(new long[0], e));
        check("", "Pow", 13, Attrs.EMPTY, -3, 3, Tensor.ofFloats(new long[] {1}, 2));
    }

    @Test void unchangedOnOtherOps() {
        Graph g = Ort.graph(13);
        Value in = g.addInput("x", f32(2, 3));
        Value r = Ort.node(g, "Relu", Attrs.EMPTY, f32(2, 3), in);
        Value e = g.addConstant("e", Tensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 1, 2, 3));
        g.addOutput(Ort.node(g, "Pow", Attrs.EMPTY, f32(2, 3), r, e)); // a non-scalar exponent stays
        Ort.assertUnchanged(g, new PrimitiveActivations());
    }
}
