package dev.onnxport.cli.profiles;

import dev.onnxport.ir.Attr;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;

import java.util.ArrayList;
import java.util.List;

/** Lists, by node name, what a graph holds that a profile cannot express (subgraph nodes included). */
public final class ProfileCheck {
    /** One node the profile cannot express, and why. */
    public record Problem(String node, String op, String reason) {
        @Override public String toString() { return "node '" + node + "' (" + op + "): " + reason; }
    }

    private ProfileCheck() {}

    public static List<Problem> check(Graph g, Profile p) { return check(g, p, OpVersions.standard()); }

    public static List<Problem> check(Graph g, Profile p, OpVersions versions) {
        List<Problem> r = new ArrayList<>();
        walk(g, p, versions, r);
        return r;
    }

    private static void walk(Graph g, Profile p, OpVersions versions, List<Problem> out) {
        for (Node n : g.nodes()) {
            String why = whyNot(n, p, versions);
            if (why != null) out.add(new Problem(n.name(), n.qualifiedOp(), why));
            for (Attr a : n.attrs().asMap().values()) {
                if (a instanceof Attr.GraphAttr ga) walk(ga.value(), p, versions, out);
                else if (a instanceof Attr.Graphs gs) for (Graph sg : gs.value()) walk(sg, p, versions, out);
            }
        }
    }

    /** Why profile p cannot express node n, or null when it can. */
    static String whyNot(Node n, Profile p, OpVersions versions) {
        String op = n.qualifiedOp();
        Integer max = p.ops().get(op);
        if (max == null) return "target '" + p.name() + "' has no " + op;
        if (!n.domain().isEmpty() || !versions.knows(op)) {
            return n.opset() > max ? "opset " + n.opset() + " of its domain is newer than the " + max + " target '" + p.name() + "' reads" : null;
        }
        int v = versions.versionAt(op, n.opset());
        if (v == 0) return op + " does not exist at opset " + n.opset();
        if (p.opset() != null) {
            int w = versions.versionAt(op, p.opset());
            if (w == 0) return op + " does not exist at opset " + p.opset() + ", the opset target '" + p.name() + "' reads";
            String why = versions.whyNot(n, v, w);
            if (why != null) return "is " + op + "-" + v + " and cannot be written as " + op + "-" + w + " (opset " + p.opset() + "): " + why;
            if (w > max) {
                why = versions.whyNot(n, w, max);
                if (why != null) return "target '" + p.name() + "' reads " + op + " up to version " + max + ": " + why;
            }
        }
        if (v > max) {
            String why = versions.whyNot(n, v, max);
            if (why != null) return "is " + op + "-" + v + "; target '" + p.name() + "' reads " + op + " up to version " + max + ": " + why;
        }
        return null;
    }
}
