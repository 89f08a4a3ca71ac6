package dev.onnxport.passes.layout;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Layout;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Provenance;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.passes.Pass;
import dev.onnxport.passes.PassContext;

import java.util.List;

/**
 * Converts layout-sensitive nodes (Conv, pools, Resize, ...) to channels-last: each gets the {@link Layout#ATTR}
 * marker, a Transpose to channels-last on its image input and a Transpose back on its image output. Image graph
 * inputs (rank 4, feeding a layout-sensitive node) become channels-last when the options ask for NHWC I/O.
 * {@link TransposeOptimizer} then moves and cancels the transposes.
 */
public final class ChannelsLast implements Pass {
    @Override public String name() { return "layout-nhwc"; }

    @Override public String description() { return "make Conv, pools, Resize, ... channels-last, with transposes around them"; }

    @Override public boolean run(Graph g, PassContext ctx) {
        boolean changed = false;
        for (Node n : List.copyOf(g.nodes())) {
            if (Layout.isNhwc(n) || !LayoutRules.sensitive(n)) continue;
            int r = n.input(0).shape().rank();
            Value t = Transposes.add(g, n.input(0), Layout.toLast(r));
            g.setInput(n, 0, t);
            n.setAttrs(n.attrs().toBuilder().put(Layout.ATTR, Layout.NHWC).build());
            Value y = n.output(0);
            ValueType yt = y.type();
            if (yt != null && yt.shape() != null) y.setType(new ValueType(yt.dtype(), Layout.lastShape(yt.shape())));
            Provenance p = y.provenance();
            Value back = Transposes.addAfter(g, y, Layout.toFirst(r));
            if (p != null) {
                back.setProvenance(p);
                y.setProvenance(new Provenance(p.onnxName(), Transposes.compose(p.perm(), Layout.toLast(r))));
            }
            changed = true;
        }
        if (ctx.options().nhwcIo()) changed |= imageInputs(g);
        return changed;
    }

    /** Rank-4 float graph inputs that reach a channels-last node become channels-last inputs. */
    private static boolean imageInputs(Graph g) {
        boolean changed = false;
        for (int i = 0; i < g.inputs().size(); i++) {
            Value x = g.inputs().get(i);
            if (x.shape() == null || x.shape().rank() != 4 || !x.dtype().isFloat() || !feedsImageOp(x, 0)) continue;
            Shape last = Layout.lastShape(x.shape());
            Value nx = g.replaceInput(i, new ValueType(x.dtype(), last), new Provenance(x.name(), Layout.toLast(4)));
            Node tr = g.addNode("", "Transpose", nx.name() + "_to_nchw", List.of(nx),
                    Attrs.builder().put("perm", toLong(Layout.toFirst(4))).build(), g.opset(), nx.name() + "_nchw");
            tr.output().setType(x.type());
            tr.output().setProvenance(Provenance.of(nx.name()));
            g.replaceAllUsesWith(x, tr.output());
            changed = true;
        }
        return changed;
    }

    /** True when v reaches the image input of a layout-sensitive node through elementwise ops. */
    private static boolean feedsImageOp(Value v, int depth) {
        if (depth > 16) return false;
        for (Value.Use u : v.uses()) {
            Node c = u.node();
            if (c.opType().equals("Transpose") && c.attrs().getInts("perm") != null) {
                long[] p = c.attrs().getInts("perm");
                if (java.util.Arrays.equals(toInt(p), Layout.toLast(p.length)) && !c.output().uses().isEmpty()) {
                    for (Value.Use cu : c.output().uses()) if (Layout.isNhwc(cu.node())) return true;
                }
            }
            if (LayoutRules.UNARY.contains(c.opType()) || LayoutRules.NARY.contains(c.opType())) {
                if (feedsImageOp(c.output(), depth + 1)) return true;
            }
        }
        return false;
    }

    static long[] toLong(int[] a) {
        long[] r = new long[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i];
        return r;
    }

    static int[] toInt(long[] a) {
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) r[i] = (int) a[i];
        return r;
    }
}
