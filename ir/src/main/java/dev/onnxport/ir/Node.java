package dev.onnxport.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An operation: op type in a domain (""/"ai.onnx" for standard ONNX ops), typed attributes, inputs (null for an
 * omitted optional input) and outputs. Nodes are created and rewired only through {@link Graph}.
 */
public final class Node {
    private final String domain;
    private final String opType;
    private String name;
    private Attrs attrs;
    private final int opset;
    final List<Value> inputs = new ArrayList<>();
    final List<Value> outputs = new ArrayList<>();
    private Graph graph;

    Node(String domain, String opType, String name, Attrs attrs, int opset) {
        this.domain = domain == null || domain.equals("ai.onnx") ? "" : domain;
        this.opType = opType;
        this.name = name;
        this.attrs = attrs == null ? Attrs.EMPTY : attrs;
        this.opset = opset;
    }

    public String domain() { return domain; }

    public String opType() { return opType; }

    /** Op type qualified by its domain when it is not the standard one, e.g. "com.microsoft.Inverse". */
    public String qualifiedOp() { return domain.isEmpty() ? opType : domain + "." + opType; }

    public String name() { return name; }

    public Attrs attrs() { return attrs; }

    public void setAttrs(Attrs a) { this.attrs = a == null ? Attrs.EMPTY : a; }

    /** The opset version of this node's domain in the source model. */
    public int opset() { return opset; }

    public Graph graph() { return graph; }

    void setGraph(Graph g) { this.graph = g; }

    void setName(String n) { this.name = n; }

    public List<Value> inputs() { return Collections.unmodifiableList(inputs); }

    public List<Value> outputs() { return Collections.unmodifiableList(outputs); }

    public int inputCount() { return inputs.size(); }

    /** Input i, or null when it is absent or omitted. */
    public Value input(int i) { return i < inputs.size() ? inputs.get(i) : null; }

    public boolean hasInput(int i) { return input(i) != null; }

    public Value output(int i) { return outputs.get(i); }

    public Value output() { return outputs.get(0); }

    /** Constant data of input i, or null when it is not a constant. */
    public Tensor constInput(int i) {
        Value v = input(i);
        return v == null ? null : v.constant();
    }

    /** Constant data of input i; throws a node-context error when it is computed at run time. */
    public Tensor requireConst(int i, String what) {
        Tensor t = constInput(i);
        if (t == null) throw new ConversionException(what + " (input " + i + ") must be a constant").addContext(this);
        return t;
    }

    public String describe() {
        return "node '" + name + "' (" + qualifiedOp() + (opset > 0 ? ", opset " + opset : "") + ")";
    }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < outputs.size(); i++) sb.append(i == 0 ? "" : ", ").append(outputs.get(i));
        sb.append(" = ").append(qualifiedOp()).append(attrs.asMap().isEmpty() ? "" : attrs.toString()).append("(");
        for (int i = 0; i < inputs.size(); i++) {
            Value v = inputs.get(i);
            sb.append(i == 0 ? "" : ", ").append(v == null ? "_" : "%" + v.name());
        }
        return sb.append(")  # ").append(name).toString();
    }
}
