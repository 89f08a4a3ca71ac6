package dev.onnxport.ir;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A graph: inputs, outputs, nodes in topological order and the constants they read. Every edit goes through this
 * class so that producers and use lists stay consistent. Value and node names are unique within the graph.
 */
public final class Graph {
    private final String name;
    private final List<Node> nodes = new ArrayList<>();
    private final List<Value> inputs = new ArrayList<>();
    private final List<Value> outputs = new ArrayList<>();
    private final Map<String, Value> constants = new LinkedHashMap<>();
    private final Set<String> valueNames = new HashSet<>();
    private final Set<String> nodeNames = new HashSet<>();
    private final Map<String, Integer> opsets = new LinkedHashMap<>();
    private final Map<String, Integer> nameCounters = new HashMap<>();
    private final List<Value> outerRefs = new ArrayList<>();

    public Graph(String name) { this.name = name == null ? "main" : name; }

    public String name() { return name; }

    /** Opset version per domain ("" is the standard ONNX domain). */
    public Map<String, Integer> opsets() { return opsets; }

    public int opset() { return opsets.getOrDefault("", 0); }

    public List<Node> nodes() { return Collections.unmodifiableList(nodes); }

    public List<Value> inputs() { return Collections.unmodifiableList(inputs); }

    public List<Value> outputs() { return Collections.unmodifiableList(outputs); }

    public List<Value> constants() { return List.copyOf(constants.values()); }

    /** A value name not used yet, derived from base. */
    public String uniqueValueName(String base) { return unique(base == null || base.isEmpty() ? "v" : base, valueNames); }

    public String uniqueNodeName(String base) { return unique(base == null || base.isEmpty() ? "n" : base, nodeNames); }

    private String unique(String base, Set<String> used) {
        if (used.add(base)) return base;
        int i = nameCounters.getOrDefault(base, 1);
        String n;
        do { n = base + "_" + i++; } while (used.contains(n));
        nameCounters.put(base, i);
        used.add(n);
        return n;
    }

    public boolean hasValueName(String n) { return valueNames.contains(n); }

    /** Adds a graph input with exactly this name. */
    public Value addInput(String name, ValueType type) {
        if (valueNames.contains(name)) throw new ConversionException("duplicate value name '" + name + "'");
        valueNames.add(name);
        Value v = new Value(name, type);
        v.setProvenance(Provenance.of(name));
        inputs.add(v);
        return v;
    }

    /** Adds a named constant (an initializer). If the name is taken, a unique variant is used. */
    public Value addConstant(String nameHint, Tensor t) {
        Value v = new Value(uniqueValueName(nameHint == null ? "const" : nameHint), t.type());
        v.setConstant(t);
        v.setProvenance(Provenance.of(v.name()));
        constants.put(v.name(), v);
        return v;
    }

    /** A constant with a synthetic name (no ONNX counterpart). */
    public Value constant(Tensor t) {
        Value v = addConstant("const", t);
        v.setProvenance(null);
        return v;
    }

    /**
     * A value this (sub)graph reads from an enclosing graph by name: no producer, not an input.
     * Only subgraphs of control-flow ops (If/Loop/Scan) have these.
     */
    public Value addOuterRef(String name, ValueType type) {
        if (!valueNames.add(name)) throw new ConversionException("duplicate value name '" + name + "'");
        Value v = new Value(name, type);
        v.setProvenance(Provenance.of(name));
        outerRefs.add(v);
        return v;
    }

    public List<Value> outerRefs() { return Collections.unmodifiableList(outerRefs); }

    public void addOutput(Value v) { outputs.add(v); }

    public void setOutput(int i, Value v) { outputs.set(i, v); }

    public void removeInput(Value v) {
        if (!v.uses().isEmpty()) throw new ConversionException("input '" + v.name() + "' still has uses");
        inputs.remove(v);
    }

    /**
     * Replaces graph input i by a new input value of the same name and the given type; the old value is renamed
     * (it keeps its uses, so the caller rewires them, e.g. through a Transpose of the new input). Returns the new one.
     */
    public Value replaceInput(int i, ValueType t, Provenance prov) {
        Value old = inputs.get(i);
        String name = old.name();
        old.rename(uniqueValueName(name + "_orig"));
        Value v = new Value(name, t);
        v.setProvenance(prov);
        inputs.set(i, v);
        return v;
    }

    /** Renames a value to a fresh unique name derived from base (its provenance is unchanged). */
    public void renameValue(Value v, String base) {
        valueNames.remove(v.name());
        v.rename(uniqueValueName(base));
    }

    /** Gives v exactly this name, which must be free (e.g. after {@link #renameValue} moved its holder away). */
    public void setValueName(Value v, String name) {
        if (valueNames.contains(name) && !v.name().equals(name)) throw new ConversionException("value name '" + name + "' is taken");
        valueNames.remove(v.name());
        valueNames.add(name);
        v.rename(name);
    }

    /** Replaces the type of graph input i (e.g. for --input-shape). */
    public void setInputType(int i, ValueType t) { inputs.get(i).setType(t); }

    /**
     * Creates a node appended at the end (call {@link #topoSort()} after edits that need order) with
     * {@code outputNames.length} outputs named after the hints.
     */
    public Node addNode(String domain, String opType, String nodeName, List<Value> ins, Attrs attrs, int opset, String... outputNames) {
        Node n = new Node(domain, opType, uniqueNodeName(nodeName == null ? opType : nodeName), attrs, opset);
        n.setGraph(this);
        for (int i = 0; i < ins.size(); i++) {
            Value v = ins.get(i);
            n.inputs.add(v);
            if (v != null) v.addUse(n, i);
        }
        for (int i = 0; i < outputNames.length; i++) {
            Value o = new Value(uniqueValueName(outputNames[i]), null);
            o.setProducer(n, i);
            n.outputs.add(o);
        }
        nodes.add(n);
        return n;
    }

    /** Convenience: a standard-domain node with one output named after the node, at this graph's opset. */
    public Node add(String opType, List<Value> ins, Attrs attrs) {
        String nm = uniqueHint(opType);
        return addNode("", opType, nm, ins, attrs, opset(), nm);
    }

    public Node add(String opType, Value... ins) { return add(opType, java.util.Arrays.asList(ins), Attrs.EMPTY); }

    private String uniqueHint(String op) { return op.toLowerCase(java.util.Locale.ROOT); }

    /** Adds a node that must keep the exact output names given (frontend use). */
    public Node addNodeExact(String domain, String opType, String nodeName, List<Value> ins, Attrs attrs, int opset, List<String> outputNames) {
        Node n = new Node(domain, opType, uniqueNodeName(nodeName == null || nodeName.isEmpty() ? opType : nodeName), attrs, opset);
        n.setGraph(this);
        for (int i = 0; i < ins.size(); i++) {
            Value v = ins.get(i);
            n.inputs.add(v);
            if (v != null) v.addUse(n, i);
        }
        for (int i = 0; i < outputNames.size(); i++) {
            String on = outputNames.get(i);
            Value o;
            if (on == null || on.isEmpty()) {
                o = new Value(uniqueValueName(n.name() + "_unused" + i), null);
            } else {
                if (valueNames.contains(on)) throw new ConversionException("value '" + on + "' is produced twice").addContext(n);
                valueNames.add(on);
                o = new Value(on, null);
                o.setProvenance(Provenance.of(on));
            }
            o.setProducer(n, i);
            n.outputs.add(o);
        }
        nodes.add(n);
        return n;
    }

    /** Rewires input i of n to v (v may be null for an omitted optional input). */
    public void setInput(Node n, int i, Value v) {
        while (n.inputs.size() <= i) n.inputs.add(null);
        Value old = n.inputs.get(i);
        if (old != null) old.removeUse(n, i);
        n.inputs.set(i, v);
        if (v != null) v.addUse(n, i);
    }

    /** Makes every reader of old (nodes and graph outputs) read nu instead. */
    public void replaceAllUsesWith(Value old, Value nu) {
        if (old == nu) return;
        for (Value.Use u : List.copyOf(old.uses())) setInput(u.node(), u.index(), nu);
        for (int i = 0; i < outputs.size(); i++) {
            if (outputs.get(i) == old) {
                // a graph output keeps its name: the replacement takes it over when it can, else an Identity keeps it
                if (nu.producer() != null && !outputs.contains(nu) && nu.producer().graph() == this) {
                    String keep = old.name();
                    old.rename(uniqueValueName(keep + "_replaced"));
                    nu.rename(keep);
                    if (nu.type() == null || nu.shape() == null && old.shape() != null) nu.setType(old.type());
                    Provenance p = old.provenance();
                    if (p != null && nu.provenance() != null && nu.provenance().onnxName() != null && !nu.provenance().onnxName().equals(keep)) {
                        nu.setProvenance(new Provenance(keep, nu.provenance().perm()));
                    } else if (nu.provenance() == null) {
                        nu.setProvenance(p);
                    }
                    outputs.set(i, nu);
                } else {
                    Node id = addNode("", "Identity", old.name() + "_keep", List.of(nu), Attrs.EMPTY, opset(), old.name() + "_keep");
                    Value idOut = id.output();
                    String keep = old.name();
                    old.rename(uniqueValueName(keep + "_replaced"));
                    idOut.rename(keep);
                    idOut.setType(nu.type());
                    idOut.setProvenance(old.provenance());
                    outputs.set(i, idOut);
                }
            }
        }
    }

    /** Removes a node whose outputs are unused and are not graph outputs. */
    public void removeNode(Node n) {
        for (Value o : n.outputs) {
            if (!o.uses().isEmpty() || outputs.contains(o))
                throw new ConversionException("cannot remove: output '" + o.name() + "' is still used").addContext(n);
        }
        for (int i = 0; i < n.inputs.size(); i++) {
            Value v = n.inputs.get(i);
            if (v != null) v.removeUse(n, i);
        }
        nodes.remove(n);
        n.setGraph(null);
    }

    /**
     * Names of values of this graph that subgraphs (of If/Loop/Scan nodes, at any depth) read from the enclosing
     * scope. Such a value is referenced by name only, so passes must keep it, and keep its name.
     */
    public Set<String> namesReadBySubgraphs() {
        Set<String> r = new HashSet<>();
        for (Node n : nodes) for (Attr a : n.attrs().asMap().values()) {
            if (a instanceof Attr.GraphAttr ga) collectOuter(ga.value(), r);
            else if (a instanceof Attr.Graphs gs) for (Graph sg : gs.value()) collectOuter(sg, r);
        }
        return r;
    }

    private static void collectOuter(Graph sg, Set<String> out) {
        for (Value v : sg.outerRefs) out.add(v.name());
        Set<String> inner = sg.namesReadBySubgraphs();
        Set<String> defined = new HashSet<>();
        for (Value v : sg.inputs) defined.add(v.name());
        for (Value v : sg.constants.values()) defined.add(v.name());
        for (Node n : sg.nodes) for (Value o : n.outputs) defined.add(o.name());
        for (String s : inner) if (!defined.contains(s)) out.add(s);
    }

    /** Removes nodes whose outputs reach no graph output, and unused constants. Returns true when it removed any. */
    public boolean removeDeadCode() {
        boolean changed = false;
        Set<Node> live = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Value> work = new ArrayDeque<>(outputs);
        Set<String> byName = namesReadBySubgraphs();
        if (!byName.isEmpty()) {
            for (Node n : nodes) for (Value o : n.outputs) if (byName.contains(o.name())) work.add(o);
            for (Value c : constants.values()) if (byName.contains(c.name())) work.add(c);
        }
        while (!work.isEmpty()) {
            Value v = work.pop();
            Node p = v.producer();
            if (p != null && live.add(p)) for (Value i : p.inputs) if (i != null) work.push(i);
        }
        for (int k = nodes.size() - 1; k >= 0; k--) {
            Node n = nodes.get(k);
            if (!live.contains(n)) {
                for (int i = 0; i < n.inputs.size(); i++) {
                    Value v = n.inputs.get(i);
                    if (v != null) v.removeUse(n, i);
                }
                nodes.remove(k);
                n.setGraph(null);
                changed = true;
            }
        }
        for (var it = constants.values().iterator(); it.hasNext(); ) {
            Value c = it.next();
            if (c.uses().isEmpty() && !outputs.contains(c) && !byName.contains(c.name())) { it.remove(); changed = true; }
        }
        return changed;
    }

    /** Sorts nodes topologically, keeping the current order where it is already valid. */
    public void topoSort() {
        Map<Node, Integer> pending = new IdentityHashMap<>();
        Map<Node, Integer> pos = new IdentityHashMap<>();
        for (int i = 0; i < nodes.size(); i++) pos.put(nodes.get(i), i);
        java.util.PriorityQueue<Node> ready = new java.util.PriorityQueue<>((a, b) -> Integer.compare(pos.get(a), pos.get(b)));
        for (Node n : nodes) {
            Set<Node> deps = Collections.newSetFromMap(new IdentityHashMap<>());
            for (Value v : n.inputs) if (v != null && v.producer() != null && pos.containsKey(v.producer())) deps.add(v.producer());
            pending.put(n, deps.size());
            if (deps.isEmpty()) ready.add(n);
        }
        List<Node> order = new ArrayList<>(nodes.size());
        while (!ready.isEmpty()) {
            Node n = ready.poll();
            order.add(n);
            Set<Node> done = Collections.newSetFromMap(new IdentityHashMap<>());
            for (Value o : n.outputs) for (Value.Use u : o.uses()) {
                if (done.add(u.node()) && pending.containsKey(u.node())) {
                    int left = pending.merge(u.node(), -1, Integer::sum);
                    if (left == 0) ready.add(u.node());
                }
            }
        }
        if (order.size() != nodes.size()) throw new ConversionException("graph '" + name + "' has a cycle");
        nodes.clear();
        nodes.addAll(order);
    }

    /** Number of nodes per qualified op type, in first-seen order. */
    public Map<String, Integer> opHistogram() {
        Map<String, Integer> h = new LinkedHashMap<>();
        for (Node n : nodes) h.merge(n.qualifiedOp(), 1, Integer::sum);
        return h;
    }

    /** A stable textual form, for tests and debugging. */
    public String dump() {
        StringBuilder sb = new StringBuilder("graph ").append(name).append(" (");
        for (Value v : inputs) sb.append(v).append(' ');
        sb.append(")\n");
        for (Node n : nodes) sb.append("  ").append(n).append('\n');
        sb.append("  return ");
        for (Value v : outputs) sb.append(v).append(' ');
        return sb.append('\n').toString();
    }
}
