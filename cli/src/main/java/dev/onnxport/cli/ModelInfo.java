package dev.onnxport.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What {@code inspect} reports about a model file (ONNX or TFLite), as text or JSON. */
final class ModelInfo {
    /** A graph input or output. {@code shape} is null when the rank is unknown; symbolic dims are their names or "?". */
    record TensorDesc(String name, String dtype, List<String> shape) {
        String shapeText() { return shape == null ? "[?]" : "[" + String.join(",", shape) + "]"; }

        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("dtype", dtype);
            List<Object> dims = null;
            if (shape != null) {
                dims = new ArrayList<>();
                for (String d : shape) dims.add(d.matches("\\d+") ? (Object) Long.parseLong(d) : d);
            }
            m.put("shape", dims);
            return m;
        }
    }

    /** An op and how often it occurs; version is the TFLite operator-code version (null for ONNX). */
    record OpCount(String op, Integer version, int count) {
        String label() { return version == null ? op : op + " v" + version; }
    }

    /** A TFLite signature def: key, subgraph, and (signature name, tensor name) pairs. */
    record Signature(String key, long subgraph, List<String[]> inputs, List<String[]> outputs) {}

    String format;
    String file;
    long sizeBytes;
    /** Format-specific header lines, in order (producer, ir_version, version, description, min_runtime_version ...). */
    final Map<String, Object> header = new LinkedHashMap<>();
    final Map<String, Long> opsets = new LinkedHashMap<>();
    final List<TensorDesc> inputs = new ArrayList<>();
    final List<TensorDesc> outputs = new ArrayList<>();
    final List<Signature> signatures = new ArrayList<>();
    List<OpCount> ops = new ArrayList<>();
    /** Nodes (ONNX, main graph) or operators (TFLite, all subgraphs). */
    long nodeCount;
    /** ONNX only: nodes inside subgraphs (If/Loop/Scan bodies), not in nodeCount. */
    long subgraphNodeCount;
    long parameterCount;

    /** Sorts ops by count (descending), then name and version. */
    void sortOps() {
        ops.sort(Comparator.comparingInt(OpCount::count).reversed().thenComparing(OpCount::op)
                .thenComparing(o -> o.version() == null ? 0 : o.version()));
    }

    static String kb(long bytes) { return String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0); }

    static String thousands(long n) { return String.format(Locale.ROOT, "%,d", n); }

    String text() {
        StringBuilder sb = new StringBuilder();
        sb.append("file: ").append(file).append(" (").append(format).append(", ").append(kb(sizeBytes)).append(", ")
                .append(thousands(sizeBytes)).append(" bytes)\n");
        for (Map.Entry<String, Object> e : header.entrySet()) {
            String v = String.valueOf(e.getValue());
            sb.append(e.getKey()).append(": ").append(v.isEmpty() ? "(none)" : v).append('\n');
        }
        if (!opsets.isEmpty()) {
            sb.append("opset_import:");
            for (Map.Entry<String, Long> e : opsets.entrySet())
                sb.append(' ').append(e.getKey().isEmpty() ? "ai.onnx" : e.getKey()).append('=').append(e.getValue());
            sb.append('\n');
        }
        tensors(sb, "inputs", inputs);
        tensors(sb, "outputs", outputs);
        if (!signatures.isEmpty()) {
            sb.append("signature_defs:\n");
            for (Signature s : signatures) {
                sb.append("  ").append(s.key()).append(" (subgraph ").append(s.subgraph()).append(")\n");
                for (String[] p : s.inputs()) sb.append("    input  ").append(p[0]).append(" -> tensor '").append(p[1]).append("'\n");
                for (String[] p : s.outputs()) sb.append("    output ").append(p[0]).append(" -> tensor '").append(p[1]).append("'\n");
            }
        }
        boolean onnx = "ONNX".equals(format);
        sb.append(onnx ? "nodes: " : "operators: ").append(thousands(nodeCount));
        if (subgraphNodeCount > 0) sb.append(" (+").append(thousands(subgraphNodeCount)).append(" in subgraphs)");
        sb.append('\n');
        sb.append("parameters: ").append(thousands(parameterCount)).append('\n');
        sb.append("ops (").append(ops.size()).append(onnx ? " type" : " operator code").append(ops.size() == 1 ? "" : "s").append(", by count):\n");
        int w = 0;
        for (OpCount o : ops) w = Math.max(w, o.label().length());
        for (OpCount o : ops) sb.append("  ").append(String.format(Locale.ROOT, "%-" + Math.max(1, w) + "s %6d", o.label(), o.count())).append('\n');
        return sb.toString();
    }

    private static void tensors(StringBuilder sb, String what, List<TensorDesc> ts) {
        sb.append(what).append(":");
        if (ts.isEmpty()) sb.append(" (none)");
        sb.append('\n');
        int w = 0;
        for (TensorDesc t : ts) w = Math.max(w, t.name().length());
        for (TensorDesc t : ts)
            sb.append("  ").append(String.format(Locale.ROOT, "%-" + Math.max(1, w) + "s", t.name())).append("  ").append(t.dtype()).append(' ')
                    .append(t.shapeText()).append('\n');
    }

    Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", file);
        m.put("format", format);
        m.put("size_bytes", sizeBytes);
        m.putAll(header);
        if (!opsets.isEmpty()) {
            Map<String, Object> o = new LinkedHashMap<>();
            for (Map.Entry<String, Long> e : opsets.entrySet()) o.put(e.getKey().isEmpty() ? "ai.onnx" : e.getKey(), e.getValue());
            m.put("opset_import", o);
        }
        m.put("inputs", inputs.stream().map(TensorDesc::json).toList());
        m.put("outputs", outputs.stream().map(TensorDesc::json).toList());
        if (!"ONNX".equals(format)) {
            List<Object> sigs = new ArrayList<>();
            for (Signature s : signatures) {
                Map<String, Object> sm = new LinkedHashMap<>();
                sm.put("key", s.key());
                sm.put("subgraph_index", s.subgraph());
                sm.put("inputs", pairs(s.inputs()));
                sm.put("outputs", pairs(s.outputs()));
                sigs.add(sm);
            }
            m.put("signature_defs", sigs);
        }
        m.put("ONNX".equals(format) ? "node_count" : "operator_count", nodeCount);
        if ("ONNX".equals(format)) m.put("subgraph_node_count", subgraphNodeCount);
        m.put("parameter_count", parameterCount);
        List<Object> hist = new ArrayList<>();
        for (OpCount o : ops) {
            Map<String, Object> om = new LinkedHashMap<>();
            om.put("op", o.op());
            if (o.version() != null) om.put("version", o.version());
            om.put("count", o.count());
            hist.add(om);
        }
        m.put("ops", hist);
        return m;
    }

    private static Map<String, Object> pairs(List<String[]> ps) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String[] p : ps) m.put(p[0], p[1]);
        return m;
    }
}
