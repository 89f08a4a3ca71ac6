package dev.onnxport.ir.ops;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ElementwiseOpsTest {
    static final OpRegistry R = OpRegistry.standard();

    // ------------------------------------------------------------------ helpers

    /** A node over graph inputs of the given types (null = omitted input). */
    static Node node(String op, int opset, Attrs a, ValueType... ins) {
        Graph g = new Graph("t");
        g.opsets().put("", opset);
        List<Value> vs = new ArrayList<>();
        for (int i = 0; i < ins.length; i++) vs.add(ins[i] == null ? null : g.addInput("x" + i, ins[i]));
        return g.addNodeExact("", op, op, vs, a, opset, List.of("y"));
    }

    static ValueType infer(String op, ValueType... ins) { return infer(op, 17, Attrs.EMPTY, ins); }

    static ValueType infer(String op, int opset, Attrs a, ValueType... ins) { return R.infer(node(op, opset, a, ins)).get(0); }

    static ValueType t(DType dt, Object... dims) {
        List<Dim> d = new ArrayList<>();
        for (Object o : dims) d.add(o instanceof String s ? Dim.sym(s) : Dim.of(((Number) o).longValue()));
        return new ValueType(dt, Shape.of(d));
    }

    /** Evaluates op on constant tensors (null = omitted input). */
    static Tensor eval(String op, int opset, Attrs a, Tensor... ins) {
        ValueType[] ts = new ValueType[ins.length];
        for (int i = 0; i < ins.length; i++) ts[i] = ins[i] == null ? null : ins[i].type();
        Node n = node(op, opset, a, ts);
        List<Tensor> r = R.get(op).eval().eval(n, Arrays.asList(ins));
        return r == null ? null : r.get(0);
    }

    static Tensor eval(String op, Tensor... ins) { return eval(op, 17, Attrs.EMPTY, ins); }

    static Tensor f(long[] shape, float... v) { return Tensor.ofFloats(shape, v); }

    static Tensor f(float... v) { return Tensor.ofFloats(new long[] {v.length}, v); }

    static Tensor i32(int... v) { return Tensor.ofInts(new long[] {v.length}, v); }

    static Tensor i64(long... v) { return Tensor.ofLongs(new long[] {v.length}, v); }

    static Tensor typed(DType dt, long... v) { return Tensor.fromLongs(dt, new long[] {v.length}, v); }

    static Tensor bools(int... v) {
        long[] l = new long[v.length];
        for (int i = 0; i < v.length; i++) l[i] = v[i];
        return Tensor.fromLongs(DType.BOOL, new long[] {v.length}, l);
    }

    static void assertFloats(Tensor t, double tol, double... expected) {
        assertEquals(DType.FLOAT32, t.dtype());
        double[] d = t.toDoubles();
        assertEquals(expected.length, d.length, "element count");
        for (int i = 0; i < d.length; i++) {
            if (Double.isNaN(expected[i])) assertTrue(Double.isNaN(d[i]), "element " + i + " should be NaN, got " + d[i]);
            else assertEquals(expected[i], d[i], tol, "element " + i);
        }
    }

    // ------------------------------------------------------------------ shape functions

    @Test void broadcastShapesKeepSymbolsAndTypes() {
        assertEquals(t(DType.FLOAT32, "N", 3, 4), infer("Add", t(DType.FLOAT32, "N", 1, 4), t(DType.FLOAT32, 3, 1)));
        assertEquals(t(DType.INT64, 2, 3), infer("Mul", t(DType.INT64, 2, 1), t(DType.INT64, 3)));
        assertEquals(t(DType.FLOAT32, 5), infer("Pow", t(DType.FLOAT32, 5), t(DType.INT64)));
        assertEquals(t(DType.INT32, 2, 3, 4), infer("Max", t(DType.INT32, 4), t(DType.INT32, 3, 1), t(DType.INT32, 2, 1, 1)));
        assertEquals(t(DType.FLOAT32, 3), infer("Mean", t(DType.FLOAT32, 3)));
        assertThrows(ConversionException.class, () -> infer("Sub", t(DType.FLOAT32, 3), t(DType.FLOAT32, 4)));
    }

    @Test void comparisonsAndLogicGiveBool() {
        assertEquals(t(DType.BOOL, 3, 4), infer("Less", t(DType.FLOAT32, 3, 4), t(DType.FLOAT32, 4)));
        assertEquals(t(DType.BOOL, 2, 2), infer("GreaterOrEqual", t(DType.INT8, 2, 1), t(DType.INT8, 1, 2)));
        assertEquals(t(DType.BOOL, "B", 5), infer("Xor", t(DType.BOOL, "B", 5), t(DType.BOOL, 5)));
        assertEquals(t(DType.BOOL, 7), infer("Not", t(DType.BOOL, 7)));
        assertEquals(t(DType.BOOL, 2, 3), infer("IsNaN", t(DType.FLOAT32, 2, 3)));
        assertEquals(t(DType.BOOL, 6), infer("IsInf", t(DType.FLOAT32, 6)));
    }

    @Test void whereBroadcastsThreeWaysWithTheValueType() {
        assertEquals(t(DType.INT64, 2, 3, 4), infer("Where", t(DType.BOOL, 3, 1), t(DType.INT64, 2, 1, 4), t(DType.INT64)));
    }

    @Test void preluKeepsXShapeAndRejectsSlopesThatGrowIt() {
        assertEquals(t(DType.FLOAT32, "N", 3, 8, 8), infer("PRelu", t(DType.FLOAT32, "N", 3, 8, 8), t(DType.FLOAT32, 3, 1, 1)));
        assertThrows(ConversionException.class, () -> infer("PRelu", t(DType.FLOAT32, 3), t(DType.FLOAT32, 2, 3)));
    }

    @Test void castTargetsComeFromTheAttributeOrTheLikeInput() {
        assertEquals(t(DType.INT32, "N", 2), infer("Cast", 13, Attrs.builder().put("to", 6L).build(), t(DType.FLOAT32, "N", 2)));
        assertEquals(t(DType.FLOAT16, 4), infer("CastLike", 15, Attrs.EMPTY, t(DType.INT8, 4), t(DType.FLOAT16, 1)));
        assertThrows(ConversionException.class, () -> infer("Cast", 13, Attrs.builder().put("to", 17L).build(), t(DType.FLOAT32, 2)));
    }

    @Test void unaryOpsKeepTypeAndShape() {
        for (String op : List.of("Relu", "Erf", "Gelu", "Mish", "Clip", "Round", "Sign", "Identity", "Acosh", "Softplus"))
            assertEquals(t(DType.FLOAT32, "N", 3), infer(op, t(DType.FLOAT32, "N", 3)), op);
        assertEquals(t(DType.INT8, 3), infer("Clip", 13, Attrs.EMPTY, t(DType.INT8, 3), t(DType.INT8), null));
    }

    // ------------------------------------------------------------------ evaluators: arithmetic

    @Test void addBroadcastsAndWrapsNarrowIntegers() {
        Tensor r = eval("Add", f(new long[] {2, 1}, 1, 2), f(10, 20, 30));
        assertArrayEquals(new long[] {2, 3}, r.shape());
        assertFloats(r, 0, 11, 21, 31, 12, 22, 32);
        assertArrayEquals(new long[] {-56, 127}, eval("Add", typed(DType.INT8, 100, 127), typed(DType.INT8, 100, 0)).toLongs());
        assertArrayEquals(new long[] {254}, eval("Sub", typed(DType.UINT8, 3), typed(DType.UINT8, 5)).toLongs());
    }

    @Test void hugeBroadcastsAreNotEvaluated() {
        Tensor col = Tensor.fromDoubles(DType.FLOAT32, new long[] {4096, 1}, new double[4096]);
        Tensor row = Tensor.fromDoubles(DType.FLOAT32, new long[] {1, 4096}, new double[4096]);
        assertNull(eval("Add", col, row));
        assertNull(eval("Where", Tensor.fromLongs(DType.BOOL, new long[] {4096, 1}, new long[4096]), row, col));
    }

    @Test void integerDivTruncatesTowardZeroAndDivisionByZeroIsNotFolded() {
        assertArrayEquals(new long[] {-2, 2, -2, 3}, eval("Div", i32(-7, 7, 7, 9), i32(3, 3, -3, 3)).toLongs());
        assertNull(eval("Div", i64(1), i64(0)));
        assertFloats(eval("Div", f(1, -1), f(0, 4)), 0, Double.POSITIVE_INFINITY, -0.25);
    }

    @Test void modFollowsTheDivisorOrTheDividendSign() {
        // fmod = 0: sign of the divisor (numpy mod)
        assertArrayEquals(new long[] {2, -2, -1, 1}, eval("Mod", i32(-7, 7, -7, 7), i32(3, -3, -3, 3)).toLongs());
        // fmod = 1: sign of the dividend (C fmod)
        Attrs fmod = Attrs.builder().put("fmod", 1L).build();
        assertArrayEquals(new long[] {-1, 1, -1, 1}, eval("Mod", 13, fmod, i64(-7, 7, -7, 7), i64(3, -3, -3, 3)).toLongs());
        assertFloats(eval("Mod", 13, fmod, f(-4.3f, 7.5f), f(2.1f, -2f)), 1e-6, -0.1, 1.5);
    }

    @Test void powOfIntegersAndMixedTypes() {
        assertArrayEquals(new long[] {1, 32, 729}, eval("Pow", i64(1, 2, 3), i64(4, 5, 6)).toLongs());
        assertArrayEquals(new long[] {1, 4, 27}, eval("Pow", i32(1, 2, 3), f(1, 2, 3)).toLongs());
        assertFloats(eval("Pow", f(2, 4, 9), i64(3, -1, 0)), 1e-7, 8, 0.25, 1);
        assertNull(eval("Pow", i32(2), i32(-1)));
    }

    @Test void bitShiftInBothDirections() {
        Attrs left = Attrs.builder().put("direction", "LEFT").build(), right = Attrs.builder().put("direction", "RIGHT").build();
        assertArrayEquals(new long[] {32, 8, 0}, eval("BitShift", 11, left, typed(DType.UINT8, 16, 4, 1), typed(DType.UINT8, 1, 1, 8)).toLongs());
        assertArrayEquals(new long[] {8, 2, 0}, eval("BitShift", 11, right, typed(DType.UINT8, 16, 4, 255), typed(DType.UINT8, 1, 1, 8)).toLongs());
    }

    @Test void variadicOpsBroadcastEveryInput() {
        Tensor r = eval("Max", f(1, 5), f(new long[] {2, 1}, 3, 0), f(new long[] {1, 1}, 2));
        assertArrayEquals(new long[] {2, 2}, r.shape());
        assertFloats(r, 0, 3, 5, 2, 5);
        assertArrayEquals(new long[] {-3, 0}, eval("Min", typed(DType.INT8, -3, 4), typed(DType.INT8, 1, 0)).toLongs());
        assertFloats(eval("Sum", f(1, 2), f(3, 4), f(5, 6)), 0, 9, 12);
        assertFloats(eval("Mean", f(1, 2), f(3, 4), f(5, 9)), 1e-6, 3, 5);
        assertFloats(eval("Mean", f(7)), 0, 7);
    }

    @Test void preluScalesNegativeValuesBySlope() {
        assertFloats(eval("PRelu", f(new long[] {2, 2}, -2, 3, -4, 5), f(new long[] {2}, 0.5f, 0.25f)), 0, -1, 3, -2, 5);
    }

    // ------------------------------------------------------------------ evaluators: comparisons, logic, Where

    @Test void comparisonsTreatNaNAsUnordered() {
        Tensor a = f(1, Float.NaN, 3, -0f), b = f(2, Float.NaN, 3, 0f);
        assertArrayEquals(new long[] {0, 0, 1, 1}, eval("Equal", a, b).toLongs());
        assertArrayEquals(new long[] {1, 0, 0, 0}, eval("Less", a, b).toLongs());
        assertArrayEquals(new long[] {1, 0, 1, 1}, eval("LessOrEqual", a, b).toLongs());
        assertArrayEquals(new long[] {0, 0, 0, 0}, eval("Greater", a, b).toLongs());
        assertArrayEquals(new long[] {0, 0, 1, 1}, eval("GreaterOrEqual", a, b).toLongs());
        assertArrayEquals(new long[] {1, 0}, eval("Greater", typed(DType.UINT64, -1L, 1), typed(DType.UINT64, 5, 2)).toLongs());
    }

    @Test void logicOps() {
        Tensor a = bools(0, 0, 1, 1), b = bools(0, 1, 0, 1);
        assertArrayEquals(new long[] {0, 0, 0, 1}, eval("And", a, b).toLongs());
        assertArrayEquals(new long[] {0, 1, 1, 1}, eval("Or", a, b).toLongs());
        assertArrayEquals(new long[] {0, 1, 1, 0}, eval("Xor", a, b).toLongs());
        assertArrayEquals(new long[] {1, 1, 0, 0}, eval("Not", a).toLongs());
    }

    @Test void whereSelectsWithBroadcasting() {
        Tensor c = Tensor.fromLongs(DType.BOOL, new long[] {2, 1}, new long[] {1, 0});
        Tensor r = eval("Where", c, i64(1, 2, 3), Tensor.scalarLong(9));
        assertArrayEquals(new long[] {2, 3}, r.shape());
        assertArrayEquals(new long[] {1, 2, 3, 9, 9, 9}, r.toLongs());
    }

    // ------------------------------------------------------------------ evaluators: activations and math

    @Test void activationValues() {
        Tensor x = f(-2, -0.5f, 0, 0.5f, 2);
        assertFloats(eval("Relu", x), 0, 0, 0, 0, 0.5, 2);
        assertFloats(eval("LeakyRelu", 16, Attrs.builder().put("alpha", 0.1f).build(), x), 1e-7, -0.2, -0.05, 0, 0.5, 2);
        assertFloats(eval("Elu", 22, Attrs.builder().put("alpha", 2f).build(), x), 1e-6, 2 * (Math.exp(-2) - 1), 2 * (Math.exp(-0.5) - 1), 0, 0.5, 2);
        double a = 1.67326319217681884765625, g = 1.05070102214813232421875;
        assertFloats(eval("Selu", x), 1e-6, g * a * (Math.exp(-2) - 1), g * a * (Math.exp(-0.5) - 1), 0, g * 0.5, g * 2);
        assertFloats(eval("Celu", 12, Attrs.builder().put("alpha", 2f).build(), x), 1e-6, 2 * (Math.exp(-1) - 1), 2 * (Math.exp(-0.25) - 1), 0, 0.5, 2);
        assertFloats(eval("Sigmoid", x), 1e-7, 0.11920292202, 0.37754066879, 0.5, 0.62245933120, 0.88079707797);
        assertFloats(eval("HardSigmoid", 22, Attrs.builder().put("alpha", 0.5f).put("beta", 0.6f).build(), x), 1e-7, 0, 0.35, 0.6, 0.85, 1);
        assertFloats(eval("HardSwish", f(-4, -1, 0, 1, 4)), 1e-7, 0, -1 / 3.0, 0, 2 / 3.0, 4);
        assertFloats(eval("Softplus", f(-100, 0, 100)), 1e-6, 0, Math.log(2), 100);
        assertFloats(eval("Softsign", f(-3, 1)), 1e-7, -0.75, 0.5);
        assertFloats(eval("ThresholdedRelu", 22, Attrs.builder().put("alpha", 1f).build(), f(0.5f, 1, 1.5f)), 0, 0, 0, 1.5);
        assertFloats(eval("Shrink", 9, Attrs.builder().put("lambd", 1f).put("bias", 0.5f).build(), f(-2, -1, 0, 1, 2)), 0, -1.5, 0, 0, 0, 1.5);
        assertFloats(eval("Mish", f(1)), 1e-6, 0.86509838826);
        assertFloats(eval("Swish", 24, Attrs.builder().put("alpha", 2f).build(), f(1)), 1e-6, 1 / (1 + Math.exp(-2)));
    }

    @Test void geluExactAndTanh() {
        assertFloats(eval("Gelu", 20, Attrs.EMPTY, f(-1, 0, 1, 3)), 1e-6, -0.15865525393, 0, 0.84134474607, 2.99595031741);
        Attrs tanh = Attrs.builder().put("approximate", "tanh").build();
        assertFloats(eval("Gelu", 20, tanh, f(-1, 1)), 1e-6, -0.15880800939, 0.84119199061);
    }

    @Test void erfMatchesReferenceValues() {
        // erf from tables: erf(0.1), erf(0.5), erf(1), erf(2), erf(3.5)
        assertFloats(eval("Erf", f(0.1f, -0.5f, 1, 2, 3.5f, 0)), 2e-7, 0.1124629160, -0.5204998778, 0.8427007929, 0.9953222650, 0.9999992569, 0);
        assertEquals(0.8427007929497149, ElementwiseOps.erf(1.0), 1e-15);
        assertEquals(-0.9999779095030014, ElementwiseOps.erf(-3.0), 1e-15);
    }

    @Test void clipBoundsFromAttributesOrInputs() {
        Attrs old = Attrs.builder().put("min", -1f).put("max", 2f).build();
        assertFloats(eval("Clip", 6, old, f(-3, 0, 5)), 0, -1, 0, 2);
        assertFloats(eval("Clip", 13, Attrs.EMPTY, f(-3, 0, 5), Tensor.scalarFloat(-1), null), 0, -1, 0, 5);
        assertFloats(eval("Clip", 13, Attrs.EMPTY, f(-3, 0, 5), null, Tensor.scalarFloat(1)), 0, -3, 0, 1);
        assertFloats(eval("Clip", 13, Attrs.EMPTY, f(-3, 0, 5), Tensor.scalarFloat(2), Tensor.scalarFloat(1)), 0, 1, 1, 1);
        Tensor i8 = eval("Clip", 13, Attrs.EMPTY, typed(DType.INT8, -100, 5, 100), Tensor.fromLongs(DType.INT8, new long[0], new long[] {-10}),
                Tensor.fromLongs(DType.INT8, new long[0], new long[] {10}));
        assertArrayEquals(new long[] {-10, 5, 10}, i8.toLongs());
    }

    @Test void mathFunctions() {
        assertFloats(eval("Round", f(0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, -2.6f)), 0, 0, 2, 2, -0, -2, 2, -3);
        assertFloats(eval("Sign", f(-3, 0, 2, Float.NaN)), 0, -1, 0, 1, Double.NaN);
        assertArrayEquals(new long[] {-1, 0, 1}, eval("Sign", typed(DType.INT8, -5, 0, 7)).toLongs());
        assertArrayEquals(new long[] {5, -128}, eval("Abs", typed(DType.INT8, -5, -128)).toLongs());
        assertArrayEquals(new long[] {-7, 3}, eval("Neg", i64(7, -3)).toLongs());
        assertFloats(eval("Reciprocal", f(4, -0.5f)), 0, 0.25, -2);
        assertFloats(eval("Atan", f(1, -1e6f)), 1e-7, Math.PI / 4, -Math.PI / 2 + 1e-6);
        assertFloats(eval("Asinh", f(-2)), 1e-6, -1.44363547518);
        assertFloats(eval("Acosh", f(2)), 1e-6, 1.31695789692);
        assertFloats(eval("Atanh", f(0.5f)), 1e-6, 0.54930614433);
        assertFloats(eval("Tan", f(1)), 1e-6, 1.55740772465);
        assertArrayEquals(new long[] {1, 0, 0, 0}, eval("IsNaN", f(Float.NaN, 1, Float.POSITIVE_INFINITY, 0)).toLongs());
        Tensor inf = f(Float.NEGATIVE_INFINITY, 1, Float.POSITIVE_INFINITY, Float.NaN);
        assertArrayEquals(new long[] {1, 0, 1, 0}, eval("IsInf", 20, Attrs.EMPTY, inf).toLongs());
        assertArrayEquals(new long[] {0, 0, 1, 0}, eval("IsInf", 20, Attrs.builder().put("detect_negative", 0L).build(), inf).toLongs());
        assertArrayEquals(new long[] {1, 0, 0, 0}, eval("IsInf", 20, Attrs.builder().put("detect_positive", 0L).build(), inf).toLongs());
    }

    @Test void floatOnlyFunctionsAreNotFoldedForIntegers() {
        assertNull(eval("Exp", i32(1)));
        assertNull(eval("Sqrt", i64(4)));
    }

    // ------------------------------------------------------------------ evaluators: casts and copies

    @Test void castTruncatesTowardZeroAndWraps() {
        Attrs toI32 = Attrs.builder().put("to", 6L).build();
        assertArrayEquals(new long[] {-2, 2, 0}, eval("Cast", 13, toI32, f(-2.7f, 2.7f, -0.5f)).toLongs());
        Attrs toU8 = Attrs.builder().put("to", 2L).build();
        assertArrayEquals(new long[] {44, 255}, eval("Cast", 13, toU8, i32(300, -1)).toLongs());
        Attrs toBool = Attrs.builder().put("to", 9L).build();
        assertArrayEquals(new long[] {1, 0, 1}, eval("Cast", 13, toBool, f(0.1f, 0, Float.NaN)).toLongs());
        Attrs toF = Attrs.builder().put("to", 1L).build();
        assertFloats(eval("Cast", 13, toF, bools(1, 0)), 0, 1, 0);
        assertNull(eval("Cast", 13, toI32, f(Float.NaN)));
        Tensor like = eval("CastLike", 15, Attrs.EMPTY, f(1.9f, -1.9f), typed(DType.INT8, 0));
        assertEquals(DType.INT8, like.dtype());
        assertArrayEquals(new long[] {1, -1}, like.toLongs());
    }

    @Test void identityReturnsItsInput() {
        Tensor x = i64(3, 4);
        assertEquals(x, eval("Identity", x));
    }
}
