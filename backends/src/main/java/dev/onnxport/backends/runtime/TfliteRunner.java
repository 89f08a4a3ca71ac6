package dev.onnxport.backends.runtime;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;
import org.tensorflow.lite.DataType;
import org.tensorflow.lite.Interpreter;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a TFLite model in the TFLite 2.6 interpreter (JNI library from the tflite-native-cpu artifact, extracted
 * and loaded once). Inputs and outputs are matched by tensor name; every input must be given.
 */
public final class TfliteRunner implements AutoCloseable {
    private static boolean loaded;

    private final Interpreter interpreter;
    private final ByteBuffer modelBuffer;

    public TfliteRunner(byte[] model) {
        loadNative();
        modelBuffer = ByteBuffer.allocateDirect(model.length).order(ByteOrder.nativeOrder());
        modelBuffer.put(model).flip();
        Interpreter.Options o = new Interpreter.Options();
        o.setNumThreads(1);
        try {
            interpreter = new Interpreter(modelBuffer, o);
        } catch (RuntimeException e) {
            throw new ConversionException("the TFLite interpreter rejected the model: " + e.getMessage(), e);
        }
    }

    public static synchronized void loadNative() {
        if (loaded) return;
        try (InputStream in = TfliteRunner.class.getClassLoader().getResourceAsStream("native/lib/libtensorflowlite_jni.so")) {
            if (in == null) throw new IllegalStateException("libtensorflowlite_jni.so is not on the classpath (tflite-native-cpu missing)");
            Path dir = Files.createTempDirectory("onnxport-tflite");
            Path lib = dir.resolve("libtensorflowlite_jni.so");
            Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
            System.load(lib.toString());
            lib.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            loaded = true;
        } catch (IOException e) {
            throw new IllegalStateException("cannot extract the TFLite JNI library: " + e.getMessage(), e);
        }
    }

    public List<String> inputNames() {
        List<String> r = new ArrayList<>();
        for (int i = 0; i < interpreter.getInputTensorCount(); i++) r.add(interpreter.getInputTensor(i).name());
        return r;
    }

    public List<String> outputNames() {
        List<String> r = new ArrayList<>();
        for (int i = 0; i < interpreter.getOutputTensorCount(); i++) r.add(interpreter.getOutputTensor(i).name());
        return r;
    }

    public String[] signatureNames() { return interpreter.getSignatureDefNames(); }

    public String[] signatureInputs(String key) { return interpreter.getSignatureInputs(key); }

    public String[] signatureOutputs(String key) { return interpreter.getSignatureOutputs(key); }

    /** Runs once; inputs by tensor name (all required), outputs by tensor name in output order. */
    public Map<String, Tensor> run(Map<String, Tensor> inputs) {
        List<Tensor> outs = runOutputs(inputs);
        Map<String, Tensor> r = new LinkedHashMap<>();
        for (int i = 0; i < outs.size(); i++) r.put(interpreter.getOutputTensor(i).name(), outs.get(i));
        return r;
    }

    /** Runs once; inputs by tensor name (all required); the outputs in subgraph output order (names may repeat). */
    public List<Tensor> runOutputs(Map<String, Tensor> inputs) {
        int n = interpreter.getInputTensorCount();
        Object[] ins = new Object[n];
        for (int i = 0; i < n; i++) {
            org.tensorflow.lite.Tensor t = interpreter.getInputTensor(i);
            Tensor v = inputs.get(t.name());
            if (v == null) throw new ConversionException("no value given for TFLite input '" + t.name() + "'");
            int[] shape = toInt(v.shape());
            if (!java.util.Arrays.equals(shape, t.shape())) interpreter.resizeInput(i, shape, true);
            DType want = dtype(t.dataType());
            Tensor src = v.dtype() == want ? v : v.cast(want);
            ByteBuffer b = ByteBuffer.allocateDirect(Math.toIntExact(src.byteSize())).order(ByteOrder.nativeOrder());
            b.put(src.data()).flip();
            ins[i] = b;
        }
        interpreter.allocateTensors();
        Map<Integer, Object> outs = new HashMap<>();
        int m = interpreter.getOutputTensorCount();
        // outputs are read from the tensors after the run (their shapes may change with the inputs); the Java API wants
        // at least one output buffer, so only output 0 gets one (a debug copy may have hundreds of large outputs)
        try {
            if (m > 0)
                outs.put(0, ByteBuffer.allocateDirect(Math.max(1, interpreter.getOutputTensor(0).numBytes()) * 4 + 64).order(ByteOrder.nativeOrder()));
            interpreter.runForMultipleInputsOutputs(ins, outs);
        } catch (RuntimeException e) {
            throw new ConversionException("the TFLite interpreter failed: " + e.getMessage(), e);
        }
        List<Tensor> r = new ArrayList<>();
        for (int i = 0; i < m; i++) {
            org.tensorflow.lite.Tensor t = interpreter.getOutputTensor(i);
            refreshShape(t);
            long[] shape = toLong(t.shape());
            DType dt = dtype(t.dataType());
            ByteBuffer copy = Tensor.alloc(0);
            if (Tensor.numel(shape) > 0) {
                ByteBuffer src = t.asReadOnlyBuffer().order(ByteOrder.nativeOrder());
                copy = Tensor.alloc(src.remaining());
                copy.put(src).flip();
            }
            r.add(Tensor.of(dt, shape, copy));
        }
        return r;
    }

    /**
     * The 2.6 Java API refreshes an output's shape only after an input was resized; outputs whose shape depends on
     * the data (NMS, run-time k or axes) would keep their declared shape. Tensor.refreshShape is package-private.
     */
    private static void refreshShape(org.tensorflow.lite.Tensor t) {
        try {
            java.lang.reflect.Method m = org.tensorflow.lite.Tensor.class.getDeclaredMethod("refreshShape");
            m.setAccessible(true);
            m.invoke(t);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot refresh a TFLite output shape", e);
        }
    }

    static DType dtype(DataType t) {
        return switch (t) {
            case FLOAT32 -> DType.FLOAT32;
            case INT32 -> DType.INT32;
            case UINT8 -> DType.UINT8;
            case INT64 -> DType.INT64;
            case BOOL -> DType.BOOL;
            case INT16 -> DType.INT16;
            case INT8 -> DType.INT8;
            case STRING -> DType.STRING;
        };
    }

    private static int[] toInt(long[] a) {
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) r[i] = Math.toIntExact(a[i]);
        return r;
    }

    private static long[] toLong(int[] a) {
        long[] r = new long[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i];
        return r;
    }

    @Override public void close() { interpreter.close(); }
}
