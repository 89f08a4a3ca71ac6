package dev.onnxport.backends.check;

import dev.onnxport.backends.runtime.OrtRunner;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;
import dev.onnxport.schemas.onnx.OnnxProto.GraphProto;
import dev.onnxport.schemas.onnx.OnnxProto.ModelProto;
import dev.onnxport.schemas.onnx.OnnxProto.NodeProto;
import dev.onnxport.schemas.onnx.OnnxProto.StringStringEntryProto;
import dev.onnxport.schemas.onnx.OnnxProto.TensorProto;
import dev.onnxport.schemas.onnx.OnnxProto.TensorShapeProto;
import dev.onnxport.schemas.onnx.OnnxProto.TypeProto;
import dev.onnxport.schemas.onnx.OnnxProto.ValueInfoProto;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A converted .onnx file run in onnxruntime: each run uses a debug copy in which the wanted values are graph outputs.
 */
public final class OnnxTarget implements TargetRunner {
    private final ModelProto model;
    private final Path dir;
    private final boolean ours;
    private final Map<String, TensorProto> initializers = new HashMap<>();
    private final List<Mapped> inputs = new ArrayList<>();
    private final List<Mapped> mapping = new ArrayList<>();

    public OnnxTarget(ModelProto model, Path externalDataDir) {
        this.model = model;
        this.dir = externalDataDir;
        ProvenanceMetadata p = null;
        for (StringStringEntryProto e : model.getMetadataPropsList()) {
            if (!e.getKey().equals(ProvenanceMetadata.NAME)) continue;
            try {
                p = ProvenanceMetadata.parse(e.getValue());
            } catch (RuntimeException ignored) {
                // not ours: fall back to names
            }
        }
        // onnxport writes provenance only for values that do not carry the ONNX tensor of their own name
        this.ours = p != null || model.getProducerName().startsWith("onnxport");
        Map<String, ProvenanceMetadata.Entry> override = new HashMap<>();
        if (p != null) for (ProvenanceMetadata.Entry e : p.entries) override.putIfAbsent(e.name(), e);
        GraphProto g = model.getGraph();
        Map<String, ValueInfoProto> infos = new HashMap<>();
        for (ValueInfoProto vi : g.getValueInfoList()) infos.put(vi.getName(), vi);
        for (ValueInfoProto vi : g.getOutputList()) infos.put(vi.getName(), vi);
        Set<String> inits = new HashSet<>();
        for (TensorProto t : g.getInitializerList()) {
            inits.add(t.getName());
            Mapped m = mapped(t.getName(), "constant", null, override, true);
            if (m == null) continue;
            long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
            DType dt = null;
            try {
                dt = DType.fromOnnx(t.getDataType());
            } catch (IllegalArgumentException ignored) {
                // left unknown
            }
            m = new Mapped(-1, m.name(), m.onnxName(), m.perm(), "constant", shape, dt, null, true);
            mapping.add(m);
            initializers.put(t.getName(), t);
        }
        for (ValueInfoProto vi : g.getInputList()) {
            if (inits.contains(vi.getName())) continue;
            Mapped m = mapped(vi.getName(), "input", vi, override, false);
            if (m == null) m = new Mapped(-1, vi.getName(), vi.getName(), null, "input", null, null, null, false);
            inputs.add(m);
            mapping.add(m);
        }
        for (NodeProto n : g.getNodeList()) {
            for (String o : n.getOutputList()) {
                if (o.isEmpty()) continue;
                Mapped m = mapped(o, n.getOpType(), infos.get(o), override, false);
                if (m != null) mapping.add(m);
            }
        }
    }

    /** The mapping of value name, or null when it carries no ONNX tensor. */
    private Mapped mapped(String name, String ops, ValueInfoProto vi, Map<String, ProvenanceMetadata.Entry> override, boolean constant) {
        String onnx = name;
        int[] perm = null;
        ProvenanceMetadata.Entry e = override.get(name);
        if (e != null) {
            if (e.onnxName() == null) return null;
            onnx = e.onnxName();
            perm = e.perm();
        }
        long[] shape = null;
        DType dt = null;
        if (vi != null && vi.hasType() && vi.getType().hasTensorType()) {
            TypeProto.Tensor tt = vi.getType().getTensorType();
            try {
                dt = DType.fromOnnx(tt.getElemType());
            } catch (IllegalArgumentException ignored) {
                // unknown element type
            }
            if (tt.hasShape()) {
                shape = new long[tt.getShape().getDimCount()];
                for (int k = 0; k < shape.length; k++) {
                    TensorShapeProto.Dimension d = tt.getShape().getDim(k);
                    shape[k] = d.hasDimValue() ? d.getDimValue() : -1;
                }
            }
        }
        return new Mapped(-1, name, onnx, perm, ops, shape, dt, null, constant);
    }

    /** An initializer's value (inline data only), or null. */
    static Tensor initializer(TensorProto t, DType dt, long[] shape) {
        if (dt == null || dt == DType.STRING || t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) return null;
        long n = Tensor.numel(shape);
        if (!t.getRawData().isEmpty()) {
            if (t.getRawData().size() != n * dt.size()) return null;
            java.nio.ByteBuffer b = Tensor.alloc(n * dt.size());
            b.put(t.getRawData().asReadOnlyByteBuffer()).flip();
            return Tensor.of(dt, shape, b);
        }
        double[] v = new double[Math.toIntExact(n)];
        if (t.getFloatDataCount() == n) for (int i = 0; i < n; i++) v[i] = t.getFloatData(i);
        else if (t.getDoubleDataCount() == n) for (int i = 0; i < n; i++) v[i] = t.getDoubleData(i);
        else if (t.getInt64DataCount() == n) {
            long[] l = new long[v.length];
            for (int i = 0; i < n; i++) l[i] = t.getInt64Data(i);
            return Tensor.fromLongs(dt, shape, l);
        } else if (t.getInt32DataCount() == n && !dt.isFloat()) {
            long[] l = new long[v.length];
            for (int i = 0; i < n; i++) l[i] = t.getInt32Data(i);
            return Tensor.fromLongs(dt, shape, l);
        } else return null;
        return Tensor.fromDoubles(dt, shape, v);
    }

    @Override public String format() { return "onnx"; }

    @Override public String runtime() { return "onnxruntime"; }

    @Override public List<Mapped> inputs() { return inputs; }

    @Override public List<Mapped> mapping() { return mapping; }

    @Override public boolean hasProvenance() { return ours; }

    @Override public Map<Mapped, Tensor> run(Map<String, Tensor> feed, List<Mapped> wanted) {
        Map<Mapped, Tensor> r = new LinkedHashMap<>();
        List<String> fetch = new ArrayList<>();
        for (Mapped m : wanted) {
            if (m.ops().equals("input")) {
                Tensor t = feed.get(m.name());
                if (t != null) r.put(m, t);
            } else if (m.constant()) {
                Tensor t = initializer(initializers.get(m.name()), m.dtype(), m.shape());
                if (t != null) r.put(m, t);
            } else if (!fetch.contains(m.name())) {
                fetch.add(m.name());
            }
        }
        if (fetch.isEmpty()) return r;
        // a session per call that outputs just these: onnxruntime keeps every graph output of a run alive
        Map<String, Tensor> got;
        try (OrtRunner session = new OrtRunner(OrtRunner.exposeOutputs(model, fetch).toByteArray(), dir)) {
            got = session.run(feed, fetch);
        }
        for (Mapped m : wanted) if (got.containsKey(m.name())) r.put(m, got.get(m.name()));
        return r;
    }

    @Override public void close() {}
}
