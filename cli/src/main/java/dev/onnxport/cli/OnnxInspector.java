package dev.onnxport.cli;

import dev.onnxport.schemas.onnx.OnnxProto;
import dev.onnxport.schemas.onnx.OnnxProto.AttributeProto;
import dev.onnxport.schemas.onnx.OnnxProto.GraphProto;
import dev.onnxport.schemas.onnx.OnnxProto.ModelProto;
import dev.onnxport.schemas.onnx.OnnxProto.NodeProto;
import dev.onnxport.schemas.onnx.OnnxProto.TensorProto;
import dev.onnxport.schemas.onnx.OnnxProto.TypeProto;
import dev.onnxport.schemas.onnx.OnnxProto.ValueInfoProto;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Summarises an ONNX ModelProto (no weights are read: external data need not be present). */
final class OnnxInspector {
    private OnnxInspector() {}

    static ModelInfo inspect(ModelProto m, String file, long size) {
        ModelInfo info = new ModelInfo();
        info.format = "ONNX";
        info.file = file;
        info.sizeBytes = size;
        info.header.put("producer", (m.getProducerName() + " " + m.getProducerVersion()).trim());
        info.header.put("ir_version", m.getIrVersion());
        if (!m.getDomain().isEmpty()) info.header.put("domain", m.getDomain());
        if (m.getModelVersion() != 0) info.header.put("model_version", m.getModelVersion());
        info.header.put("graph", m.getGraph().getName());
        for (OnnxProto.OperatorSetIdProto o : m.getOpsetImportList())
            info.opsets.put(o.getDomain().equals("ai.onnx") ? "" : o.getDomain(), o.getVersion());
        GraphProto g = m.getGraph();
        Set<String> inits = new HashSet<>();
        for (TensorProto t : g.getInitializerList()) inits.add(t.getName());
        for (ValueInfoProto vi : g.getInputList()) if (!inits.contains(vi.getName())) info.inputs.add(desc(vi));
        for (ValueInfoProto vi : g.getOutputList()) info.outputs.add(desc(vi));
        info.nodeCount = g.getNodeCount();
        Map<String, Integer> hist = new LinkedHashMap<>();
        long[] counts = new long[2]; // [subgraph nodes, parameters]
        walk(g, hist, counts, true);
        info.subgraphNodeCount = counts[0];
        info.parameterCount = counts[1];
        for (Map.Entry<String, Integer> e : hist.entrySet()) info.ops.add(new ModelInfo.OpCount(e.getKey(), null, e.getValue()));
        info.sortOps();
        return info;
    }

    private static void walk(GraphProto g, Map<String, Integer> hist, long[] counts, boolean main) {
        for (TensorProto t : g.getInitializerList()) counts[1] += numel(t);
        for (OnnxProto.SparseTensorProto s : g.getSparseInitializerList()) counts[1] += product(s.getDimsList());
        for (NodeProto n : g.getNodeList()) {
            if (!main) counts[0]++;
            String domain = n.getDomain().equals("ai.onnx") ? "" : n.getDomain();
            hist.merge(domain.isEmpty() ? n.getOpType() : domain + "." + n.getOpType(), 1, Integer::sum);
            boolean constant = domain.isEmpty() && n.getOpType().equals("Constant");
            for (AttributeProto a : n.getAttributeList()) {
                if (constant) counts[1] += constantElements(a);
                if (a.hasG()) walk(a.getG(), hist, counts, false);
                for (GraphProto sg : a.getGraphsList()) walk(sg, hist, counts, false);
            }
        }
    }

    private static long constantElements(AttributeProto a) {
        return switch (a.getName()) {
            case "value" -> numel(a.getT());
            case "sparse_value" -> product(a.getSparseTensor().getDimsList());
            case "value_float", "value_int", "value_string" -> 1;
            case "value_floats" -> a.getFloatsCount();
            case "value_ints" -> a.getIntsCount();
            case "value_strings" -> a.getStringsCount();
            default -> 0;
        };
    }

    private static long numel(TensorProto t) { return product(t.getDimsList()); }

    private static long product(List<Long> dims) {
        long n = 1;
        for (long d : dims) n *= Math.max(d, 0);
        return n;
    }

    static ModelInfo.TensorDesc desc(ValueInfoProto vi) {
        TypeProto t = vi.getType();
        if (t.hasTensorType()) {
            TypeProto.Tensor tt = t.getTensorType();
            return new ModelInfo.TensorDesc(vi.getName(), dtypeName(tt.getElemType()), tt.hasShape() ? dims(tt.getShape()) : null);
        }
        if (t.hasSparseTensorType()) {
            TypeProto.SparseTensor st = t.getSparseTensorType();
            return new ModelInfo.TensorDesc(vi.getName(), "sparse " + dtypeName(st.getElemType()), st.hasShape() ? dims(st.getShape()) : null);
        }
        String kind = t.hasSequenceType() ? "sequence" : t.hasMapType() ? "map" : t.hasOptionalType() ? "optional" : "undefined";
        return new ModelInfo.TensorDesc(vi.getName(), kind, null);
    }

    private static List<String> dims(OnnxProto.TensorShapeProto s) {
        List<String> r = new ArrayList<>();
        for (OnnxProto.TensorShapeProto.Dimension d : s.getDimList()) {
            if (d.hasDimValue()) r.add(Long.toString(d.getDimValue()));
            else if (d.hasDimParam() && !d.getDimParam().isEmpty()) r.add(d.getDimParam());
            else r.add("?");
        }
        return r;
    }

    /** ONNX element type as a lower-case name: float32, float16, int64, bool, string, ... */
    static String dtypeName(int code) {
        return switch (code) {
            case 1 -> "float32";
            case 11 -> "float64";
            case 0 -> "undefined";
            default -> {
                TensorProto.DataType d = TensorProto.DataType.forNumber(code);
                yield d == null ? "type" + code : d.name().toLowerCase(Locale.ROOT);
            }
        };
    }
}
