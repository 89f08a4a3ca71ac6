package dev.onnxport.passes.portable;

import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.passes.PassContext;

import java.util.List;

/**
 * Gather with a constant scalar index becomes a Slice of one element that keeps the dim. Readers that Unsqueeze the
 * result at the same axis (PyTorch's {@code x[:, i:i+1]} and the Shape/Gather/Unsqueeze/Concat chains of exported
 * shape computations) read the Slice directly and their Unsqueeze goes; any other reader gets a Squeeze of the
 * Slice. A constant index of shape [1] becomes the Slice alone. Gathers of constant data are left to constant
 * folding.
 */
public final class GatherToSlice extends NodeRewrite {
    @Override public String name() { return "gather-to-slice"; }

    @Override public String description() { return "rewrite Gather of a constant scalar index as Slice, dropping the Squeeze/Unsqueeze pairs it makes unnecessary"; }

    @Override boolean matches(Node n) { return isOp(n, "Gather"); }

    @Override boolean rewrite(Graph g, Node n, PassContext ctx) {
        Value x = n.input(0);
        Tensor idx = n.constInput(1);
        if (x == null || idx == null || x.isConstant() || idx.numel() != 1 || idx.rank() > 1) return false;
        if (x.shape() == null) {
            ctx.log(name() + ": left " + n.describe() + ": data rank unknown");
            return false;
        }
        int rank = x.shape().rank();
        long axis = n.attrs().getInt("axis", 0);
        if (axis < 0) axis += rank;
        if (axis < 0 || axis >= rank) return false;
        long i = idx.getLong(0);
        if (x.shape().dim((int) axis).isKnown()) {
            long d = x.shape().size((int) axis);
            if (i < -d || i >= d) return false; // out of range: leave the error to the runtime
            if (i < 0) i += d;
        }
        Build b = new Build(g, n.name(), ctx);
        Value sl = b.sliceAt(x, axis, i);
        Value out = n.output();
        if (idx.rank() == 1) {
            replace(g, n, 0, sl);
            ctx.log(name() + ": " + n.describe() + " -> Slice");
            return true;
        }
        int dropped = 0;
        for (Node u : List.copyOf(out.consumers())) {
            if (!isOp(u, "Unsqueeze") || u.input(0) != out || g.namesReadBySubgraphs().contains(u.output().name())) continue;
            long[] ua = UnsqueezeToReshape.axes(u);
            if (ua == null || ua.length != 1 || Build.normalize(ua, rank)[0] != axis) continue;
            replace(g, u, 0, sl);
            dropped++;
        }
        if (!out.uses().isEmpty() || g.outputs().contains(out)) {
            replace(g, n, 0, b.squeeze(sl, axis));
        } else {
            g.removeNode(n);
        }
        ctx.log(name() + ": " + n.describe() + " -> Slice" + (dropped > 0 ? ", " + dropped + " Unsqueeze dropped" : ""));
        return true;
    }
}
