package dev.onnxport.backends.runtime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;
import dev.onnxport.schemas.onnx.OnnxProto.GraphProto;
import dev.onnxport.schemas.onnx.OnnxProto.ModelProto;
import dev.onnxport.schemas.onnx.OnnxProto.NodeProto;
import dev.onnxport.schemas.onnx.OnnxProto.ValueInfoProto;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs an ONNX model in onnxruntime (CPU). Inputs and outputs by name. */
public final class OrtRunner implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    public OrtRunner(byte[] model) { this(model, null); }

    /**
     * A session for a model given as bytes whose external data files (if any) lie in {@code externalDataDir}
     * (the folder of the .onnx file it was read from; null when there are none).
     */
    public OrtRunner(byte[] model, java.nio.file.Path externalDataDir) {
        try {
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            o.setIntraOpNumThreads(1);
            o.setInterOpNumThreads(1);
            if (externalDataDir != null)
                o.addConfigEntry("session.model_external_initializers_file_folder_path", externalDataDir.toAbsolutePath().toString());
            session = env.createSession(model, o);
        } catch (OrtException e) {
            throw new ConversionException("onnxruntime rejected the model: " + e.getMessage(), e);
        }
    }

    public List<String> inputNames() { return new ArrayList<>(session.getInputNames()); }

    public List<String> outputNames() { return new ArrayList<>(session.getOutputNames()); }

    public Map<String, Tensor> run(Map<String, Tensor> inputs) {
        Map<String, OnnxTensor> feed = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Tensor> e : inputs.entrySet()) feed.put(e.getKey(), toOrt(e.getValue()));
            Map<String, Tensor> r = new LinkedHashMap<>();
            try (OrtSession.Result res = session.run(feed)) {
                for (Map.Entry<String, OnnxValue> e : res) {
                    if (!(e.getValue() instanceof OnnxTensor t)) throw new ConversionException("output '" + e.getKey() + "' is not a tensor");
                    r.put(e.getKey(), fromOrt(t));
                }
            }
            return r;
        } catch (OrtException e) {
            throw new ConversionException("onnxruntime failed: " + e.getMessage(), e);
        } finally {
            for (OnnxTensor t : feed.values()) t.close();
        }
    }

    /**
     * Runs once, fetching only the named outputs (which must be outputs of the model). Outputs that are not tensors
     * (sequences, maps) are left out of the result.
     */
    public Map<String, Tensor> run(Map<String, Tensor> inputs, java.util.Collection<String> outputs) {
        Map<String, OnnxTensor> feed = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Tensor> e : inputs.entrySet()) feed.put(e.getKey(), toOrt(e.getValue()));
            Map<String, Tensor> r = new LinkedHashMap<>();
            try (OrtSession.Result res = session.run(feed, new java.util.LinkedHashSet<>(outputs))) {
                for (Map.Entry<String, OnnxValue> e : res) {
                    if (e.getValue() instanceof OnnxTensor t) r.put(e.getKey(), fromOrt(t));
                }
            }
            return r;
        } catch (OrtException e) {
            throw new ConversionException("onnxruntime failed: " + e.getMessage(), e);
        } finally {
            for (OnnxTensor t : feed.values()) t.close();
        }
    }

    /**
     * A debug copy of {@code m} whose main graph also outputs each of {@code names} (after its own outputs; names
     * already outputs are not repeated). Each added output takes its type from the graph's value_info when known
     * and is otherwise left untyped: onnxruntime infers the types of outputs, so no shape inference is needed.
     */
    public static ModelProto exposeOutputs(ModelProto m, java.util.Collection<String> names) {
        GraphProto g = m.getGraph();
        Map<String, ValueInfoProto> infos = new java.util.HashMap<>();
        for (ValueInfoProto vi : g.getValueInfoList()) infos.put(vi.getName(), vi);
        java.util.Set<String> have = new java.util.HashSet<>();
        for (ValueInfoProto vi : g.getOutputList()) have.add(vi.getName());
        GraphProto.Builder gb = g.toBuilder();
        for (String n : names) {
            if (n == null || n.isEmpty() || !have.add(n)) continue;
            ValueInfoProto vi = infos.get(n);
            gb.addOutput(vi != null && vi.hasType() ? vi : ValueInfoProto.newBuilder().setName(n).build());
        }
        return m.toBuilder().setGraph(gb).build();
    }

    /** The names of every node output of the main graph, in node order (each intermediate tensor). */
    public static List<String> nodeOutputs(ModelProto m) {
        List<String> r = new ArrayList<>();
        for (NodeProto n : m.getGraph().getNodeList()) for (String o : n.getOutputList()) if (!o.isEmpty()) r.add(o);
        return r;
    }

    private OnnxTensor toOrt(Tensor t) throws OrtException {
        if (t.dtype() == DType.STRING) return OnnxTensor.createTensor(env, t.strings().toArray(new String[0]), t.shape());
        ByteBuffer b = ByteBuffer.allocateDirect(Math.toIntExact(t.byteSize())).order(ByteOrder.nativeOrder());
        b.put(t.data()).flip();
        return OnnxTensor.createTensor(env, b, t.shape(), javaType(t.dtype()));
    }

    static OnnxJavaType javaType(DType d) {
        return switch (d) {
            case FLOAT32 -> OnnxJavaType.FLOAT;
            case FLOAT64 -> OnnxJavaType.DOUBLE;
            case INT8 -> OnnxJavaType.INT8;
            case UINT8 -> OnnxJavaType.UINT8;
            case INT16 -> OnnxJavaType.INT16;
            case INT32 -> OnnxJavaType.INT32;
            case INT64 -> OnnxJavaType.INT64;
            case BOOL -> OnnxJavaType.BOOL;
            case FLOAT16 -> OnnxJavaType.FLOAT16;
            case BFLOAT16 -> OnnxJavaType.BFLOAT16;
            default -> throw new ConversionException("onnxruntime-java cannot take " + d + " tensors");
        };
    }

    static Tensor fromOrt(OnnxTensor t) throws OrtException {
        TensorInfo info = t.getInfo();
        long[] shape = info.getShape();
        if (info.type == OnnxJavaType.STRING) {
            Object v = t.getValue();
            List<String> s = new ArrayList<>();
            flattenStrings(v, s);
            return Tensor.ofStrings(shape, s);
        }
        DType dt = switch (info.type) {
            case FLOAT -> DType.FLOAT32;
            case DOUBLE -> DType.FLOAT64;
            case INT8 -> DType.INT8;
            case UINT8 -> DType.UINT8;
            case INT16 -> DType.INT16;
            case INT32 -> DType.INT32;
            case INT64 -> DType.INT64;
            case BOOL -> DType.BOOL;
            case FLOAT16 -> DType.FLOAT16;
            case BFLOAT16 -> DType.BFLOAT16;
            default -> throw new ConversionException("unsupported onnxruntime output type " + info.type);
        };
        ByteBuffer src = t.getByteBuffer().order(ByteOrder.nativeOrder());
        ByteBuffer copy = Tensor.alloc(src.remaining());
        copy.put(src).flip();
        return Tensor.of(dt, shape, copy);
    }

    private static void flattenStrings(Object v, List<String> out) {
        if (v instanceof String s) out.add(s);
        else if (v instanceof Object[] a) for (Object o : a) flattenStrings(o, out);
    }

    @Override public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
