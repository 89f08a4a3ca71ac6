package dev.onnxport.backends.quant;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;

import java.util.List;

/**
 * Rewrites of the prepared graph for --to edgetpu, into ops on Coral's supported list (same float result):
 * HardSwish(x) = x * Clip(x + 3, 0, 6) * (1/6), LeakyRelu(x) = Max(x, alpha * x) (0 <= alpha <= 1), and a Split into
 * unequal parts (TFLite SPLIT_V) = one Slice per part. The new intermediate values carry no ONNX tensor (calibration
 * measures them in the float TFLite model); the final values keep the replaced node's.
 */
public final class EdgeTpuRewrites {
    private EdgeTpuRewrites() {}

    /** Rewrites g in place; returns the number of nodes rewritten. */
    public static int apply(Graph g) {
        int n = 0;
        for (Node m : List.copyOf(g.nodes())) {
            if (!m.domain().isEmpty()) continue;
            boolean done = switch (m.opType()) {
                case "HardSwish" -> hardSwish(g, m);
                case "LeakyRelu" -> leakyRelu(g, m);
                case "Split" -> split(g, m);
                default -> false;
            };
            if (done) n++;
        }
        if (n > 0) {
            g.removeDeadCode();
            g.topoSort();
        }
        return n;
    }

    private static Value scalar(Graph g, String hint, float v) { return g.addConstant(hint, Tensor.ofFloats(new long[0], v)); }

    private static Node node(Graph g, String op, Node like, String hint, List<Value> ins, Value typeOf) {
        Node n = g.addNode("", op, like.name() + "_" + hint, ins, Attrs.EMPTY, Math.max(13, like.opset()), like.output().name() + "_" + hint);
        n.output().setType(typeOf.type());
        return n;
    }

    private static void replace(Graph g, Value old, Value nu) {
        nu.setProvenance(old.provenance());
        g.replaceAllUsesWith(old, nu);
    }

    private static boolean hardSwish(Graph g, Node m) {
        Value x = m.input(0), y = m.output();
        if (x == null || y.type() == null) return false;
        Value s = node(g, "Add", m, "plus3", List.of(x, scalar(g, m.name() + "_3", 3)), y).output();
        Value r = g.addNode("", "Clip", m.name() + "_relu6", List.of(s, scalar(g, m.name() + "_0", 0), scalar(g, m.name() + "_6", 6)), Attrs.EMPTY,
                Math.max(13, m.opset()), y.name() + "_relu6").output();
        r.setType(y.type());
        Value p = node(g, "Mul", m, "times", List.of(x, r), y).output();
        Value out = node(g, "Mul", m, "sixth", List.of(p, scalar(g, m.name() + "_sixth", 1f / 6)), y).output();
        replace(g, y, out);
        return true;
    }

    private static boolean leakyRelu(Graph g, Node m) {
        float a = m.attrs().getFloat("alpha", 0.01f);
        Value x = m.input(0), y = m.output();
        if (x == null || y.type() == null || a < 0 || a > 1) return false;
        Value ax = node(g, "Mul", m, "alpha", List.of(x, scalar(g, m.name() + "_alpha", a)), y).output();
        Value out = node(g, "Max", m, "max", List.of(x, ax), y).output();
        replace(g, y, out);
        return true;
    }

    private static boolean split(Graph g, Node m) {
        Value x = m.input(0);
        if (x == null || x.shape() == null || !x.shape().isStatic()) return false;
        int rank = x.rank();
        int axis = (int) m.attrs().getInt("axis", 0);
        if (axis < 0) axis += rank;
        long first = -1;
        boolean equal = true;
        for (Value o : m.outputs()) {
            if (o.shape() == null || !o.shape().isStatic()) return false;
            long d = o.shape().toArray()[axis];
            if (first < 0) first = d;
            else if (d != first) equal = false;
        }
        if (equal) return false; // SPLIT, which the Edge TPU takes
        long off = 0;
        for (int i = 0; i < m.outputs().size(); i++) {
            Value o = m.output(i);
            long d = o.shape().toArray()[axis];
            if (o.uses().isEmpty() && !g.outputs().contains(o)) { off += d; continue; }
            Value st = g.addConstant(m.name() + "_start" + i, Tensor.ofLongs(new long[] {1}, off));
            Value en = g.addConstant(m.name() + "_end" + i, Tensor.ofLongs(new long[] {1}, off + d));
            Value ax = g.addConstant(m.name() + "_axis" + i, Tensor.ofLongs(new long[] {1}, axis));
            Node s = g.addNode("", "Slice", m.name() + "_part" + i, List.of(x, st, en, ax), Attrs.EMPTY, Math.max(13, m.opset()), o.name() + "_slice");
            s.output().setType(o.type());
            replace(g, o, s.output());
            off += d;
        }
        return true;
    }
}
