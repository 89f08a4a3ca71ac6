package dev.onnxport.cli.parts;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds a part's graph: standard-domain nodes at one opset, each output typed as it is made (so the part does not
 * depend on shape functions), with node and value names under a common prefix.
 */
final class PartGraph {
    final Graph g;
    private final String prefix;

    PartGraph(String name, int opset) {
        g = new Graph(name);
        g.opsets().put("", opset);
        prefix = name + "/";
    }

    int opset() { return g.opset(); }

    Value input(String name, DType t, List<Dim> dims) { return g.addInput(name, new ValueType(t, Shape.of(dims))); }

    Value constant(String name, Tensor t) { return g.addConstant(prefix + name, t); }

    Value ints(String name, long... v) { return constant(name, Tensor.ofLongs(new long[] {v.length}, v)); }

    Value scalarInt(String name, long v) { return constant(name, Tensor.scalarLong(v)); }

    Value floats(String name, float... v) { return constant(name, Tensor.ofFloats(new long[] {v.length}, v)); }

    Value scalarFloat(String name, float v) { return constant(name, Tensor.scalarFloat(v)); }

    /** A node with one output named {@code prefix + name}, of the given type. */
    Value op(String op, String name, List<Value> ins, Attrs attrs, ValueType out) {
        return ops(op, name, ins, attrs, List.of(name), List.of(out)).get(0);
    }

    Value op(String op, String name, ValueType out, Value... ins) { return op(op, name, Arrays.asList(ins), Attrs.EMPTY, out); }

    /** A node named {@code prefix + name} with outputs {@code prefix + outNames[i]} of types {@code outs[i]}. */
    List<Value> ops(String op, String name, List<Value> ins, Attrs attrs, List<String> outNames, List<ValueType> outs) {
        return opsAt("", g.opset(), op, name, ins, attrs, outNames, outs);
    }

    /**
     * A node of another domain or of a newer version than the graph's opset (an op a portability pass then rewrites
     * into ops of the graph's opset); the domain's opset is declared.
     */
    List<Value> opsAt(String domain, int version, String op, String name, List<Value> ins, Attrs attrs, List<String> outNames,
                      List<ValueType> outs) {
        if (!domain.isEmpty()) g.opsets().merge(domain, version, Math::max);
        List<String> names = new ArrayList<>();
        for (String n : outNames) names.add(prefix + n);
        Node n = g.addNodeExact(domain, op, prefix + name, ins, attrs, version, names);
        for (int i = 0; i < outs.size(); i++) n.output(i).setType(outs.get(i));
        return n.outputs();
    }

    /** Makes v a graph output under exactly this name. */
    void output(Value v, String name) {
        g.setValueName(v, name);
        g.addOutput(v);
    }

    static ValueType type(DType t, List<Dim> dims) { return new ValueType(t, Shape.of(dims)); }

    static ValueType type(DType t, Dim... dims) { return new ValueType(t, Shape.of(Arrays.asList(dims))); }
}
