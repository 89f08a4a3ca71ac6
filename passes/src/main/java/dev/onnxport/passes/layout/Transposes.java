package dev.onnxport.passes.layout;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Provenance;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;

import java.util.List;

/** Building and reading Transpose nodes for the layout passes. */
final class Transposes {
    private Transposes() {}

    /** A new Transpose of x by perm (output typed here; shape functions may refine it later). */
    static Value add(Graph g, Value x, int[] perm) {
        Node t = g.addNode("", "Transpose", x.name() + "_transposed", List.of(x),
                Attrs.builder().put("perm", ChannelsLast.toLong(perm)).build(), g.opset(), x.name() + "_t");
        Value o = t.output();
        if (x.type() != null && x.shape() != null) o.setType(new ValueType(x.dtype(), x.shape().permute(perm)));
        else if (x.type() != null) o.setType(x.type());
        Provenance p = x.provenance();
        if (p != null) o.setProvenance(new Provenance(p.onnxName(), compose(p.perm(), perm)));
        return o;
    }

    /** Inserts a Transpose after y: every reader of y (and the graph outputs) reads the transposed value. */
    static Value addAfter(Graph g, Value y, int[] perm) {
        List<Value.Use> uses = List.copyOf(y.uses());
        boolean isOutput = g.outputs().contains(y);
        Value t = add(g, y, perm);
        for (Value.Use u : uses) g.setInput(u.node(), u.index(), t);
        if (isOutput) {
            String name = y.name();
            g.renameValue(y, name + "_nhwc");
            g.setValueName(t, name);
            for (int i = 0; i < g.outputs().size(); i++) if (g.outputs().get(i) == y) g.setOutput(i, t);
        }
        return t;
    }

    /** The perm of a Transpose node (default: reversed axes). */
    static int[] perm(Node t) {
        long[] p = t.attrs().getInts("perm");
        int r = t.input(0).shape() == null ? (p == null ? -1 : p.length) : t.input(0).shape().rank();
        if (p == null) {
            int[] d = new int[r];
            for (int i = 0; i < r; i++) d[i] = r - 1 - i;
            return d;
        }
        return ChannelsLast.toInt(p);
    }

    /**
     * Provenance perm of transpose(v, p) when v's own provenance perm is q (null = identity): axis i of the
     * result is axis p[i] of v, which is ONNX axis q[p[i]].
     */
    static int[] compose(int[] q, int[] p) {
        int[] r = new int[p.length];
        for (int i = 0; i < p.length; i++) r[i] = q == null ? p[i] : q[p[i]];
        return r;
    }

    static boolean isIdentity(int[] p) {
        for (int i = 0; i < p.length; i++) if (p[i] != i) return false;
        return true;
    }

    static int[] inverse(int[] p) {
        int[] inv = new int[p.length];
        for (int i = 0; i < p.length; i++) inv[p[i]] = i;
        return inv;
    }

    static boolean isTranspose(Node n) { return n != null && n.domain().isEmpty() && n.opType().equals("Transpose"); }
}
