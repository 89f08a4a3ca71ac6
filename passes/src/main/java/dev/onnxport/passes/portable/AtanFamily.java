package dev.onnxport.passes.portable;

import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Value;
import dev.onnxport.passes.PassContext;

/**
 * Lowers Atan, Asin and Acos for targets that lack them.
 * <ul>
 *   <li>Atan: on a = |x| (as max(x, -x)), the Cephes range reduction (a &gt; tan(3pi/8): pi/2 + atan(-1/a);
 *       a &gt; tan(pi/8): pi/4 + atan((a-1)/(a+1))) and a degree-9 odd polynomial on |t| &lt;= tan(pi/8), sign restored
 *       with Where(x &lt; 0). Max abs error 1.4e-7 in float32; atan(+-inf) = +-pi/2, NaN stays NaN.</li>
 *   <li>Asin(x) = Atan(x / sqrt((1-x)(1+x))) (the product keeps precision near |x| = 1). At |x| = 1 the divisor
 *       0 is replaced by the smallest normal float, so no division by zero reaches the target; the quotient is then
 *       huge and Atan gives +-pi/2. |x| &gt; 1 gives NaN as Asin does.</li>
 *   <li>Acos(x) = pi/2 - Asin(x).</li>
 * </ul>
 */
public final class AtanFamily extends NodeRewrite {
    @Override public String name() { return "atan-family"; }

    @Override public String description() { return "lower Atan, Asin and Acos to a rational approximation (error below 1e-6)"; }

    @Override boolean matches(Node n) {
        return n.domain().isEmpty() && (n.opType().equals("Atan") || n.opType().equals("Asin") || n.opType().equals("Acos"));
    }

    @Override boolean rewrite(Graph g, Node n, PassContext ctx) {
        Value x = n.input(0);
        if (x == null || !PrimitiveActivations.isFloat(x.dtype())) {
            ctx.log(name() + ": left " + n.describe() + ": element type " + (x == null ? null : x.dtype()));
            return false;
        }
        Build b = new Build(g, n.name(), ctx);
        Value y = switch (n.opType()) {
            case "Atan" -> atan(b, x);
            case "Asin" -> asin(b, x);
            default -> b.rsub(Math.PI / 2, asin(b, x));
        };
        replace(g, n, 0, y);
        ctx.log(name() + ": lowered " + n.describe());
        return true;
    }

    static final double TAN_3PI_8 = 2.414213562373095, TAN_PI_8 = 0.4142135623730950;
    // Cephes atanf polynomial: atan(t) ~ t + t z P(z), z = t^2, |t| <= tan(pi/8)
    private static final double[] ATAN_P = {-3.33329491539e-1, 1.99777106478e-1, -1.38776856032e-1, 8.05374449538e-2};

    static Value atan(Build b, Value x) {
        DType dt = x.dtype();
        Value a = b.abs(x);
        Value big = b.compare("Greater", a, b.scalar(dt, TAN_3PI_8));
        Value mid = b.compare("Greater", a, b.scalar(dt, TAN_PI_8));
        Value tBig = b.rdiv(-1, a);
        Value tMid = b.div(b.add(a, -1), b.add(a, 1));
        Value t = b.where(big, tBig, b.where(mid, tMid, a));
        Value y0 = b.where(big, b.scalar(dt, Math.PI / 2), b.where(mid, b.scalar(dt, Math.PI / 4), b.scalar(dt, 0)));
        Value z = b.mul(t, t);
        Value p = b.poly(z, ATAN_P);
        Value r = b.add(y0, b.add(b.mul(b.mul(p, z), t), t));
        Value neg = b.compare("Less", x, b.scalar(dt, 0));
        Value y = b.where(neg, b.neg(r), r);
        y.setType(x.type());
        return y;
    }

    static Value asin(Build b, Value x) {
        DType dt = x.dtype();
        Value s = b.unary("Sqrt", b.mul(b.rsub(1, x), b.add(x, 1)));
        Value zero = b.compare("Equal", s, b.scalar(dt, 0));
        double tiny = dt == DType.FLOAT16 ? 6.103515625e-05 : dt == DType.FLOAT64 ? Double.MIN_NORMAL : Float.MIN_NORMAL;
        Value safe = b.where(zero, b.scalar(dt, tiny), s);
        Value y = atan(b, b.div(x, safe));
        y.setType(x.type());
        return y;
    }
}
