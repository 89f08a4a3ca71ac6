package dev.onnxport.passes;

import dev.onnxport.ir.Attr;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fixes the shapes of graph inputs before conversion (the CLI's {@code --input-shape NAME:d0,d1,...} and
 * {@code --batch N}).
 *
 * <ul>
 *   <li>An explicit shape replaces the input's whole shape. The name must be a graph input (not an initializer)
 *       and the rank must match the declared rank (any rank is accepted when the model declares none). Every dim
 *       must be at least 1. A dim the model declares as a number may be changed (the user asked for it).</li>
 *   <li>{@code batch} sets dim 0 of every input that has no explicit shape, has rank &ge; 1 and whose dim 0 is
 *       symbolic (named or anonymous). Inputs whose dim 0 is already a number are left alone: a model with a
 *       static batch keeps it.</li>
 *   <li>A named symbolic dim (dim_param, e.g. "N") that gets a value this way is bound: every other occurrence of
 *       the same symbol in the graph's value types (other inputs, node outputs, graph outputs, subgraphs) gets the
 *       value too. Binding one symbol to two different values is an error. Anonymous dims are never bound.</li>
 * </ul>
 *
 * Every failure is a {@link ConversionException} describing the user's mistake (unknown name with the valid input
 * names, rank mismatch, conflicting symbol, non-positive dim); nothing is changed when apply throws.
 */
public final class InputShapes {
    private InputShapes() {}

    /**
     * Applies explicit shapes and/or a batch size to g's inputs.
     *
     * @param shapes input name to its full new shape (may be empty or null)
     * @param batch  the batch size for inputs whose dim 0 is symbolic, or null
     * @return the names of the inputs whose type changed, in input order
     */
    public static List<String> apply(Graph g, Map<String, long[]> shapes, Integer batch) {
        Map<String, long[]> req = shapes == null ? Map.of() : shapes;
        List<String> names = new ArrayList<>();
        for (Value v : g.inputs()) names.add(v.name());
        for (Map.Entry<String, long[]> e : req.entrySet()) {
            if (!names.contains(e.getKey())) {
                String why = g.constants().stream().anyMatch(c -> c.name().equals(e.getKey())) ? " is an initializer (a constant), not a graph input"
                        : " is not an input of the model";
                throw new ConversionException("--input-shape: '" + e.getKey() + "'" + why + "; inputs are: " + quoted(names));
            }
            for (long d : e.getValue()) {
                if (d < 1) throw new ConversionException("--input-shape " + e.getKey() + ": dim " + d + " is not a positive size");
            }
        }
        if (batch != null && batch < 1) throw new ConversionException("--batch " + batch + " is not a positive size");

        // compute every new input type first, then change the graph (so that a failure changes nothing)
        Map<Integer, ValueType> newTypes = new LinkedHashMap<>();
        Map<String, Long> bindings = new LinkedHashMap<>();
        for (int i = 0; i < g.inputs().size(); i++) {
            Value v = g.inputs().get(i);
            ValueType t = v.type();
            long[] want = req.get(v.name());
            if (want != null) {
                Shape old = t.shape();
                if (old != null && old.rank() != want.length)
                    throw new ConversionException("--input-shape " + v.name() + ": rank " + want.length + " given, the model declares rank "
                            + old.rank() + " " + old);
                if (old != null) for (int k = 0; k < want.length; k++) bind(bindings, old.dim(k), want[k], v.name());
                newTypes.put(i, new ValueType(t.dtype(), Shape.of(want)));
            } else if (batch != null && t.shape() != null && t.shape().rank() >= 1 && !t.shape().dim(0).isKnown()) {
                bind(bindings, t.shape().dim(0), batch, v.name());
                newTypes.put(i, new ValueType(t.dtype(), t.shape().withDim(0, Dim.of(batch))));
            }
        }
        List<ValueType> before = new ArrayList<>();
        for (Value v : g.inputs()) before.add(v.type());
        for (Map.Entry<Integer, ValueType> e : newTypes.entrySet()) g.setInputType(e.getKey(), e.getValue());
        if (!bindings.isEmpty()) substitute(g, bindings);
        List<String> changed = new ArrayList<>();
        for (int i = 0; i < g.inputs().size(); i++) {
            if (!java.util.Objects.equals(before.get(i), g.inputs().get(i).type())) changed.add(g.inputs().get(i).name());
        }
        return changed;
    }

    private static void bind(Map<String, Long> bindings, Dim d, long value, String input) {
        if (!(d instanceof Dim.Sym s) || s.name() == null || s.name().isEmpty()) return;
        Long prev = bindings.putIfAbsent(s.name(), value);
        if (prev != null && prev != value)
            throw new ConversionException("input '" + input + "': symbolic dim '" + s.name() + "' would be both " + prev + " and " + value
                    + " (inputs that share a dim name must get the same size)");
    }

    /** Replaces bound symbols in every value type of g and its subgraphs. */
    private static void substitute(Graph g, Map<String, Long> bindings) {
        for (int i = 0; i < g.inputs().size(); i++) {
            ValueType t = subst(g.inputs().get(i).type(), bindings);
            if (t != g.inputs().get(i).type()) g.setInputType(i, t);
        }
        for (Value v : g.outerRefs()) v.setType(subst(v.type(), bindings));
        for (Node n : g.nodes()) {
            for (Value o : n.outputs()) o.setType(subst(o.type(), bindings));
            for (Attr a : n.attrs().asMap().values()) {
                if (a instanceof Attr.GraphAttr ga) substitute(ga.value(), bindings);
                else if (a instanceof Attr.Graphs gs) for (Graph s : gs.value()) substitute(s, bindings);
            }
        }
    }

    private static ValueType subst(ValueType t, Map<String, Long> bindings) {
        if (t == null || t.shape() == null) return t;
        List<Dim> dims = new ArrayList<>(t.shape().dims());
        boolean any = false;
        for (int k = 0; k < dims.size(); k++) {
            if (dims.get(k) instanceof Dim.Sym s && s.name() != null && bindings.containsKey(s.name())) {
                dims.set(k, Dim.of(bindings.get(s.name())));
                any = true;
            }
        }
        return any ? new ValueType(t.dtype(), Shape.of(dims)) : t;
    }

    /** Parses "1,3,224,224". */
    public static long[] parseDims(String s) {
        if (s == null || s.isBlank()) throw new IllegalArgumentException("no dims given");
        String[] parts = s.trim().split("\\s*,\\s*", -1);
        long[] r = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                r[i] = Long.parseLong(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + parts[i] + "' is not a number (dims are written like 1,3,224,224)");
            }
            if (r[i] < 1) throw new IllegalArgumentException("dim " + r[i] + " is not a positive size");
        }
        return r;
    }

    private static String quoted(List<String> names) {
        if (names.isEmpty()) return "(none)";
        StringBuilder sb = new StringBuilder();
        for (String n : names) sb.append(sb.length() == 0 ? "" : ", ").append('\'').append(n).append('\'');
        return sb.toString();
    }

    /**
     * Replaces graph input {@code name} by a constant of the same name (so subgraphs that read it by name still find
     * it): the input disappears from the converted model, and folding can remove what depended on it (e.g. If on a
     * sample-rate input). The values are given as text and take the input's element type; a rank-0 input takes one
     * value, else its static shape must hold exactly the values given.
     */
    public static void pin(Graph g, String name, double[] values) {
        int i = -1;
        for (int k = 0; k < g.inputs().size(); k++) if (g.inputs().get(k).name().equals(name)) i = k;
        if (i < 0) {
            List<String> names = new java.util.ArrayList<>();
            for (Value v : g.inputs()) names.add(v.name());
            throw new ConversionException("the model has no input '" + name + "' (inputs: " + String.join(", ", names) + ")");
        }
        Value in = g.inputs().get(i);
        if (in.dtype() == null || in.shape() == null || !in.shape().isStatic())
            throw new ConversionException("input '" + name + "' has no static shape to pin (fix it with --input-shape first)");
        long[] shape = in.shape().toArray();
        if (dev.onnxport.ir.Tensor.numel(shape) != values.length)
            throw new ConversionException("input '" + name + "' has shape " + java.util.Arrays.toString(shape) + "; " + values.length + " value(s) given");
        pin(g, in, dev.onnxport.ir.Tensor.fromDoubles(in.dtype(), shape, values));
    }

    /** Replaces graph input {@code in} by the constant {@code value} under the same name. */
    public static Value pin(Graph g, Value in, dev.onnxport.ir.Tensor value) {
        String name = in.name();
        if (in.dtype() != null && in.dtype() != value.dtype())
            throw new ConversionException("pinning input '" + name + "' of type " + in.dtype() + " to a " + value.dtype() + " constant");
        Value c = g.addConstant(name + "_pinned", value);
        g.replaceAllUsesWith(in, c);
        g.removeInput(in);
        g.renameValue(in, name + "_unpinned");
        g.setValueName(c, name);
        c.setProvenance(dev.onnxport.ir.Provenance.of(name));
        return c;
    }
}
