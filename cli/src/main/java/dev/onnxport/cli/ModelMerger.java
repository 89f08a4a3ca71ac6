package dev.onnxport.cli;

import dev.onnxport.cli.profiles.OpVersions;
import dev.onnxport.ir.Attr;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Value;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Joins two graphs into one: B's connected inputs read A's outputs. Everything of A keeps its name; B's names keep
 * theirs unless they collide with one of A's (or {@code prefixAll}), in which case they get the prefix. The merged
 * graph's inputs are A's, then B's unconnected ones; its outputs A's unconnected ones, then B's. Each domain's opset
 * is the higher of the two; a node whose op changed between its model's opset and that one is an error.
 */
final class ModelMerger {
    /** One --connect pair: A's output {@code from} feeds B's input {@code to}. */
    record Connection(String from, String to) {}

    /** The merged graph and what was renamed (B's old name -> new name, values and nodes). */
    record Result(Graph graph, Map<String, String> renamedValues, Map<String, String> renamedNodes) {}

    private ModelMerger() {}

    static Result merge(Graph a, Graph b, List<Connection> connections, String prefix, boolean prefixAll) {
        Map<String, Value> aOutputs = new LinkedHashMap<>();
        for (Value v : a.outputs()) aOutputs.put(v.name(), v);
        Map<String, Value> bInputs = new LinkedHashMap<>();
        for (Value v : b.inputs()) bInputs.put(v.name(), v);
        Map<Value, String> fedBy = new IdentityHashMap<>();
        Set<String> connectedA = new HashSet<>();
        for (Connection c : connections) {
            Value from = aOutputs.get(c.from());
            if (from == null) throw new IllegalArgumentException("--connect " + c.from() + ":" + c.to() + ": the first model has no output '"
                    + c.from() + "' (outputs: " + String.join(", ", aOutputs.keySet()) + ")");
            Value to = bInputs.get(c.to());
            if (to == null) throw new IllegalArgumentException("--connect " + c.from() + ":" + c.to() + ": the second model has no input '"
                    + c.to() + "' (inputs: " + String.join(", ", bInputs.keySet()) + ")");
            if (fedBy.put(to, c.from()) != null) throw new IllegalArgumentException("--connect: input '" + c.to() + "' is fed twice");
            String why = incompatible(from, to);
            if (why != null) throw new IllegalArgumentException("--connect " + c.from() + ":" + c.to() + ": " + why);
            connectedA.add(c.from());
        }

        Graph m = new Graph(a.name());
        m.opsets().putAll(a.opsets());
        for (Map.Entry<String, Integer> e : b.opsets().entrySet()) m.opsets().merge(e.getKey(), e.getValue(), Math::max);
        checkOpsets(a, m.opsets(), "first");
        checkOpsets(b, m.opsets(), "second");

        // names of A, which B must not take
        Set<String> aValues = new HashSet<>(), aNodes = new HashSet<>();
        for (Value v : a.inputs()) aValues.add(v.name());
        for (Value v : a.constants()) aValues.add(v.name());
        for (Node n : a.nodes()) {
            aNodes.add(n.name());
            for (Value o : n.outputs()) aValues.add(o.name());
        }
        // B's names, and the new name of each
        List<String> bValueNames = new ArrayList<>(), bNodeNames = new ArrayList<>();
        for (Value v : b.inputs()) if (!fedBy.containsKey(v)) bValueNames.add(v.name());
        for (Value v : b.constants()) bValueNames.add(v.name());
        for (Node n : b.nodes()) {
            bNodeNames.add(n.name());
            for (Value o : n.outputs()) bValueNames.add(o.name());
        }
        Map<String, String> valueNames = rename(bValueNames, aValues, prefix, prefixAll);
        Map<String, String> nodeNames = rename(bNodeNames, aNodes, prefix, prefixAll);

        Map<Value, Value> map = new IdentityHashMap<>();
        for (Value v : a.inputs()) map.put(v, m.addInput(v.name(), v.type()));
        for (Value v : b.inputs()) if (!fedBy.containsKey(v)) map.put(v, m.addInput(valueNames.get(v.name()), v.type()));
        for (Value v : a.constants()) map.put(v, exactConstant(m, v.name(), v));
        for (Value v : b.constants()) map.put(v, exactConstant(m, valueNames.get(v.name()), v));
        for (Node n : a.nodes()) copy(n, m, map, n.name(), null);
        for (Map.Entry<Value, String> e : fedBy.entrySet()) map.put(e.getKey(), map.get(aOutputs.get(e.getValue())));
        // subgraphs of B read outer values by name: a renamed or connected value is renamed there too
        Map<String, String> outer = new HashMap<>();
        for (Map.Entry<String, String> e : valueNames.entrySet()) if (!e.getKey().equals(e.getValue())) outer.put(e.getKey(), e.getValue());
        for (Map.Entry<Value, String> e : fedBy.entrySet()) outer.put(e.getKey().name(), map.get(e.getKey()).name());
        for (Node n : b.nodes()) {
            if (!outer.isEmpty()) renameOuterRefs(n, outer);
            copy(n, m, map, nodeNames.get(n.name()), valueNames);
        }
        for (Value v : a.outputs()) if (!connectedA.contains(v.name())) m.addOutput(map.get(v));
        for (Value v : b.outputs()) m.addOutput(map.get(v));

        Map<String, String> rv = new LinkedHashMap<>(), rn = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : valueNames.entrySet()) if (!e.getKey().equals(e.getValue())) rv.put(e.getKey(), e.getValue());
        for (Map.Entry<String, String> e : nodeNames.entrySet()) if (!e.getKey().equals(e.getValue())) rn.put(e.getKey(), e.getValue());
        return new Result(m, rv, rn);
    }

    private static Value exactConstant(Graph m, String name, Value c) {
        Value v = m.addConstant(name, c.constant());
        if (!v.name().equals(name)) throw new IllegalStateException("constant name '" + name + "' is taken");
        return v;
    }

    private static void copy(Node n, Graph m, Map<Value, Value> map, String name, Map<String, String> valueNames) {
        List<Value> ins = new ArrayList<>();
        for (Value v : n.inputs()) {
            if (v == null) { ins.add(null); continue; }
            Value mv = map.get(v);
            if (mv == null) throw new IllegalStateException("value '" + v.name() + "' read by node '" + n.name() + "' is not defined before it");
            ins.add(mv);
        }
        List<String> outs = new ArrayList<>();
        for (Value o : n.outputs()) outs.add(valueNames == null ? o.name() : valueNames.get(o.name()));
        Node c = m.addNodeExact(n.domain(), n.opType(), name, ins, n.attrs(), n.opset(), outs);
        if (!c.name().equals(name)) throw new IllegalStateException("node name '" + name + "' is taken");
        for (int i = 0; i < n.outputs().size(); i++) {
            c.output(i).setType(n.output(i).type());
            map.put(n.output(i), c.output(i));
        }
    }

    /** New names for B's names: kept unless taken by A (or prefixAll); prefixed names made unique. */
    private static Map<String, String> rename(List<String> bNames, Set<String> aNames, String prefix, boolean prefixAll) {
        Map<String, String> r = new LinkedHashMap<>();
        Set<String> taken = new HashSet<>(aNames);
        for (String n : bNames) if (!prefixAll && !aNames.contains(n)) { r.put(n, n); taken.add(n); }
        for (String n : bNames) {
            if (r.containsKey(n)) continue;
            String cand = prefix + n;
            for (int i = 1; taken.contains(cand); i++) cand = prefix + n + "_" + i;
            taken.add(cand);
            r.put(n, cand);
        }
        return r;
    }

    private static void renameOuterRefs(Node n, Map<String, String> names) {
        for (Attr a : n.attrs().asMap().values()) {
            if (a instanceof Attr.GraphAttr ga) renameOuterRefs(ga.value(), names);
            else if (a instanceof Attr.Graphs gs) for (Graph sg : gs.value()) renameOuterRefs(sg, names);
        }
    }

    private static void renameOuterRefs(Graph sg, Map<String, String> names) {
        for (Value v : sg.outerRefs()) {
            String nu = names.get(v.name());
            if (nu != null) sg.setValueName(v, nu);
        }
        // names this subgraph defines hide the outer ones from its own subgraphs
        Map<String, String> inner = new HashMap<>(names);
        for (Value v : sg.inputs()) inner.remove(v.name());
        for (Value v : sg.constants()) inner.remove(v.name());
        for (Node n : sg.nodes()) for (Value o : n.outputs()) inner.remove(o.name());
        if (inner.isEmpty()) return;
        for (Node n : sg.nodes()) renameOuterRefs(n, inner);
    }

    /** Why A's output cannot feed B's input, or null. */
    private static String incompatible(Value from, Value to) {
        if (from.dtype() != null && to.dtype() != null && from.dtype() != to.dtype())
            return "element types differ (" + from.dtype() + " vs " + to.dtype() + ")";
        Shape f = from.shape(), t = to.shape();
        if (f == null || t == null) return null;
        if (f.rank() != t.rank()) return "ranks differ (" + f + " vs " + t + ")";
        for (int i = 0; i < f.rank(); i++) {
            Dim x = f.dim(i), y = t.dim(i);
            if (x.isKnown() && y.isKnown() && x.value() != y.value()) return "shapes differ at dim " + i + " (" + f + " vs " + t + ")";
        }
        return null;
    }

    /** Fails when a standard-domain node of g would change meaning at the merged opset. */
    private static void checkOpsets(Graph g, Map<String, Integer> opsets, String which) {
        int to = opsets.getOrDefault("", 0);
        if (g.opsets().getOrDefault("", 0) == to) return;
        OpVersions v = OpVersions.standard();
        List<String> bad = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (!n.domain().isEmpty() || !v.knows(n.opType())) continue;
            int from = v.versionAt(n.opType(), n.opset()), at = v.versionAt(n.opType(), to);
            String why = v.whyNot(n, from, at);
            if (why != null) bad.add("node '" + n.name() + "' (" + n.opType() + "-" + from + " at opset " + n.opset() + "): " + why);
        }
        if (!bad.isEmpty())
            throw new MergeOpsetException("the " + which + " model is at opset " + g.opsets().get("") + "; at the merged opset " + to
                    + " these nodes would change meaning (write both models at the same opset, e.g. 'make ... --opset "
                    + g.opsets().get("") + "'):\n  " + String.join("\n  ", bad));
    }

    /** The models cannot share one opset. */
    static final class MergeOpsetException extends RuntimeException {
        MergeOpsetException(String msg) { super(msg); }
    }
}
