package dev.onnxport.backends.check;

import dev.onnxport.backends.runtime.OrtRunner;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;
import dev.onnxport.schemas.onnx.OnnxProto.GraphProto;
import dev.onnxport.schemas.onnx.OnnxProto.ModelProto;
import dev.onnxport.schemas.onnx.OnnxProto.NodeProto;
import dev.onnxport.schemas.onnx.OnnxProto.StringStringEntryProto;
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
 * A converted .onnx file run in onnxruntime: one session over a debug copy in which every mapped value is a graph
 * output; each run fetches only the wanted ones.
 */
public final class OnnxTarget implements TargetRunner {
    private final ModelProto model;
    private final Path dir;
    private final ProvenanceMetadata prov;
    private final List<Mapped> inputs = new ArrayList<>();
    private final List<Mapped> mapping = new ArrayList<>();
    private OrtRunner session;

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
        this.prov = p;
        GraphProto g = model.getGraph();
        Map<String, ValueInfoProto> infos = new HashMap<>();
        for (ValueInfoProto vi : g.getValueInfoList()) infos.put(vi.getName(), vi);
        for (ValueInfoProto vi : g.getOutputList()) infos.put(vi.getName(), vi);
        Set<String> inits = new HashSet<>();
        g.getInitializerList().forEach(t -> inits.add(t.getName()));
        Map<String, String> producerOp = new HashMap<>();
        for (NodeProto n : g.getNodeList()) for (String o : n.getOutputList()) if (!o.isEmpty()) producerOp.put(o, n.getOpType());
        Map<String, List<ProvenanceMetadata.Entry>> byName = new HashMap<>();
        if (p != null) for (ProvenanceMetadata.Entry e : p.entries) byName.computeIfAbsent(e.name(), k -> new ArrayList<>()).add(e);
        for (ValueInfoProto vi : g.getInputList()) {
            if (inits.contains(vi.getName())) continue;
            Mapped m = mapped(vi.getName(), "input", vi, byName);
            inputs.add(m);
            mapping.add(m);
        }
        for (NodeProto n : g.getNodeList()) {
            for (String o : n.getOutputList()) {
                if (o.isEmpty()) continue;
                if (p != null && !byName.containsKey(o)) continue; // created by a pass: no ONNX counterpart
                mapping.add(mapped(o, n.getOpType(), infos.get(o), byName));
            }
        }
    }

    private Mapped mapped(String name, String ops, ValueInfoProto vi, Map<String, List<ProvenanceMetadata.Entry>> byName) {
        String onnx = name;
        int[] perm = null;
        List<ProvenanceMetadata.Entry> es = byName.get(name);
        if (es != null && !es.isEmpty()) {
            onnx = es.get(0).onnxName();
            perm = es.get(0).perm();
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
        return new Mapped(-1, name, onnx, perm, ops, shape, dt, null, false);
    }

    @Override public String format() { return "onnx"; }

    @Override public String runtime() { return "onnxruntime"; }

    @Override public List<Mapped> inputs() { return inputs; }

    @Override public List<Mapped> mapping() { return mapping; }

    @Override public boolean hasProvenance() { return prov != null; }

    @Override public Map<Mapped, Tensor> run(Map<String, Tensor> feed, List<Mapped> wanted) {
        if (session == null) {
            List<String> names = new ArrayList<>();
            for (Mapped m : mapping) if (!m.ops().equals("input")) names.add(m.name());
            session = new OrtRunner(OrtRunner.exposeOutputs(model, names).toByteArray(), dir);
        }
        Map<Mapped, Tensor> r = new LinkedHashMap<>();
        List<String> fetch = new ArrayList<>();
        for (Mapped m : wanted) {
            if (m.ops().equals("input")) {
                Tensor t = feed.get(m.name());
                if (t != null) r.put(m, t);
            } else if (!fetch.contains(m.name())) {
                fetch.add(m.name());
            }
        }
        if (fetch.isEmpty()) return r;
        Map<String, Tensor> got = session.run(feed, fetch);
        for (Mapped m : wanted) if (got.containsKey(m.name())) r.put(m, got.get(m.name()));
        return r;
    }

    @Override public void close() {
        if (session != null) session.close();
        session = null;
    }
}
