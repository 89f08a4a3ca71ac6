package dev.onnxport.backends.quant;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;

import java.util.List;

/**
 * An int8-only rewrite of the prepared graph: hard-swish written out as x * Clip(x + 3, 0, 6) / 6 (or with the
 * division first, or x * HardSigmoid(x) with alpha 1/6 and beta 1/2) becomes one HardSwish node. The float result is
 * the same; in int8 the written-out form loses precision in its intermediate product (6x the output's range) and the
 * fused one maps to TFLite's int8 HARD_SWISH kernel. The float conversion does not run it (its output stays as it is).
 */
public final class FuseHardSwish {
    private FuseHardSwish() {}

    /** Rewrites g in place; returns how many hard-swishes were fused. */
    public static int apply(Graph g) {
        int n = 0;
        for (Node m : List.copyOf(g.nodes())) {
            if (m.graph() == null || !m.domain().isEmpty()) continue;
            Value x = match(m);
            if (x == null) continue;
            Value y = m.output();
            Node h = g.addNode("", "HardSwish", m.name() + "_hardswish", List.of(x), Attrs.EMPTY, Math.max(14, m.opset()), y.name() + "_hardswish");
            h.output().setType(y.type());
            h.output().setProvenance(y.provenance());
            g.replaceAllUsesWith(y, h.output());
            n++;
        }
        if (n > 0) {
            g.removeDeadCode();
            g.topoSort();
        }
        return n;
    }

    /** x when m computes hard-swish(x), else null. */
    static Value match(Node m) {
        // ... / 6 or ... * (1/6) at the end
        Value a = scaledBy(m, 1.0 / 6);
        if (a != null && single(a)) {
            Node p = a.producer();
            if (p != null && p.opType().equals("Mul") && p.domain().isEmpty()) {
                for (int i = 0; i < 2; i++) {
                    Value x = p.input(i), r = p.input(1 - i);
                    if (x != null && r != null && single(r) && x == relu6PlusThree(r.producer())) return x;
                }
            }
        }
        // x * (Clip(x + 3, 0, 6) / 6) or x * HardSigmoid(x)
        if (m.opType().equals("Mul") && m.inputCount() == 2) {
            for (int i = 0; i < 2; i++) {
                Value x = m.input(i), s = m.input(1 - i);
                if (x == null || s == null || !single(s) || s.producer() == null) continue;
                Node q = s.producer();
                if (q.opType().equals("HardSigmoid") && q.input(0) == x && near(q.attrs().getFloat("alpha", 0.2f), 1.0 / 6)
                        && near(q.attrs().getFloat("beta", 0.5f), 0.5)) return x;
                Value r = scaledBy(q, 1.0 / 6);
                if (r != null && single(r) && x == relu6PlusThree(r.producer())) return x;
            }
        }
        return null;
    }

    /** v when m computes v * k or v / (1/k) with a constant scalar. */
    private static Value scaledBy(Node m, double k) {
        if (!m.domain().isEmpty() || m.inputCount() != 2) return null;
        if (m.opType().equals("Mul")) {
            for (int i = 0; i < 2; i++) if (scalar(m.input(1 - i), k)) return m.input(i);
        } else if (m.opType().equals("Div") && scalar(m.input(1), 1 / k)) {
            return m.input(0);
        }
        return null;
    }

    /** x when n computes Clip(x + 3, 0, 6). */
    private static Value relu6PlusThree(Node n) {
        if (n == null || !n.domain().isEmpty() || !n.opType().equals("Clip")) return null;
        double lo, hi;
        if (n.opset() < 11) {
            lo = n.attrs().getFloat("min", Float.NEGATIVE_INFINITY);
            hi = n.attrs().getFloat("max", Float.POSITIVE_INFINITY);
        } else {
            Tensor a = n.constInput(1), b = n.constInput(2);
            if (a == null || b == null || a.numel() != 1 || b.numel() != 1) return null;
            lo = a.getDouble(0);
            hi = b.getDouble(0);
        }
        if (lo != 0 || hi != 6) return null;
        Value s = n.input(0);
        if (s == null || !single(s) || s.producer() == null) return null;
        Node add = s.producer();
        if (!add.opType().equals("Add") || !add.domain().isEmpty() || add.inputCount() != 2) return null;
        for (int i = 0; i < 2; i++) if (scalar(add.input(1 - i), 3)) return add.input(i);
        return null;
    }

    private static boolean scalar(Value v, double k) {
        if (v == null || v.constant() == null || v.constant().numel() != 1) return false;
        return near(v.constant().getDouble(0), k);
    }

    private static boolean near(double a, double b) { return Math.abs(a - b) <= 1e-5 * Math.abs(b); }

    /** Read by exactly one node input and not a graph output. */
    private static boolean single(Value v) {
        return v.uses().size() == 1 && v.producer() != null && !v.producer().graph().outputs().contains(v);
    }
}
