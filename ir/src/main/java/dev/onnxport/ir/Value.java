package dev.onnxport.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A value in the graph: a graph input, a constant, or a node output. It has at most one producer and a list of
 * uses. Its type may be refined by shape inference; its provenance says which ONNX tensor it carries.
 */
public final class Value {
    /** A use of a value: node input {@code index} of {@code node}. */
    public record Use(Node node, int index) {}

    private String name;
    private ValueType type;
    private Tensor constant;
    private Node producer;
    private int producerIndex = -1;
    private final List<Use> uses = new ArrayList<>();
    private Provenance provenance;

    Value(String name, ValueType type) {
        this.name = name;
        this.type = type;
    }

    public String name() { return name; }

    void rename(String n) { this.name = n; }

    public ValueType type() { return type; }

    public DType dtype() { return type == null ? null : type.dtype(); }

    /** The shape, or null when unknown. */
    public Shape shape() { return type == null ? null : type.shape(); }

    public int rank() {
        if (shape() == null) throw new ConversionException("value '" + name + "' has unknown rank");
        return shape().rank();
    }

    public void setType(ValueType t) { this.type = t; }

    /** The constant data, or null when the value is computed at run time. */
    public Tensor constant() { return constant; }

    public boolean isConstant() { return constant != null; }

    void setConstant(Tensor t) { this.constant = t; this.type = t.type(); }

    public Node producer() { return producer; }

    public int producerIndex() { return producerIndex; }

    void setProducer(Node n, int idx) { this.producer = n; this.producerIndex = idx; }

    public List<Use> uses() { return Collections.unmodifiableList(uses); }

    void addUse(Node n, int idx) { uses.add(new Use(n, idx)); }

    void removeUse(Node n, int idx) {
        for (int i = 0; i < uses.size(); i++) {
            Use u = uses.get(i);
            if (u.node() == n && u.index() == idx) { uses.remove(i); return; }
        }
    }

    /** The distinct nodes that read this value. */
    public List<Node> consumers() {
        List<Node> r = new ArrayList<>();
        for (Use u : uses) if (!r.contains(u.node())) r.add(u.node());
        return r;
    }

    public Provenance provenance() { return provenance; }

    public void setProvenance(Provenance p) { this.provenance = p; }

    @Override public String toString() { return "%" + name + ":" + type; }
}
