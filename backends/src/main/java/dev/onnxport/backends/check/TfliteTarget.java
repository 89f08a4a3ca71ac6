package dev.onnxport.backends.check;

import dev.onnxport.backends.runtime.TfliteRunner;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;
import tflite.TensorType;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A .tflite file run in the TFLite 2.6 interpreter. Each run uses a debug copy of the file whose subgraph outputs
 * are the wanted tensors ({@link TfliteFile#withOutputs}); constants are read from the file's buffers.
 */
public final class TfliteTarget implements TargetRunner {
    private final TfliteFile file;
    private final ProvenanceMetadata prov;
    private final List<Mapped> inputs = new ArrayList<>();
    private final List<Mapped> mapping = new ArrayList<>();

    public TfliteTarget(byte[] bytes) {
        this.file = TfliteFile.read(bytes);
        this.prov = file.provenance();
        int[] producer = file.producers();
        Map<Integer, String> opsOf = new HashMap<>();
        if (prov != null) {
            for (ProvenanceMetadata.Entry e : prov.entries) {
                if (e.tensor() < 0 || e.tensor() >= file.tensors().size()) continue;
                mapping.add(mapped(e.tensor(), e.onnxName(), e.perm(), producer, opsOf));
            }
        } else {
            // not written by onnxport: guess that a tensor carries the ONNX tensor of the same name, in the same layout
            for (TfliteFile.TensorInfo t : file.tensors()) mapping.add(mapped(t.index(), t.name(), null, producer, opsOf));
        }
        for (int i : file.inputs()) {
            Mapped m = null;
            for (Mapped x : mapping) if (x.index() == i) { m = x; break; }
            if (m == null && prov != null) {
                // an integer input (--io-dtype uint8) that only a QUANTIZE to int8 reads: the provenance is on that
                // QUANTIZE's output; the input carries the same ONNX tensor in the same layout
                for (TfliteFile.OpInfo op : file.operators()) {
                    if (!op.opName().equals("QUANTIZE") || op.inputs().length < 1 || op.inputs()[0] != i) continue;
                    for (Mapped x : mapping) if (x.index() == op.outputs()[0]) { m = mapped(i, x.onnxName(), x.perm(), producer, opsOf); break; }
                    if (m != null) break;
                }
            }
            inputs.add(m != null ? m : mapped(i, file.tensor(i).name(), null, producer, opsOf));
        }
    }

    public TfliteFile file() { return file; }

    private Mapped mapped(int idx, String onnxName, int[] perm, int[] producer, Map<Integer, String> opsOf) {
        TfliteFile.TensorInfo t = file.tensor(idx);
        String ops;
        boolean input = false;
        for (int i : file.inputs()) input |= i == idx;
        if (input) ops = "input";
        else if (t.constant()) ops = "constant";
        else if (producer[idx] < 0) ops = "-";
        else ops = opsOf.computeIfAbsent(producer[idx], this::groupOps);
        long[] shape = new long[t.shape().length];
        for (int k = 0; k < shape.length; k++) {
            shape[k] = t.shape()[k];
            if (t.signature() != null && k < t.signature().length && t.signature()[k] < 0) shape[k] = -1;
        }
        return new Mapped(idx, t.name(), onnxName, perm, ops, shape, dtype(t.type()), t.quant(), t.constant());
    }

    /** The operators lowered from the same IR node as operator op (from the provenance), e.g. "PAD+CONV_2D". */
    private String groupOps(int op) {
        List<TfliteFile.OpInfo> all = file.operators();
        if (prov == null || prov.ops.size() != all.size() || prov.ops.get(op) < 0) return all.get(op).opName();
        int g = prov.ops.get(op);
        List<String> names = new ArrayList<>();
        for (int k = 0; k < all.size(); k++) {
            if (prov.ops.get(k) != g) continue;
            String n = all.get(k).opName();
            if (!names.contains(n)) names.add(n);
        }
        return String.join("+", names);
    }

    static DType dtype(byte t) {
        return switch (t) {
            case TensorType.FLOAT32 -> DType.FLOAT32;
            case TensorType.FLOAT16 -> DType.FLOAT16;
            case TensorType.FLOAT64 -> DType.FLOAT64;
            case TensorType.INT32 -> DType.INT32;
            case TensorType.UINT8 -> DType.UINT8;
            case TensorType.INT64 -> DType.INT64;
            case TensorType.BOOL -> DType.BOOL;
            case TensorType.INT16 -> DType.INT16;
            case TensorType.INT8 -> DType.INT8;
            case TensorType.UINT16 -> DType.UINT16;
            case TensorType.UINT32 -> DType.UINT32;
            case TensorType.UINT64 -> DType.UINT64;
            case TensorType.STRING -> DType.STRING;
            default -> null;
        };
    }

    @Override public String format() { return "tflite"; }

    @Override public String runtime() { return "TFLite 2.6 interpreter"; }

    @Override public List<Mapped> inputs() { return inputs; }

    @Override public List<Mapped> mapping() { return mapping; }

    @Override public boolean hasProvenance() { return prov != null; }

    @Override public Map<Mapped, Tensor> run(Map<String, Tensor> feed, List<Mapped> wanted) {
        Map<Mapped, Tensor> r = new LinkedHashMap<>();
        List<Mapped> computed = new ArrayList<>();
        for (Mapped m : wanted) {
            if (m.constant()) {
                Tensor c = constant(m);
                if (c != null) r.put(m, c);
            } else {
                computed.add(m);
            }
        }
        if (computed.isEmpty()) return r;
        int[] extra = new int[computed.size()];
        for (int k = 0; k < extra.length; k++) extra[k] = computed.get(k).index();
        List<Integer> order = new ArrayList<>();
        for (int o : file.outputs()) order.add(o);
        for (int e : extra) if (!order.contains(e)) order.add(e);
        List<Tensor> outs;
        try (TfliteRunner run = new TfliteRunner(file.withOutputs(extra))) {
            outs = run.runOutputs(feed);
        }
        for (Mapped m : computed) {
            int pos = order.indexOf(m.index());
            if (pos >= 0 && pos < outs.size()) r.put(m, outs.get(pos));
        }
        return r;
    }

    private Tensor constant(Mapped m) {
        ByteBuffer d = file.constantData(m.index());
        if (d == null || m.dtype() == null || m.dtype() == DType.STRING) return null;
        long[] shape = m.shape().clone();
        if (Tensor.numel(shape) * m.dtype().size() != d.remaining()) return null;
        ByteBuffer copy = Tensor.alloc(d.remaining());
        copy.put(d).flip();
        return Tensor.of(m.dtype(), shape, copy);
    }

    @Override public void close() {}
}
