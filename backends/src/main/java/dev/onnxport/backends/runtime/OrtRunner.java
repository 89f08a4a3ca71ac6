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

    public OrtRunner(byte[] model) {
        try {
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            o.setIntraOpNumThreads(1);
            o.setInterOpNumThreads(1);
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
