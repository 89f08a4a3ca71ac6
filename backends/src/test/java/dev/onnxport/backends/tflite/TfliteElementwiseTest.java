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
import dev.onnxport.passes.PassOptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The element-wise lowerings run in the TFLite 2.6 interpreter against onnxruntime on the same IR graph: forms the
 * ONNX node tests do not reach (rank-5/6 broadcasting, int64 arithmetic, int8 casts, dynamic shapes, scalars,
 * Clip bounds as attributes and as tensors, wide input ranges for the decomposed math functions).
 */
class TfliteElementwiseTest {
    /** Builds the graph; run twice (once per backend) since the pipelines edit it. */
    interface Builder { void build(G g); }

    /** A graph under construction with helpers. */
    static final class G {
        final Graph g;
        final Map<String, Tensor> feeds = new LinkedHashMap<>();
        final Random rnd = new Random(42);
        int count;

        G(int opset) {
            g = new Graph("t");
            g.opsets().put("", opset);
        }

        Value in(String name, Tensor data) {
            feeds.put(name, data);
            return g.addInput(name, data.type());
        }

        Value in(String name, ValueType declared, Tensor data) {
            feeds.put(name, data);
            return g.addInput(name, declared);
        }

        Value c(Tensor t) { return g.addConstant("k", t); }

        Value op(String op, Attrs a, Value... ins) {
            Node n = g.addNodeExact("", op, null, Arrays.asList(ins), a, g.opset(), List.of(op.toLowerCase() + "_" + count++));
            return n.output();
        }

        Value op(String op, Value... ins) { return op(op, Attrs.EMPTY, ins); }

        void out(Value... vs) { for (Value v : vs) g.addOutput(v); }

        Tensor floats(long[] shape, double lo, double hi) {
            double[] d = new double[Math.toIntExact(Tensor.numel(shape))];
            for (int i = 0; i < d.length; i++) d[i] = lo + (hi - lo) * rnd.nextDouble();
            return Tensor.fromDoubles(DType.FLOAT32, shape, d);
        }

        Tensor ints(DType dt, long[] shape, long lo, long hi) {
            long[] d = new long[Math.toIntExact(Tensor.numel(shape))];
            for (int i = 0; i < d.length; i++) d[i] = lo + (long) Math.floor((hi - lo + 1) * rnd.nextDouble());
            return Tensor.fromLongs(dt, shape, d);
        }

        Tensor bools(long[] shape) { return ints(DType.BOOL, shape, 0, 1); }
    }

    static long[] s(long... d) { return d; }

    static Attrs attrs(Object... kv) {
        Attrs.Builder b = Attrs.builder();
        for (int i = 0; i < kv.length; i += 2) {
            String k = (String) kv[i];
            Object v = kv[i + 1];
            if (v instanceof Float f) b.put(k, f);
            else if (v instanceof Double d) b.put(k, d.floatValue());
            else if (v instanceof Integer n) b.put(k, n.longValue());
            else if (v instanceof Long n) b.put(k, n);
            else b.put(k, (String) v);
        }
        return b.build();
    }

    /** Converts the graph for onnxruntime and for TFLite, runs both on the same inputs and compares every output. */
    static void check(int opset, Builder b) { check(opset, 1e-5, b); }

    static void check(int opset, double atol, Builder b) {
        G ref = new G(opset);
        b.build(ref);
        Pipelines.prepareOnnx(ref.g);
        byte[] onnx = OnnxBackend.emit(ref.g, OnnxOptions.DEFAULT);
        Map<String, Tensor> expected;
        try (OrtRunner r = new OrtRunner(onnx)) {
            expected = r.run(ref.feeds);
        }
        G tg = new G(opset);
        b.build(tg);
        byte[] tfl = Pipelines.toTflite(tg.g, TfliteOptions.FLOAT32, new PassOptions("nchw"));
        Map<String, Tensor> got;
        try (TfliteRunner r = new TfliteRunner(tfl)) {
            got = r.run(tg.feeds);
        }
        List<String> errors = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : expected.entrySet()) {
            Tensor x = e.getValue(), y = got.get(e.getKey());
            if (y == null) { errors.add(e.getKey() + ": missing"); continue; }
            if (x.dtype() != y.dtype()) { errors.add(e.getKey() + ": dtype " + y.dtype() + ", expected " + x.dtype()); continue; }
            if (!Arrays.equals(x.shape(), y.shape())) {
                errors.add(e.getKey() + ": shape " + Arrays.toString(y.shape()) + ", expected " + Arrays.toString(x.shape()));
                continue;
            }
            for (long i = 0; i < x.numel(); i++) {
                double u = x.getDouble(i), v = y.getDouble(i);
                boolean ok = x.dtype().isFloat()
                        ? (Double.isNaN(u) && Double.isNaN(v)) || u == v || Math.abs(u - v) <= atol + 1e-3 * Math.abs(u)
                        : x.getLong(i) == y.getLong(i);
                if (!ok) {
                    errors.add(e.getKey() + "[" + i + "]: got " + v + ", expected " + u);
                    break;
                }
            }
        }
        if (!errors.isEmpty()) fail(String.join("\n", errors));
    }

    // ------------------------------------------------------------------ broadcasting above rank 4

    @Test void rank6BroadcastMaterialisesInputs() {
        check(17, g -> {
            Value a = g.in("a", g.floats(s(2, 1, 3, 1, 5, 1), -2, 2)), b = g.in("b", g.floats(s(1, 4, 1, 6, 1, 7), -2, 2));
            Value ia = g.in("ia", g.ints(DType.INT32, s(2, 1, 3, 1, 5, 1), -50, 50));
            Value cond = g.in("cond", g.bools(s(2, 1, 3, 1, 1, 7)));
            g.out(g.op("Add", a, b), g.op("Mul", ia, g.c(Tensor.ofInts(s(4, 1, 6, 1, 1), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24))),
                    g.op("Where", cond, a, b), g.op("Less", a, b), g.op("Max", a, b, g.c(Tensor.scalarFloat(0.5f))));
        });
    }

    @Test void rank5BroadcastCollapsesDims() {
        check(17, g -> {
            Value a = g.in("a", g.floats(s(2, 3, 4, 5, 6), -2, 2)), b = g.in("b", g.floats(s(4, 1, 6), 0.5, 2));
            Value sl = g.c(Tensor.ofFloats(s(3, 1, 1, 1), 0.1f, 0.2f, 0.3f));
            g.out(g.op("Sub", a, b), g.op("Div", a, b), g.op("PRelu", a, sl), g.op("Pow", b, g.c(Tensor.scalarFloat(2f))),
                    g.op("Mul", a, g.c(Tensor.scalarFloat(3f))), g.op("Equal", a, a), g.op("Mod", attrs("fmod", 1), a, b));
        });
    }

    @Test void sameShapeRank5ElementwiseAndUnary() {
        check(17, g -> {
            Value a = g.in("a", g.floats(s(1, 2, 3, 2, 2), -3, 3));
            g.out(g.op("Relu", a), g.op("Sign", a), g.op("Erf", a), g.op("HardSigmoid", a), g.op("ThresholdedRelu", a), g.op("Clip", a,
                    g.c(Tensor.scalarFloat(-1f)), g.c(Tensor.scalarFloat(0.5f))));
        });
    }

    // ------------------------------------------------------------------ integer types

    @Test void int64Arithmetic() {
        check(17, g -> {
            Value a = g.in("a", g.ints(DType.INT64, s(3, 4), -1000, 1000)), b = g.in("b", g.ints(DType.INT64, s(4), 1, 9));
            Value nb = g.op("Neg", b);
            g.out(g.op("Add", a, b), g.op("Sub", a, b), g.op("Mul", a, b), g.op("Div", a, b), g.op("Div", a, nb),
                    g.op("Mod", a, nb), g.op("Mod", attrs("fmod", 1), a, b), g.op("Max", a, b), g.op("Min", a, nb),
                    g.op("Abs", a), g.op("Sign", a), g.op("Greater", a, b),
                    g.op("Pow", b, g.c(Tensor.ofLongs(s(4), 0, 1, 2, 3))), g.op("Pow", b, g.c(Tensor.scalarFloat(0.5f))),
                    g.op("Pow", a, g.c(Tensor.scalarLong(3))), g.op("Pow", b, g.c(Tensor.ofLongs(s(1), 0))));
        });
    }

    @Test void int64DivisionIsExactBeyondInt32() {
        check(17, g -> {
            Value a = g.in("a", Tensor.ofLongs(s(10), 4611686018427400000L, -4611686018427400007L, 9, -9, 9, -9, 1L << 40, 7,
                    Long.MAX_VALUE, -5_000_000_000L));
            Value b = g.in("b", Tensor.ofLongs(s(10), 3, 7, 2, 2, -2, -2, (1L << 20) + 1, 1L << 40, 1, 3));
            Value c = g.in("c", g.ints(DType.INT64, s(64), -4_000_000_000_000_000_000L, 4_000_000_000_000_000_000L));
            Value d = g.in("d", g.ints(DType.INT64, s(64), 1, 3_000_000_000L));
            g.out(g.op("Div", a, b), g.op("Div", c, d), g.op("Div", c, g.op("Neg", d)), g.op("Div", c, g.c(Tensor.scalarLong(-1000))));
        });
    }

    @Test void narrowIntegersWidenExactly() {
        check(17, g -> {
            Value a = g.in("a", g.ints(DType.INT8, s(2, 5), -128, 127)), b = g.in("b", g.ints(DType.INT8, s(5), 1, 20));
            Value h = g.in("h", g.ints(DType.INT16, s(2, 5), -30000, 30000));
            Value u = g.in("u", g.ints(DType.UINT8, s(2, 5), 0, 255));
            g.out(g.op("Add", a, b), g.op("Mul", a, b), g.op("Div", a, b), g.op("Mod", a, b), g.op("Abs", a), g.op("Neg", a),
                    g.op("Relu", a), g.op("Sign", a),
                    g.op("Less", a, b), g.op("Neg", h), g.op("Sub", h, h), g.op("Abs", h), g.op("Equal", u, u), g.op("Sub", u, g.op("Abs", u)),
                    g.op("Clip", a, g.c(Tensor.fromLongs(DType.INT8, s(), s(-5))), g.c(Tensor.fromLongs(DType.INT8, s(), s(5)))));
        });
    }

    @Test void bitShiftUint8() {
        check(17, g -> {
            Value x = g.in("x", Tensor.fromLongs(DType.UINT8, s(6), s(1, 255, 16, 3, 128, 7)));
            Value y = g.in("y", Tensor.fromLongs(DType.UINT8, s(6), s(0, 1, 3, 7, 8, 200)));
            g.out(g.op("BitShift", attrs("direction", "LEFT"), x, y), g.op("BitShift", attrs("direction", "RIGHT"), x, y));
        });
    }

    @Test void boolLogic() {
        check(17, g -> {
            Value a = g.in("a", g.bools(s(2, 3, 4))), b = g.in("b", g.bools(s(3, 1)));
            g.out(g.op("And", a, b), g.op("Or", a, b), g.op("Xor", a, b), g.op("Not", a), g.op("Equal", a, b));
        });
    }

    // ------------------------------------------------------------------ casts

    @Test void castsBetweenSupportedTypes() {
        check(17, g -> {
            Value f = g.in("f", Tensor.ofFloats(s(8), -2.7f, -0.5f, 0f, 0.5f, 2.7f, 100.9f, -100.9f, 1e-3f));
            Value i = g.in("i", Tensor.ofInts(s(6), 300, -1, 127, -129, 65537, 0));
            Value i8 = g.in("i8", Tensor.fromLongs(DType.INT8, s(5), s(-128, -1, 0, 1, 127)));
            Value u8 = g.in("u8", Tensor.fromLongs(DType.UINT8, s(4), s(0, 1, 200, 255)));
            Value bl = g.in("bl", Tensor.fromLongs(DType.BOOL, s(3), s(1, 0, 1)));
            Value l = g.in("l", Tensor.ofLongs(s(3), 5_000_000_000L, -7, 42));
            List<Value> outs = new ArrayList<>();
            for (int to : new int[] {6, 7, 3, 2, 5, 9, 1}) {
                outs.add(g.op("Cast", attrs("to", to), f));
                outs.add(g.op("Cast", attrs("to", to), i8));
                outs.add(g.op("Cast", attrs("to", to), u8));
                outs.add(g.op("Cast", attrs("to", to), bl));
                if (to != 1) outs.add(g.op("Cast", attrs("to", to), i));
                if (to != 1) outs.add(g.op("Cast", attrs("to", to), l));
            }
            outs.add(g.op("CastLike", f, i8));
            g.out(outs.toArray(new Value[0]));
        });
    }

    // ------------------------------------------------------------------ Clip forms

    @Test void clipBoundsAsAttributes() {
        check(10, g -> {
            Value x = g.in("x", g.floats(s(3, 4), -8, 8));
            g.out(g.op("Clip", attrs("min", 0f, "max", 6f), x), g.op("Clip", attrs("min", -1f, "max", 1f), x),
                    g.op("Clip", attrs("min", -2.5f), x), g.op("Clip", attrs("max", 3f), x), g.op("Clip", x));
        });
    }

    @Test void clipBoundsAsInputs() {
        check(13, g -> {
            Value x = g.in("x", g.floats(s(3, 4), -8, 8));
            Value lo = g.in("lo", Tensor.scalarFloat(-2f)), hi = g.in("hi", Tensor.scalarFloat(4f));
            g.out(g.op("Clip", x, lo, hi), g.op("Clip", x, g.c(Tensor.scalarFloat(0f))), g.op("Clip", x, null, hi),
                    g.op("Clip", x, g.c(Tensor.scalarFloat(0f)), g.c(Tensor.scalarFloat(6f))));
        });
    }

    // ------------------------------------------------------------------ decomposed math over wide ranges

    @Test void decomposedMathMatchesOnnxruntime() {
        check(22, 2e-5, g -> {
            Value x = g.in("x", g.floats(s(4, 250), -8, 8));
            Value u = g.in("u", g.floats(s(4, 250), -0.999, 0.999));
            Value big = g.in("big", g.floats(s(4, 250), 1, 30));
            g.out(g.op("Erf", x), g.op("Atan", g.op("Mul", x, g.c(Tensor.scalarFloat(40f)))), g.op("Asin", u), g.op("Acos", u),
                    g.op("Atanh", u), g.op("Sinh", x), g.op("Cosh", x), g.op("Asinh", g.op("Mul", x, g.c(Tensor.scalarFloat(100f)))),
                    g.op("Acosh", big), g.op("Tan", u), g.op("Softplus", g.op("Mul", x, g.c(Tensor.scalarFloat(10f)))), g.op("Mish", x),
                    g.op("Softsign", x), g.op("Elu", attrs("alpha", 0.5f), x), g.op("Selu", x), g.op("Celu", attrs("alpha", 2f), x),
                    g.op("HardSigmoid", attrs("alpha", 0.3f, "beta", 0.4f), x), g.op("HardSwish", x),
                    g.op("Shrink", attrs("lambd", 1.5f, "bias", 0.5f), x), g.op("Reciprocal", big), g.op("LeakyRelu", attrs("alpha", 0.2f), x));
        });
    }

    @Test void geluBothApproximations() {
        check(20, g -> {
            Value x = g.in("x", g.floats(s(3, 100), -6, 6));
            g.out(g.op("Gelu", x), g.op("Gelu", attrs("approximate", "tanh"), x));
        });
    }

    @Test void roundingAndSpecialValues() {
        check(17, g -> {
            Value x = g.in("x", Tensor.ofFloats(s(10), 0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 3.49f, Float.NaN, Float.POSITIVE_INFINITY,
                    Float.NEGATIVE_INFINITY, 0f));
            g.out(g.op("Round", x), g.op("Floor", x), g.op("Ceil", x), g.op("IsNaN", x), g.op("IsInf", x),
                    g.op("IsInf", attrs("detect_negative", 0), x), g.op("IsInf", attrs("detect_positive", 0), x),
                    g.op("IsInf", attrs("detect_positive", 0, "detect_negative", 0), x), g.op("Sign", x));
        });
    }

    @Test void variadicMeanAndSum() {
        check(17, g -> {
            Value a = g.in("a", g.floats(s(2, 3), -1, 1)), b = g.in("b", g.floats(s(3), -1, 1)), c = g.in("c", g.floats(s(2, 1), -1, 1));
            g.out(g.op("Mean", a, b, c), g.op("Sum", a, b, c), g.op("Min", a, b, c), g.op("Max", a));
        });
    }

    // ------------------------------------------------------------------ shapes: dynamic, scalar, copies

    @Test void dynamicBatchDimension() {
        check(17, g -> {
            ValueType dyn = new ValueType(DType.FLOAT32, Shape.of(List.of(Dim.sym("N"), Dim.of(3))));
            Value x = g.in("x", dyn, g.floats(s(4, 3), -2, 2));
            Value y = g.op("Add", x, g.c(Tensor.ofFloats(s(3), 1, 2, 3)));
            g.out(y, g.op("Identity", x), g.op("Sigmoid", y), g.op("Clip", x));
        });
    }

    @Test void scalarsAndIdentityCopies() {
        check(17, g -> {
            Value a = g.in("a", Tensor.scalarFloat(2.5f)), b = g.in("b", Tensor.scalarFloat(-4f));
            Value i = g.in("i", Tensor.ofLongs(s(2), 3, 4));
            g.out(g.op("Add", a, b), g.op("Identity", a), g.op("Identity", i), g.op("Max", b), g.op("Cast", attrs("to", 7), a),
                    g.op("Identity", g.c(Tensor.ofFloats(s(2), 1, 2))));
        });
    }

    @Test void opVersionsStayWithinTflite26() {
        G g = new G(17);
        Value a = g.in("a", g.ints(DType.INT64, s(3), 0, 5));
        Value b = g.in("b", g.ints(DType.INT8, s(3), 0, 5));
        g.out(g.op("Mul", a, a), g.op("Add", a, a), g.op("Cast", attrs("to", 1), b), g.op("Max", b, b));
        byte[] tfl = Pipelines.toTflite(g.g, TfliteOptions.FLOAT32, new PassOptions("nchw"));
        try (TfliteRunner r = new TfliteRunner(tfl)) {
            assertEquals(4, r.outputNames().size());
        }
        assertEquals(4, TfliteElementwiseEmit.version(tflite.BuiltinOperator.ADD, DType.INT64, DType.INT64));
        assertEquals(1, TfliteElementwiseEmit.version(tflite.BuiltinOperator.CAST, DType.UINT8, DType.FLOAT32));
        assertArrayEquals(new long[] {2, 1}, TfliteElementwiseEmit.staticDims(Shape.of(List.of(Dim.of(2), Dim.sym("n")))));
    }
}
