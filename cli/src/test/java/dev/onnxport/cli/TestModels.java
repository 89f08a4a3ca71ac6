package dev.onnxport.cli;

import dev.onnxport.backends.onnx.OnnxBackend;
import dev.onnxport.backends.onnx.OnnxOptions;
import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Builds small test models with the IR API: values by name, one output per node unless said otherwise. */
final class TestModels {
    final Graph g;
    private final Map<String, Value> values = new HashMap<>();

    TestModels(String name, int opset) {
        g = new Graph(name);
        g.opsets().put("", opset);
    }

    TestModels input(String name, DType t, long... dims) {
        values.put(name, g.addInput(name, ValueType.of(t, dims)));
        return this;
    }

    TestModels constant(String name, Tensor t) {
        values.put(name, g.addConstant(name, t));
        return this;
    }

    /** Node {@code node} of type op reading the named values (null: omitted) and writing {@code out} of the given type. */
    TestModels node(String node, String op, Attrs attrs, String out, ValueType type, String... ins) {
        return node("", node, op, attrs, List.of(out), List.of(type), ins);
    }

    TestModels node(String domain, String node, String op, Attrs attrs, List<String> outs, List<ValueType> types, String... ins) {
        List<Value> in = Arrays.stream(ins).map(n -> n == null ? null : values.get(n)).toList();
        for (int i = 0; i < ins.length; i++) if (ins[i] != null && in.get(i) == null) throw new IllegalArgumentException("no value " + ins[i]);
        int opset = domain.isEmpty() ? g.opset() : g.opsets().get(domain);
        Node n = g.addNodeExact(domain, op, node, in, attrs, opset, outs);
        for (int i = 0; i < outs.size(); i++) {
            n.output(i).setType(types.get(i));
            values.put(outs.get(i), n.output(i));
        }
        return this;
    }

    TestModels output(String... names) {
        for (String n : names) g.addOutput(values.get(n));
        return this;
    }

    Path write(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        OnnxBackend.emit(g, OnnxOptions.DEFAULT, file);
        return file;
    }

    static ValueType f32(long... dims) { return ValueType.of(DType.FLOAT32, dims); }

    static float[] random(Random r, int n, float lo, float hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = lo + r.nextFloat() * (hi - lo);
        return v;
    }

    static Attrs attrs(Object... kv) {
        Attrs.Builder b = Attrs.builder();
        for (int i = 0; i < kv.length; i += 2) {
            String k = (String) kv[i];
            Object v = kv[i + 1];
            if (v instanceof Integer x) b.put(k, (long) x);
            else if (v instanceof Long x) b.put(k, x);
            else if (v instanceof Float x) b.put(k, x);
            else if (v instanceof String x) b.put(k, x);
            else if (v instanceof long[] x) b.put(k, x);
            else throw new IllegalArgumentException(k);
        }
        return b.build();
    }
}
