package dev.onnxport.passes.portable;

import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.passes.PassContext;

import java.util.Set;

/**
 * Lowers activations that some runtimes lack to Add/Sub/Mul/Div/Max/Min/Relu/Exp/Log/Sqrt/Tanh/Less/Where:
 * <ul>
 *   <li>Erf: odd rational approximation x P(x^2) / Q(x^2) on x clamped to [-4, 4] (max error 4.2e-7 in float32);</li>
 *   <li>Gelu (ONNX opset 20 and com.microsoft): 0.5 x (1 + erf(x / sqrt 2)), or the tanh form for approximate="tanh";</li>
 *   <li>HardSigmoid: max(0, min(1, alpha x + beta)); HardSwish: x * HardSigmoid(1/6, 1/2);</li>
 *   <li>LeakyRelu / PRelu: relu(x) + slope * min(x, 0) (exact);</li>
 *   <li>Softplus: relu(x) + log(1 + exp(min(x, 0) - relu(x))) (no overflow); Mish: x * tanh(softplus(x));</li>
 *   <li>Abs: max(x, -1 * x); Neg: -1 * x (signed types only);</li>
 *   <li>Pow with a constant one-element exponent e: x*x... for integer |e| &lt;= 8 (reciprocal when e &lt; 0), Sqrt
 *       for +-0.5, exp(e * log x) otherwise (float only; NaN for x &lt; 0 as Pow gives).</li>
 * </ul>
 */
public final class PrimitiveActivations extends NodeRewrite {
    static final Set<String> OPS = Set.of("Erf", "Gelu", "HardSwish", "HardSigmoid", "LeakyRelu", "PRelu", "Mish",
            "Softplus", "Abs", "Neg", "Pow");

    @Override public String name() { return "primitive-activations"; }

    @Override public String description() {
        return "lower Erf, Gelu, HardSwish, HardSigmoid, LeakyRelu, PRelu, Mish, Softplus, Abs, Neg and Pow by a constant to primitive ops";
    }

    @Override boolean matches(Node n) {
        return n.domain().isEmpty() && OPS.contains(n.opType()) || n.qualifiedOp().equals("com.microsoft.Gelu");
    }

    static boolean isFloat(DType d) { return d == DType.FLOAT32 || d == DType.FLOAT16 || d == DType.FLOAT64; }

    @Override boolean rewrite(Graph g, Node n, PassContext ctx) {
        Value x = n.input(0);
        if (x == null || x.dtype() == null) return false;
        DType dt = x.dtype();
        String op = n.opType();
        boolean signedInt = dt == DType.INT32 || dt == DType.INT64;
        if (!isFloat(dt) && !((op.equals("Abs") || op.equals("Neg") || op.equals("Pow")) && signedInt)) {
            ctx.log(name() + ": left " + n.describe() + ": element type " + dt);
            return false;
        }
        Build b = new Build(g, n.name(), ctx);
        Value y;
        switch (op) {
            case "Erf" -> y = erf(b, x);
            case "Gelu" -> {
                if ("tanh".equals(n.attrs().getString("approximate", "none"))) {
                    Value x3 = b.mul(b.mul(x, x), x);
                    Value inner = b.mul(b.add(x, b.mul(x3, 0.044715)), Math.sqrt(2 / Math.PI));
                    y = b.mul(b.mul(x, 0.5), b.add(b.unary("Tanh", inner), 1));
                } else {
                    y = b.mul(b.mul(x, 0.5), b.add(erf(b, b.mul(x, Math.sqrt(0.5))), 1));
                }
            }
            case "HardSigmoid" -> y = hardSigmoid(b, x, n.attrs().getFloat("alpha", 0.2f), n.attrs().getFloat("beta", 0.5f));
            case "HardSwish" -> y = b.mul(x, hardSigmoid(b, x, 1.0 / 6, 0.5));
            case "LeakyRelu" -> y = b.add(b.unary("Relu", x), b.mul(b.min(x, 0), n.attrs().getFloat("alpha", 0.01f)));
            case "PRelu" -> {
                Value slope = n.input(1);
                if (slope == null || slope.dtype() != dt) return false;
                y = b.add(b.unary("Relu", x), b.mul(b.min(x, 0), slope));
                if (x.shape() != null) y.setType(x.type()); // PRelu broadcasts the slope to x only
            }
            case "Softplus" -> y = softplus(b, x);
            case "Mish" -> y = b.mul(x, b.unary("Tanh", softplus(b, x)));
            case "Abs" -> {
                if (signedInt && b.opset() < 12) { ctx.log(name() + ": left " + n.describe() + ": integer Max needs opset 12"); return false; }
                y = b.abs(x);
            }
            case "Neg" -> y = b.neg(x);
            case "Pow" -> {
                y = pow(b, n, x, ctx);
                if (y == null) return false;
            }
            default -> { return false; }
        }
        replace(g, n, 0, y);
        ctx.log(name() + ": lowered " + n.describe());
        return true;
    }

    private static Value hardSigmoid(Build b, Value x, double alpha, double beta) {
        return b.max(b.min(b.add(b.mul(x, alpha), beta), 1), 0);
    }

    private static Value softplus(Build b, Value x) {
        Value r = b.unary("Relu", x);
        Value negAbs = b.sub(b.min(x, 0), r); // -|x|
        return b.add(r, b.unary("Log", b.add(b.unary("Exp", negAbs), 1)));
    }

    // Odd rational approximation of erf on [-4, 4] (beyond it erf is +-1 in float32); coefficients of Eigen's
    // generic_fast_erf_float. Max abs error 4.2e-7 in float32 arithmetic.
    private static final double[] ERF_P = {-1.60960333262415e-02, -2.95459980854025e-03, -7.34990630326855e-04,
            -5.69250639462346e-05, -2.10102402082508e-06, 2.77068142495902e-08, -2.72614225801306e-10};
    private static final double[] ERF_Q = {-1.42647390514189e-02, -7.37332916720468e-03, -1.68282697438203e-03,
            -2.13374055278905e-04, -1.45660718464996e-05};

    /** erf(x) = x P(x^2) / Q(x^2) with x clamped to [-4, 4]. */
    static Value erf(Build b, Value x) {
        Value c = b.clamp(x, -4, 4);
        Value z = b.mul(c, c);
        Value p = b.mul(b.poly(z, ERF_P), c);
        Value q = b.poly(z, ERF_Q);
        return b.div(p, q);
    }

    private Value pow(Build b, Node n, Value x, PassContext ctx) {
        Tensor e = n.constInput(1);
        if (e == null || e.numel() != 1) {
            ctx.log(name() + ": left " + n.describe() + ": the exponent is not a one-element constant");
            return null;
        }
        if (e.rank() > 0 && (x.shape() == null || x.shape().rank() < e.rank())) {
            ctx.log(name() + ": left " + n.describe() + ": the exponent would broadcast x to a higher rank");
            return null;
        }
        double v = e.getDouble(0);
        boolean integer = v == Math.rint(v) && Math.abs(v) <= 8;
        Value y;
        if (integer && v != 0) {
            int k = (int) Math.abs(v);
            y = intPower(b, x, k);
            if (v < 0) {
                if (!isFloat(x.dtype())) { ctx.log(name() + ": left " + n.describe() + ": negative power of an integer"); return null; }
                y = b.rdiv(1, y);
            }
        } else if (!isFloat(x.dtype())) {
            ctx.log(name() + ": left " + n.describe() + ": exponent " + v + " for " + x.dtype());
            return null;
        } else if (v == 0.5) {
            y = b.unary("Sqrt", x);
        } else if (v == -0.5) {
            y = b.rdiv(1, b.unary("Sqrt", x));
        } else if (v == 0) {
            ctx.log(name() + ": left " + n.describe() + ": exponent 0");
            return null;
        } else {
            y = b.unary("Exp", b.mul(b.unary("Log", x), v));
        }
        if (x.shape() != null) y.setType(x.type());
        if (y == x) { // x^1: keep one node so that the output keeps its own value
            y = b.mul(x, 1);
        }
        return y;
    }

    /** x^k, k &gt;= 1, by repeated squaring. */
    private static Value intPower(Build b, Value x, int k) {
        Value result = null, sq = x;
        while (k > 0) {
            if ((k & 1) != 0) result = result == null ? sq : b.mul(result, sq);
            k >>= 1;
            if (k > 0) sq = b.mul(sq, sq);
        }
        return result;
    }
}
