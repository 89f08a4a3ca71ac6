package dev.onnxport.passes.portable;

import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Value;
import dev.onnxport.passes.PassContext;

/**
 * MeanVarianceNormalization becomes ReduceMean / Sub / Mul / ReduceMean / Sqrt / Add / Div:
 * d = x - mean(x), y = d / (sqrt(mean(d * d)) + 1e-9), as ONNX's function body defines it (epsilon added to the
 * standard deviation; the variance is taken of d, which is more accurate than E[x^2] - E[x]^2). With
 * {@link PortableOptions#mvnAntiFusion()} the squared term reads d * 1 (numerically neutral), so that a runtime's
 * pattern matcher does not fuse the decomposition back into one normalization kernel.
 */
public final class MvnDecompose extends NodeRewrite {
    static final double EPSILON = 1e-9;
    private final boolean antiFusion;

    public MvnDecompose() { this(false); }

    public MvnDecompose(boolean antiFusion) { this.antiFusion = antiFusion; }

    public boolean antiFusion() { return antiFusion; }

    @Override public String name() { return "mvn-decompose"; }

    @Override public String description() {
        return "rewrite MeanVarianceNormalization as ReduceMean/Sub/Mul/Sqrt/Div" + (antiFusion ? " (with an anti-fusion multiply by 1)" : "");
    }

    @Override boolean matches(Node n) { return isOp(n, "MeanVarianceNormalization"); }

    @Override boolean rewrite(Graph g, Node n, PassContext ctx) {
        Value x = n.input(0);
        if (x == null || !PrimitiveActivations.isFloat(x.dtype())) return false;
        long[] axes = n.attrs().getInts("axes", new long[] {0, 2, 3});
        if (x.shape() == null) {
            ctx.log(name() + ": left " + n.describe() + ": input rank unknown");
            return false;
        }
        Build b = new Build(g, n.name(), ctx);
        Value mean = b.reduce("ReduceMean", x, axes, true);
        Value d = b.sub(x, mean);
        Value e = antiFusion ? b.mul(d, 1) : d;
        Value var = b.reduce("ReduceMean", b.mul(e, e), axes, true);
        Value y = b.div(d, b.add(b.unary("Sqrt", var), EPSILON));
        y.setType(x.type());
        replace(g, n, 0, y);
        ctx.log(name() + ": decomposed " + n.describe() + (antiFusion ? " (anti-fusion)" : ""));
        return true;
    }
}
