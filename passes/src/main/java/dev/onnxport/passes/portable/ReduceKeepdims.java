package dev.onnxport.passes.portable;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.passes.PassContext;

import java.util.Arrays;

/**
 * ReduceMax / ReduceMin / ArgMax with keepdims=0 whose only reader is an Unsqueeze of the reduced axes becomes the
 * same reduction with keepdims=1, and the Unsqueeze goes (a pattern PyTorch exports for {@code max(dim)} followed
 * by {@code unsqueeze}, which some runtimes cannot fuse).
 */
public final class ReduceKeepdims extends NodeRewrite {
    @Override public String name() { return "reduce-keepdims"; }

    @Override public String description() { return "fold Unsqueeze of the reduced axes into ReduceMax/ReduceMin/ArgMax keepdims=1"; }

    @Override boolean matches(Node n) { return isOp(n, "Unsqueeze"); }

    @Override boolean rewrite(Graph g, Node u, PassContext ctx) {
        Value y = u.input(0);
        Node r = y == null ? null : y.producer();
        if (r == null || r.graph() != g || !r.domain().isEmpty()) return false;
        String op = r.opType();
        if (!op.equals("ReduceMax") && !op.equals("ReduceMin") && !op.equals("ArgMax")) return false;
        if (r.attrs().getInt("keepdims", 1) != 0) return false;
        if (y.uses().size() != 1 || g.outputs().contains(y)) return false;
        Value x = r.input(0);
        if (x == null || x.shape() == null) return false;
        int rank = x.shape().rank();
        long[] reduced = reducedAxes(r, rank);
        long[] unsq = UnsqueezeToReshape.axes(u);
        if (reduced == null || unsq == null) return false;
        long[] a = Build.normalize(reduced, rank), b = Build.normalize(unsq, rank);
        Arrays.sort(a);
        Arrays.sort(b);
        if (!Arrays.equals(a, b)) return false;
        Attrs.Builder nb = r.attrs().toBuilder().put("keepdims", 1L);
        r.setAttrs(nb.build());
        y.setType(u.output().type());
        replace(g, u, 0, y);
        ctx.log(name() + ": " + r.describe() + " keepdims=1, dropped " + u.describe());
        return true;
    }

    /** The axes r reduces over, or null when unknown (computed at run time) or when r reduces nothing. */
    static long[] reducedAxes(Node r, int rank) {
        if (r.opType().equals("ArgMax")) return new long[] {r.attrs().getInt("axis", 0)};
        long[] axes;
        if (r.opset() >= 18) {
            if (r.hasInput(1)) {
                Tensor t = r.constInput(1);
                if (t == null) return null;
                axes = t.toLongs();
            } else axes = new long[0];
        } else {
            axes = r.attrs().getInts("axes", new long[0]);
        }
        if (axes.length == 0) {
            if (r.attrs().getInt("noop_with_empty_axes", 0) != 0) return null;
            axes = new long[rank];
            for (int i = 0; i < rank; i++) axes[i] = i;
        }
        return axes;
    }

}
