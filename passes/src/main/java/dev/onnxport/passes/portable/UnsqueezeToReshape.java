package dev.onnxport.passes.portable;

import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.passes.PassContext;

import java.util.Arrays;

/**
 * Unsqueeze becomes Reshape to a constant target shape that lists every dim (no -1, no 0), for runtimes without
 * Unsqueeze (or with Unsqueeze only in its attribute form). Needs the input's static shape and constant axes; an
 * Unsqueeze without them is left, and the log says why.
 */
public final class UnsqueezeToReshape extends NodeRewrite {
    @Override public String name() { return "unsqueeze-to-reshape"; }

    @Override public String description() { return "rewrite Unsqueeze of a static shape as Reshape to a constant shape (no -1)"; }

    @Override boolean matches(Node n) { return isOp(n, "Unsqueeze"); }

    /** The Unsqueeze's axes (attribute before opset 13, constant input from 13), or null when computed at run time. */
    static long[] axes(Node n) {
        if (n.opset() < 13 && n.attrs().has("axes")) return n.attrs().getInts("axes");
        Tensor t = n.constInput(1);
        return t == null ? null : t.toLongs();
    }

    @Override boolean rewrite(Graph g, Node n, PassContext ctx) {
        Value x = n.input(0);
        long[] axes = axes(n);
        if (axes == null) {
            ctx.log(name() + ": left " + n.describe() + ": its axes are computed at run time");
            return false;
        }
        Shape s = x.shape();
        if (s == null || !s.isStatic()) {
            ctx.log(name() + ": left " + n.describe() + ": input shape " + (s == null ? "unknown" : s) + " is not static, so the target would need -1");
            return false;
        }
        int r = s.rank() + axes.length;
        long[] ax = Build.normalize(axes, r);
        long[] out = new long[r];
        int k = 0;
        for (int i = 0; i < r; i++) {
            if (Build.contains(ax, i)) out[i] = 1;
            else if (k < s.rank()) out[i] = s.size(k++);
            else { ctx.log(name() + ": left " + n.describe() + ": axes " + Arrays.toString(axes) + " out of range"); return false; }
        }
        Build b = new Build(g, n.name(), ctx);
        replace(g, n, 0, b.reshape(x, out));
        ctx.log(name() + ": " + n.describe() + " -> Reshape " + Arrays.toString(out));
        return true;
    }
}
