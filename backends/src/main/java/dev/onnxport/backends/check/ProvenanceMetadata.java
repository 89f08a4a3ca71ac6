package dev.onnxport.backends.check;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which ONNX tensor each tensor of a converted file carries, stored in the file itself so that {@code onnxport check}
 * needs nothing else: a TFLite metadata entry, or an ONNX metadata_props entry, named {@value #NAME}, holding compact
 * JSON:
 *
 * <pre>
 * {"format":"onnxport-provenance","version":1,
 *  "tensors":[[TENSOR_INDEX,"onnx name",[perm...]], [TENSOR_INDEX,"onnx name"], ...],   (TFLite: by tensor index)
 *  "values":[["value name","onnx name"|null,[perm...]], ...],     (ONNX: only values that do not carry the ONNX
 *                                                                  tensor of their own name; null: none)
 *  "nodes":[["ir node name","OpType"], ...],       (TFLite: the IR nodes in lowering order)
 *  "ops":[NODE_INDEX, ...]}                          (TFLite: per operator, the node it was lowered from; -1 none)
 * </pre>
 *
 * A perm, when present, says that tensor axis i holds ONNX axis perm[i] (see dev.onnxport.ir.Provenance); absent
 * means the ONNX layout. Several tensors may carry the same ONNX tensor (e.g. a channels-last conv output and its
 * transpose back), and one tensor several ONNX names (aliases); entries are in creation order.
 */
public final class ProvenanceMetadata {
    public static final String NAME = "onnxport_provenance";
    public static final String FORMAT = "onnxport-provenance";

    /** One mapping: target tensor (index for TFLite, -1 for ONNX), target value name (ONNX, else null), ONNX name, perm. */
    public record Entry(int tensor, String name, String onnxName, int[] perm) {}

    public record NodeRef(String name, String opType) {}

    public final List<Entry> entries = new ArrayList<>();
    public final List<NodeRef> nodes = new ArrayList<>();
    public final List<Integer> ops = new ArrayList<>();

    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("version", 1);
        List<Object> tensors = new ArrayList<>(), values = new ArrayList<>();
        for (Entry e : entries) {
            List<Object> row = new ArrayList<>();
            row.add(e.name() != null ? e.name() : (Object) e.tensor());
            row.add(e.onnxName());
            if (e.perm() != null) row.add(e.perm());
            (e.name() != null ? values : tensors).add(row);
        }
        if (!tensors.isEmpty()) m.put("tensors", tensors);
        if (!values.isEmpty()) m.put("values", values);
        if (!nodes.isEmpty()) {
            List<Object> ns = new ArrayList<>();
            for (NodeRef n : nodes) ns.add(List.of(n.name(), n.opType()));
            m.put("nodes", ns);
            m.put("ops", new ArrayList<>(ops));
        }
        return MiniJson.write(m);
    }

    public byte[] toBytes() { return toJson().getBytes(StandardCharsets.UTF_8); }

    /** Parses the metadata; throws IllegalArgumentException when it is not onnxport provenance. */
    public static ProvenanceMetadata parse(String json) {
        Object o = MiniJson.parse(json.trim());
        if (!(o instanceof Map<?, ?> m) || !FORMAT.equals(m.get("format")))
            throw new IllegalArgumentException("not onnxport provenance metadata");
        ProvenanceMetadata p = new ProvenanceMetadata();
        if (m.get("tensors") instanceof List<?> l) for (Object r : l) p.entries.add(entry(r, false));
        if (m.get("values") instanceof List<?> l) for (Object r : l) p.entries.add(entry(r, true));
        if (m.get("nodes") instanceof List<?> l) {
            for (Object r : l) {
                List<?> x = (List<?>) r;
                p.nodes.add(new NodeRef((String) x.get(0), (String) x.get(1)));
            }
        }
        if (m.get("ops") instanceof List<?> l) for (Object r : l) p.ops.add(((Number) r).intValue());
        return p;
    }

    /** Parses bytes as stored in a file (UTF-8, possibly zero-padded). */
    public static ProvenanceMetadata parse(byte[] raw) {
        int n = raw.length;
        while (n > 0 && raw[n - 1] == 0) n--;
        return parse(new String(raw, 0, n, StandardCharsets.UTF_8));
    }

    private static Entry entry(Object r, boolean byName) {
        List<?> x = (List<?>) r;
        int[] perm = null;
        if (x.size() > 2 && x.get(2) instanceof List<?> pl) {
            perm = new int[pl.size()];
            for (int i = 0; i < perm.length; i++) perm[i] = ((Number) pl.get(i)).intValue();
        }
        if (byName) return new Entry(-1, (String) x.get(0), (String) x.get(1), perm);
        return new Entry(((Number) x.get(0)).intValue(), null, (String) x.get(1), perm);
    }
}
