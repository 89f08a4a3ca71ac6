package dev.onnxport.passes.portable;

import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.passes.PassContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Multi-class NonMaxSuppression (scores [B, C, N], C != 1) becomes one single-class NMS over each box's best
 * class: ReduceMax over classes gives the score, ArgMax the class id; NMS runs on [B, 1, N] and the class id of each
 * selected box (Gather at b*N + box) replaces the 0 in column 1 of the result. This is class-agnostic suppression
 * ("best class" NMS, as detector exports with agnostic NMS do), not the same function: boxes of different classes
 * now suppress each other, a box keeps only its best class, max_output_boxes_per_class limits the total per batch,
 * and rows come ordered by score rather than by class. Where no two classes compete for a box or an overlap, the
 * selected rows are the same set.
 */
public final class NmsSingleClass extends NodeRewrite {
    @Override public String name() { return "nms-single-class"; }

    @Override public String description() { return "rewrite multi-class NonMaxSuppression as best-class (ReduceMax/ArgMax) single-class NMS"; }

    @Override boolean matches(Node n) { return isOp(n, "NonMaxSuppression"); }

    @Override boolean rewrite(Graph g, Node n, PassContext ctx) {
        Value boxes = n.input(0), scores = n.input(1);
        Shape ss = scores == null ? null : scores.shape();
        if (ss == null || ss.rank() != 3) {
            ctx.log(name() + ": left " + n.describe() + ": scores rank unknown");
            return false;
        }
        if (ss.dim(1).isKnown() && ss.size(1) == 1) return false; // already single-class
        Build b = new Build(g, n.name(), ctx);
        Value best = b.reduce("ReduceMax", scores, new long[] {1}, true);
        Value cls = b.argmax(scores, 1, true);
        List<Value> ins = new ArrayList<>(n.inputs());
        ins.set(1, best);
        Value sel = b.op("NonMaxSuppression", new ValueType(DType.INT64, Shape.of(List.of(Dim.sym(null), Dim.of(3)))), n.attrs(),
                ins.toArray(new Value[0]));
        Value bi = b.sliceAt(sel, 1, 0), box = b.sliceAt(sel, 1, 2);
        Value nBoxes = ss.dim(2).isKnown() ? b.scalar(DType.INT64, ss.size(2)) : b.gather(b.shapeOf(scores), b.longs(2), 0);
        Value flatIdx = b.add(b.mul(bi, nBoxes), box);
        Value flatCls;
        if (ss.isStatic()) flatCls = b.reshape(cls, ss.size(0) * ss.size(2));
        else flatCls = b.reshape(cls, b.longs(-1), Shape.of(List.of(Dim.sym(null))));
        Value c = b.gather(flatCls, flatIdx, 0);
        c.setType(new ValueType(DType.INT64, Shape.of(List.of(Dim.sym(null), Dim.of(1)))));
        Value out = b.concat(1, bi, c, box);
        replace(g, n, 0, out);
        ctx.log(name() + ": " + n.describe() + " now selects over each box's best class (class-agnostic suppression)");
        return true;
    }
}
