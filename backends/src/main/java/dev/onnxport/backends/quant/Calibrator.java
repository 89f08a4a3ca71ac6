package dev.onnxport.backends.quant;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.onnxport.backends.runtime.TfliteRunner;
import dev.onnxport.backends.tflite.TfliteBackend;
import dev.onnxport.backends.tflite.TfliteModelBuilder;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Provenance;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.schemas.onnx.OnnxProto;
import tflite.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The calibration run: value ranges for every float32 activation tensor of an emitted (float) TFLite model.
 * <p>
 * The float ONNX model runs in onnxruntime with the needed intermediate tensors exposed (a copy of the ModelProto
 * with extra graph outputs); each TFLite tensor takes the range of the ONNX tensor its IR value carries
 * ({@link Value#provenance()}). Tensors that carry no ONNX tensor (temporaries of a lowering, values made by a pass)
 * are measured in the float TFLite model itself (the TFLite 2.6 interpreter, with those tensors made outputs).
 * With system property {@code onnxport.calib.engine=tflite}, or when onnxruntime is not on the class path, every
 * tensor is measured in the TFLite model.
 */
public final class Calibrator {
    private Calibrator() {}

    /** Progress over the calibration runs (per sample). */
    public interface Progress {
        void update(String phase, int done, int total);

        default void finish() {}

        Progress NONE = (p, d, t) -> {};
    }

    public record Options(RangeStats.Method method, double percentile, Progress progress) {
        public static final Options DEFAULT = new Options(RangeStats.Method.PERCENTILE, 99.99, Progress.NONE);
    }

    /**
     * The ranges by TFLite tensor index, how many tensors were measured in each engine, and the per-channel means
     * (over the samples and every position) of the tensors asked for, along the TFLite tensor's last axis.
     */
    public record Result(Map<Integer, Range> ranges, int fromOnnx, int fromTflite, Map<Integer, double[]> channelMeans) {
        public Result(Map<Integer, Range> ranges, int fromOnnx, int fromTflite) { this(ranges, fromOnnx, fromTflite, Map.of()); }
    }

    /** A float32 buffer of a measured tensor with its shape. */
    interface Sink {
        void accept(String key, FloatBuffer data, long[] shape);
    }

    /** Per-channel sums of some tensors along one axis each. */
    static final class ChannelMeans {
        private final Map<String, Integer> axis = new HashMap<>();
        private final Map<String, double[]> sum = new HashMap<>();
        private final Map<String, Long> count = new HashMap<>();

        void want(String key, int ax) { axis.put(key, ax); }

        boolean wants(String key) { return axis.containsKey(key); }

        void observe(String key, FloatBuffer fb, long[] shape) {
            Integer ax = axis.get(key);
            if (ax == null || shape == null || ax >= shape.length) return;
            int channels = (int) shape[ax];
            long inner = 1;
            for (int i = ax + 1; i < shape.length; i++) inner *= shape[i];
            double[] s = sum.computeIfAbsent(key, k -> new double[channels]);
            if (s.length != channels) return;
            int n = fb.remaining();
            for (int i = 0; i < n; i++) s[(int) ((i / inner) % channels)] += fb.get(fb.position() + i);
            count.merge(key, (long) n / Math.max(1, channels), Long::sum);
        }

        double[] mean(String key) {
            double[] s = sum.get(key);
            Long c = count.get(key);
            if (s == null || c == null || c == 0) return null;
            double[] m = new double[s.length];
            for (int i = 0; i < s.length; i++) m[i] = s[i] / c;
            return m;
        }
    }

    /**
     * @param onnx    the original ONNX model (the one the graph was read from)
     * @param g       the IR graph after the TFLite pipeline (whose values the emitted model's tensors carry)
     * @param em      the emitted float32 TFLite model
     * @param samples calibration inputs by ONNX input name, in the ONNX model's layout
     */
    public static Result calibrate(OnnxProto.ModelProto onnx, Graph g, TfliteBackend.Emitted em, List<Map<String, Tensor>> samples, Options o) {
        return calibrate(onnx, g, em, samples, Set.of(), o);
    }

    /**
     * As above, and the per-channel means of the activation tensors in meanOf (along their last axis in the TFLite
     * model), measured in the same runs.
     */
    public static Result calibrate(OnnxProto.ModelProto onnx, Graph g, TfliteBackend.Emitted em, List<Map<String, Tensor>> samples,
                                   Set<Integer> meanOf, Options o) {
        if (samples.isEmpty()) throw new CalibrationException("no calibration samples");
        Set<Integer> activations = floatActivations(em.model(), em.inputs());

        // which ONNX tensor each activation carries
        Map<Integer, String> onnxOf = new HashMap<>();
        boolean useOrt = !"tflite".equals(System.getProperty("onnxport.calib.engine")) && ortAvailable();
        if (useOrt) {
            Set<String> produced = new HashSet<>();
            for (OnnxProto.NodeProto n : onnx.getGraph().getNodeList()) produced.addAll(n.getOutputList());
            Set<String> inputs = new HashSet<>();
            for (OnnxProto.ValueInfoProto vi : onnx.getGraph().getInputList()) inputs.add(vi.getName());
            for (Map.Entry<Value, Integer> e : em.valueTensors().entrySet()) {
                int t = e.getValue();
                if (!activations.contains(t) || onnxOf.containsKey(t)) continue;
                Provenance p = e.getKey().provenance();
                if (p == null || p.onnxName() == null) continue;
                String name = p.onnxName();
                if (produced.contains(name) || inputs.contains(name) && samples.get(0).containsKey(name)) onnxOf.put(t, name);
            }
        }
        // the TFLite tensor's last axis is ONNX axis perm[rank - 1] of the ONNX tensor it carries
        Map<Integer, Provenance> provOf = new HashMap<>();
        for (Map.Entry<Value, Integer> e : em.valueTensors().entrySet()) provOf.putIfAbsent(e.getValue(), e.getKey().provenance());
        ChannelMeans means = new ChannelMeans();
        Map<Integer, String> meanKey = new LinkedHashMap<>();
        for (int t : meanOf) {
            if (!activations.contains(t)) continue;
            int rank = em.model().tensor(t).shape().length;
            if (rank == 0) continue;
            if (onnxOf.containsKey(t)) {
                Provenance p = provOf.get(t);
                int ax = p == null || p.perm() == null ? rank - 1 : p.perm().length == rank ? p.perm()[rank - 1] : -1;
                if (ax < 0) continue;
                String key = onnxOf.get(t) + "@" + ax;
                means.want(key, ax);
                meanKey.put(t, key);
            } else {
                String key = "tfl:" + t + "@" + (rank - 1);
                means.want(key, rank - 1);
                meanKey.put(t, key);
            }
        }
        RangeStats stats = new RangeStats();
        boolean hist = o.method() != RangeStats.Method.MINMAX;
        int passes = hist ? 2 : 1;
        int[] done = {0};
        int[] total = {passes * samples.size() * (onnxOf.isEmpty() ? 0 : 1)};
        if (!onnxOf.isEmpty()) {
            try (OrtCalibration ort = new OrtCalibration(onnx, new LinkedHashSet<>(onnxOf.values()))) {
                for (int pass = 0; pass < passes; pass++) {
                    boolean second = pass == 1;
                    for (Map<String, Tensor> s : samples) {
                        ort.run(s, (k, fb, shape) -> {
                            if (second) { stats.observeHistogram(k, fb); return; }
                            stats.observeMinMax(k, fb);
                            for (String mk : meanKey.values()) if (mk.startsWith(k + "@")) means.observe(mk, fb, shape);
                        });
                        o.progress().update("calibrating", ++done[0], total[0] + passes * samples.size());
                    }
                }
            }
        }
        List<Integer> rest = new ArrayList<>();
        for (int t : activations) if (!onnxOf.containsKey(t)) rest.add(t);
        if (!rest.isEmpty()) {
            total[0] += passes * samples.size();
            measureTflite(em, rest, g, samples, passes, stats, means, o.progress(), done, total);
        }
        o.progress().finish();
        Map<Integer, Range> ranges = new LinkedHashMap<>();
        for (int t : activations) {
            String key = onnxOf.containsKey(t) ? onnxOf.get(t) : "tfl:" + t;
            Range r = stats.range(key, o.method(), o.percentile());
            if (r != null) ranges.put(t, r);
        }
        Map<Integer, double[]> channelMeans = new LinkedHashMap<>();
        for (Map.Entry<Integer, String> e : meanKey.entrySet()) {
            double[] m = means.mean(e.getValue());
            if (m != null && m.length == em.model().tensor(e.getKey()).shape()[em.model().tensor(e.getKey()).shape().length - 1])
                channelMeans.put(e.getKey(), m);
        }
        return new Result(ranges, onnxOf.size(), rest.size(), channelMeans);
    }

    /** Runs the float TFLite model with the given tensors made outputs; stats under "tfl:" + tensor index. */
    private static void measureTflite(TfliteBackend.Emitted model, List<Integer> tensors, Graph g, List<Map<String, Tensor>> samples, int passes,
                                      RangeStats stats, ChannelMeans means, Progress progress, int[] done, int[] total) {
        TfliteModelBuilder mb = model.model();
        int[] outs = new int[model.outputs().length + tensors.size()];
        System.arraycopy(model.outputs(), 0, outs, 0, model.outputs().length);
        for (int i = 0; i < tensors.size(); i++) outs[model.outputs().length + i] = tensors.get(i);
        byte[] debug = TfliteBackend.finish(mb, model.inputs(), dedupe(outs));
        Map<String, Integer> byName = new HashMap<>();
        for (int t : tensors) byName.put(mb.tensor(t).name(), t);
        try (TfliteRunner tr = new TfliteRunner(debug)) {
            for (int pass = 0; pass < passes; pass++) {
                boolean second = pass == 1;
                for (Map<String, Tensor> s : samples) {
                    Map<String, Tensor> out = tr.run(tfliteInputs(g, model, s));
                    for (Map.Entry<String, Tensor> e : out.entrySet()) {
                        Integer t = byName.get(e.getKey());
                        if (t == null || e.getValue().dtype() != DType.FLOAT32) continue;
                        FloatBuffer fb = e.getValue().data().asFloatBuffer();
                        if (second) { stats.observeHistogram("tfl:" + t, fb); continue; }
                        stats.observeMinMax("tfl:" + t, fb);
                        String mk = "tfl:" + t + "@" + (e.getValue().shape().length - 1);
                        if (means.wants(mk)) means.observe(mk, e.getValue().data().asFloatBuffer(), e.getValue().shape());
                    }
                    progress.update("calibrating", ++done[0], total[0]);
                }
            }
        }
    }

    private static int[] dedupe(int[] a) {
        return java.util.Arrays.stream(a).distinct().toArray();
    }

    /** Float32 tensors without data that are graph inputs or written by some operator. */
    static Set<Integer> floatActivations(TfliteModelBuilder mb, int[] inputs) {
        Set<Integer> written = new LinkedHashSet<>();
        for (int i : inputs) written.add(i);
        for (TfliteModelBuilder.OpDef op : mb.operators()) for (int t : op.outputs()) if (t >= 0) written.add(t);
        Set<Integer> r = new LinkedHashSet<>();
        for (int t : written) {
            TfliteModelBuilder.TensorDef d = mb.tensor(t);
            if (d.type() == TensorType.FLOAT32 && d.buffer() == 0) r.add(t);
        }
        return r;
    }

    /** A sample (ONNX layout, by ONNX input name) as the TFLite model's inputs (its layout, by tensor name). */
    public static Map<String, Tensor> tfliteInputs(Graph g, TfliteBackend.Emitted em, Map<String, Tensor> sample) {
        Map<String, Tensor> r = new LinkedHashMap<>();
        for (Value v : g.inputs()) {
            Integer t = em.valueTensors().get(v);
            if (t == null) continue;
            Provenance p = v.provenance();
            String onnxName = p != null && p.onnxName() != null ? p.onnxName() : v.name();
            Tensor x = sample.get(onnxName);
            if (x == null) throw new ConversionException("no calibration data for input '" + onnxName + "'");
            if (p != null && !p.isIdentity()) x = transpose(x, p.perm());
            r.put(em.model().tensor(t).name(), x);
        }
        return r;
    }

    /** out axis i = in axis perm[i]. */
    public static Tensor transpose(Tensor x, int[] perm) {
        long[] s = x.shape();
        int r = s.length;
        long[] os = new long[r];
        for (int i = 0; i < r; i++) os[i] = s[perm[i]];
        long[] inStride = new long[r];
        long acc = 1;
        for (int i = r - 1; i >= 0; i--) { inStride[i] = acc; acc *= s[i]; }
        int es = x.dtype().size();
        long n = x.numel();
        ByteBuffer src = x.data(), dst = Tensor.alloc(n * es);
        long[] idx = new long[r];
        byte[] tmp = new byte[es];
        for (long k = 0; k < n; k++) {
            long off = 0;
            for (int i = 0; i < r; i++) off += idx[i] * inStride[perm[i]];
            src.position((int) (off * es));
            src.get(tmp);
            dst.put(tmp);
            for (int i = r - 1; i >= 0; i--) { if (++idx[i] < os[i]) break; idx[i] = 0; }
        }
        return Tensor.of(x.dtype(), os, dst.flip());
    }

    static boolean ortAvailable() {
        try {
            Class.forName("ai.onnxruntime.OrtEnvironment");
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** onnxruntime on a copy of the model whose graph outputs include the requested tensors. */
    static final class OrtCalibration implements AutoCloseable {
        private final OrtEnvironment env = OrtEnvironment.getEnvironment();
        private final OrtSession session;
        private final Set<String> requested;

        OrtCalibration(OnnxProto.ModelProto model, Set<String> names) {
            for (OnnxProto.TensorProto t : model.getGraph().getInitializerList())
                if (t.getDataLocation() == OnnxProto.TensorProto.DataLocation.EXTERNAL)
                    throw new ConversionException("calibration of models with external data is not supported");
            OnnxProto.GraphProto.Builder gb = model.getGraph().toBuilder();
            Set<String> have = new HashSet<>();
            for (OnnxProto.ValueInfoProto vi : gb.getOutputList()) have.add(vi.getName());
            Set<String> inputs = new HashSet<>();
            for (OnnxProto.ValueInfoProto vi : gb.getInputList()) inputs.add(vi.getName());
            requested = new LinkedHashSet<>();
            for (String n : names) {
                if (inputs.contains(n)) continue; // observed from the feed
                requested.add(n);
                if (have.add(n)) gb.addOutput(OnnxProto.ValueInfoProto.newBuilder().setName(n));
            }
            inputNames = inputs;
            this.names = names;
            byte[] bytes = model.toBuilder().setGraph(gb).build().toByteArray();
            try {
                OrtSession.SessionOptions so = new OrtSession.SessionOptions();
                so.setIntraOpNumThreads(Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())));
                so.setInterOpNumThreads(1);
                session = env.createSession(bytes, so);
            } catch (OrtException e) {
                throw new ConversionException("onnxruntime rejected the calibration model: " + e.getMessage(), e);
            }
        }

        private final Set<String> inputNames;
        private final Set<String> names;

        void run(Map<String, Tensor> sample, Sink sink) {
            Map<String, OnnxTensor> feed = new LinkedHashMap<>();
            try {
                for (Map.Entry<String, Tensor> e : sample.entrySet()) {
                    Tensor t = e.getValue();
                    ByteBuffer b = ByteBuffer.allocateDirect(Math.toIntExact(t.byteSize())).order(ByteOrder.nativeOrder());
                    b.put(t.data()).flip();
                    feed.put(e.getKey(), OnnxTensor.createTensor(env, b, t.shape(), javaType(t.dtype())));
                    if (names.contains(e.getKey()) && inputNames.contains(e.getKey()) && t.dtype() == DType.FLOAT32)
                        sink.accept(e.getKey(), t.data().asFloatBuffer(), t.shape());
                }
                try (OrtSession.Result res = session.run(feed, requested)) {
                    for (Map.Entry<String, OnnxValue> e : res) {
                        if (!(e.getValue() instanceof OnnxTensor t)) continue;
                        TensorInfo info = t.getInfo();
                        if (info.type != ai.onnxruntime.OnnxJavaType.FLOAT) continue;
                        sink.accept(e.getKey(), t.getFloatBuffer(), info.getShape());
                    }
                }
            } catch (OrtException e) {
                throw new ConversionException("onnxruntime failed on a calibration sample: " + e.getMessage(), e);
            } finally {
                for (OnnxTensor t : feed.values()) t.close();
            }
        }

        private static ai.onnxruntime.OnnxJavaType javaType(DType d) {
            return switch (d) {
                case FLOAT32 -> ai.onnxruntime.OnnxJavaType.FLOAT;
                case FLOAT64 -> ai.onnxruntime.OnnxJavaType.DOUBLE;
                case INT8 -> ai.onnxruntime.OnnxJavaType.INT8;
                case UINT8 -> ai.onnxruntime.OnnxJavaType.UINT8;
                case INT16 -> ai.onnxruntime.OnnxJavaType.INT16;
                case INT32 -> ai.onnxruntime.OnnxJavaType.INT32;
                case INT64 -> ai.onnxruntime.OnnxJavaType.INT64;
                case BOOL -> ai.onnxruntime.OnnxJavaType.BOOL;
                case FLOAT16 -> ai.onnxruntime.OnnxJavaType.FLOAT16;
                default -> throw new ConversionException("onnxruntime-java cannot take " + d + " calibration tensors");
            };
        }

        @Override public void close() {
            try {
                session.close();
            } catch (OrtException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
