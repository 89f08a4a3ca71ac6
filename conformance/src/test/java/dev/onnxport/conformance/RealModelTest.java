package dev.onnxport.conformance;

import dev.onnxport.cli.check.Npy;
import dev.onnxport.backends.Pipelines;
import dev.onnxport.backends.onnx.OnnxBackend;
import dev.onnxport.backends.onnx.OnnxOptions;
import dev.onnxport.backends.runtime.OrtRunner;
import dev.onnxport.backends.runtime.TfliteRunner;
import dev.onnxport.backends.tflite.TfliteBackend;
import dev.onnxport.backends.tflite.TfliteOps;
import dev.onnxport.backends.tflite.TfliteOptions;
import dev.onnxport.frontends.onnx.OnnxFrontend;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Provenance;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.passes.InputShapes;
import dev.onnxport.passes.PassOptions;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The third-party models of models/models.tsv (fetched into the cache by models/fetch-models.sh), each with fixed
 * input shapes and seeded random inputs: onnxruntime on the original gives the reference; the model is converted to
 * TFLite float32 (default NHWC I/O, inputs and outputs transposed by their provenance perms) and run in the TFLite 2.6
 * interpreter, and round-tripped through the ONNX backend into onnxruntime. Both must agree with the reference
 * within {@link #TOL} (max abs error). Results go to target/conformance/results-models.jsonl; the converted files with
 * their inputs and expected outputs (.npy, in the TFLite model's layout) to target/conformance/models/&lt;name&gt;/ for
 * the LiteRT check of conformance/run.sh.
 * <p>
 * A model that fails is recorded as a failure in the results; its JUnit test fails only when the model is claimed
 * for that backend ({@link #CLAIMED_TFLITE}, {@link #CLAIMED_ONNX}), else it is skipped with the failure as reason.
 * Models missing from the cache are skipped.
 */
class RealModelTest {
    static final double TOL = 1e-4;
    static final String TFLITE_RUNTIME = "tflite-2.6.2-jni", ORT_RUNTIME = "onnxruntime-java-1.23.2";

    /** Models whose TFLite conversion must pass (a failure fails the build). Claim them as their ops land. */
    static final Set<String> CLAIMED_TFLITE = Set.of("ppocr-mobile-v2-cls", "pplcnet-orientation", "magika-standard-v3-3",
            "picodet-layout-cdla", "mtcnn-onet", "u2netp", "ppocrv4-det", "ppocrv4-rec", "minilm-l6-v2", "silero-vad-v5");
    /** Models whose ONNX round trip must pass. */
    static final Set<String> CLAIMED_ONNX = Set.of("ppocr-mobile-v2-cls", "pplcnet-orientation", "magika-standard-v3-3",
            "yolov8n-nudenet-320", "picodet-layout-cdla", "mtcnn-onet", "u2netp", "ppocrv4-det", "ppocrv4-rec", "minilm-l6-v2",
            "silero-vad-v5", "silero-vad-v6-op18");

    /** How one model input is fed: uniform random in [lo, hi) (integers: lo..hi-1), or pinned to a constant. */
    record In(String name, long[] shape, double lo, double hi, boolean pinned) {}

    static In rnd(String name, double lo, double hi, long... shape) { return new In(name, shape, lo, hi, false); }

    static In fill(String name, double v, long... shape) { return new In(name, shape, v, v, false); }

    /** Replaced by a constant in the converted model (fed to onnxruntime for the reference). */
    static In pin(String name, double v, long... shape) { return new In(name, shape, v, v, true); }

    /** Fixed input shapes and value ranges for each model of models.tsv. */
    static final Map<String, List<In>> INPUTS = Map.ofEntries(
            Map.entry("ppocr-mobile-v2-cls", List.of(rnd("x", -1, 1, 1, 3, 48, 192))),
            Map.entry("pplcnet-orientation", List.of(rnd("x", -1, 1, 1, 3, 224, 224))),
            Map.entry("magika-standard-v3-3", List.of(rnd("bytes", 0, 257, 1, 2048))), // bytes 0..255, 256 = padding
            Map.entry("yolov8n-nudenet-320", List.of(rnd("images", 0, 1, 1, 3, 320, 320))),
            Map.entry("picodet-layout-cdla", List.of(rnd("image", -1, 1, 1, 3, 800, 608))),
            Map.entry("mtcnn-onet", List.of(rnd("input_3", -1, 1, 1, 48, 48, 3))),
            Map.entry("u2netp", List.of(rnd("input.1", -1, 1, 1, 3, 320, 320))),
            Map.entry("ppocrv4-det", List.of(rnd("x", -1, 1, 1, 3, 640, 640))),
            Map.entry("ppocrv4-rec", List.of(rnd("x", -1, 1, 1, 3, 48, 320))),
            Map.entry("minilm-l6-v2", List.of(rnd("input_ids", 0, 30522, 1, 16), fill("attention_mask", 1, 1, 16),
                    fill("token_type_ids", 0, 1, 16))),
            Map.entry("silero-vad-v5", List.of(rnd("input", -1, 1, 1, 512), rnd("state", -0.5, 0.5, 2, 1, 128), pin("sr", 16000))),
            Map.entry("silero-vad-v6-op18", List.of(rnd("input", -1, 1, 1, 512), rnd("state", -0.5, 0.5, 2, 1, 128), pin("sr", 16000))));

    record Model(String name, String family, String sha256, Path file) {}

    @TestFactory
    Stream<DynamicTest> realModels() {
        try {
            Files.deleteIfExists(TestData.outDir().resolve("results-models.jsonl"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        String filter = System.getProperty("onnxport.models", "");
        List<DynamicTest> tests = new ArrayList<>();
        for (Model m : models()) {
            if (!filter.isEmpty() && !m.name().matches(filter)) continue;
            tests.add(DynamicTest.dynamicTest(m.name() + " tflite", () -> runTflite(m)));
            tests.add(DynamicTest.dynamicTest(m.name() + " onnx", () -> runOnnx(m)));
        }
        return tests.stream();
    }

    // ---------------------------------------------------------------- models and their reference

    static Path repoRoot() {
        Path d = Path.of("").toAbsolutePath();
        while (d != null) {
            if (Files.exists(d.resolve("models/models.tsv"))) return d;
            d = d.getParent();
        }
        throw new IllegalStateException("cannot find models/models.tsv above " + Path.of("").toAbsolutePath());
    }

    static Path cache() {
        String p = System.getProperty("onnxport.models.dir");
        if (p == null || p.isEmpty()) p = System.getenv("ONNXPORT_MODELS");
        if (p == null || p.isEmpty()) p = System.getProperty("user.home") + "/.cache/onnxport/models";
        return Path.of(p);
    }

    static List<Model> models() {
        try {
            List<Model> r = new ArrayList<>();
            for (String line : Files.readAllLines(repoRoot().resolve("models/models.tsv"))) {
                String[] f = line.split("\t");
                if (f.length < 4 || f[0].equals("name") || f[0].isBlank()) continue;
                r.add(new Model(f[0], f[1], f[3], cache().resolve(f[0] + ".onnx")));
            }
            return r;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    record Reference(Map<String, Tensor> inputs, Map<String, Tensor> outputs) {}

    private static String refFor;
    private static Reference ref;

    /** The model's seeded inputs and onnxruntime's outputs for the original (kept for the model's next test). */
    static synchronized Reference reference(Model m) throws IOException {
        if (m.name().equals(refFor)) return ref;
        ref = null;
        refFor = null;
        List<In> spec = INPUTS.get(m.name());
        if (spec == null) throw new ConversionException("no input table entry for model " + m.name() + " in RealModelTest.INPUTS");
        Graph g = OnnxFrontend.load(m.file()).graph();
        Map<String, DType> types = new LinkedHashMap<>();
        for (Value v : g.inputs()) types.put(v.name(), v.dtype());
        for (In in : spec) if (!types.containsKey(in.name())) throw new ConversionException("model " + m.name() + " has no input '" + in.name() + "'");
        Map<String, Tensor> ins = new LinkedHashMap<>();
        SplittableRandom rnd = new SplittableRandom(20240601L + m.name().hashCode());
        for (String name : types.keySet()) {
            In in = spec.stream().filter(s -> s.name().equals(name)).findFirst()
                    .orElseThrow(() -> new ConversionException("RealModelTest.INPUTS has no entry for input '" + name + "' of " + m.name()));
            ins.put(name, random(types.get(name), in, rnd));
        }
        try (OrtRunner ort = new OrtRunner(Files.readAllBytes(m.file()))) {
            ref = new Reference(ins, ort.run(ins));
        }
        refFor = m.name();
        return ref;
    }

    static Tensor random(DType dt, In in, SplittableRandom rnd) {
        int n = Math.toIntExact(Tensor.numel(in.shape()));
        if (dt.isFloat()) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) v[i] = in.lo() == in.hi() ? in.lo() : in.lo() + rnd.nextDouble() * (in.hi() - in.lo());
            return Tensor.fromDoubles(dt, in.shape(), v);
        }
        long[] v = new long[n];
        for (int i = 0; i < n; i++) v[i] = in.lo() == in.hi() ? (long) in.lo() : rnd.nextLong((long) in.lo(), (long) in.hi());
        if (dt == DType.BOOL) for (int i = 0; i < n; i++) v[i] = v[i] != 0 ? 1 : 0;
        return Tensor.fromLongs(dt, in.shape(), v);
    }

    /**
     * The model loaded with its inputs' shapes fixed as the CLI's --input-shape does (symbolic dims bound) and pinned
     * inputs replaced by constants.
     */
    static Graph load(Model m, Reference r) {
        Graph g = OnnxFrontend.load(m.file()).graph();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (In in : INPUTS.get(m.name())) if (!in.pinned()) shapes.put(in.name(), in.shape());
        InputShapes.apply(g, shapes, null);
        for (In in : INPUTS.get(m.name())) if (in.pinned()) GraphEdits.pin(g, in.name(), r.inputs().get(in.name()));
        return g;
    }

    static String onnxName(Value v) {
        Provenance p = v.provenance();
        return p != null && p.onnxName() != null ? p.onnxName() : v.name();
    }

    static int[] perm(Value v) { return v.provenance() == null || v.provenance().isIdentity() ? null : v.provenance().perm(); }

    // ---------------------------------------------------------------- backends

    static void runTflite(Model m) throws Exception {
        boolean claimed = CLAIMED_TFLITE.contains(m.name());
        Path dir = TestData.outDir().resolve("models").resolve(m.name());
        deleteTree(dir);
        present(m, "tflite", TFLITE_RUNTIME);
        Double err = null;
        String reason = null;
        try {
            Reference r = reference(m);
            Graph g = load(m, r);
            byte[] tfl;
            try {
                Pipelines.prepareTflite(g, PassOptions.DEFAULT);
                Map<String, Integer> missing = new TreeMap<>();
                for (Node n : g.nodes()) if (TfliteOps.standard().get(n.qualifiedOp()) == null) missing.merge(n.qualifiedOp(), 1, Integer::sum);
                if (!missing.isEmpty()) throw new ConversionException("no TFLite conversion for " + histogram(missing));
                tfl = new TfliteBackend().emit(g, TfliteOptions.FLOAT32);
            } catch (RuntimeException e) {
                throw new ModelFailure("conversion failed: " + oneLine(e));
            }
            Files.createDirectories(dir);
            Files.write(dir.resolve("model.tflite"), tfl);
            // inputs and expected outputs in the TFLite model's layout, named by position
            Map<String, Tensor> feed = new LinkedHashMap<>();
            StringBuilder man = new StringBuilder("{\"model\":" + Results.q(m.name()) + ",\"family\":" + Results.q(m.family())
                    + ",\"claimed\":" + claimed + ",\"tol\":" + TOL + ",\"tflite\":\"model.tflite\",\"inputs\":[");
            for (int i = 0; i < g.inputs().size(); i++) {
                Value v = g.inputs().get(i);
                Tensor t = r.inputs().get(onnxName(v));
                if (t == null) throw new ModelFailure("TFLite input '" + v.name() + "' comes from no ONNX input (provenance " + v.provenance() + ")");
                t = Tensors.transpose(t, perm(v));
                feed.put(v.name(), t);
                Npy.write(dir.resolve("input_" + i + ".npy"), t);
                man.append(i == 0 ? "" : ",").append(entry(v, "input_" + i + ".npy"));
            }
            man.append("],\"outputs\":[");
            Map<String, Tensor> expected = new LinkedHashMap<>();
            for (int i = 0; i < g.outputs().size(); i++) {
                Value v = g.outputs().get(i);
                Tensor t = r.outputs().get(onnxName(v));
                if (t == null) throw new ModelFailure("TFLite output '" + v.name() + "' is no output of the original (provenance " + v.provenance() + ")");
                t = Tensors.transpose(t, perm(v));
                expected.put(v.name(), t);
                Npy.write(dir.resolve("expected_" + i + ".npy"), t);
                man.append(i == 0 ? "" : ",").append(entry(v, "expected_" + i + ".npy"));
            }
            Files.writeString(dir.resolve("manifest-tflite.json"), man.append("]}\n").toString());
            if (expected.size() != r.outputs().size())
                throw new ModelFailure("the TFLite model has " + expected.size() + " outputs, the original " + r.outputs().size());
            try (TfliteRunner run = new TfliteRunner(tfl)) {
                Assertions.assertEquals(List.copyOf(feed.keySet()), run.inputNames(), "TFLite input names");
                Assertions.assertEquals(List.copyOf(expected.keySet()), run.outputNames(), "TFLite output names");
                Map<String, Tensor> got;
                try {
                    got = run.run(feed);
                } catch (RuntimeException e) {
                    throw new ModelFailure("TFLite run failed: " + oneLine(e));
                }
                Worst w = compare(expected, got);
                err = w.err();
                if (!(err <= TOL)) reason = w.describe();
            }
        } catch (ModelFailure e) {
            reason = e.getMessage();
        } catch (Throwable t) {
            reason = oneLine(t);
        }
        finish(m, "tflite", TFLITE_RUNTIME, claimed, err, reason);
    }

    static void runOnnx(Model m) throws Exception {
        boolean claimed = CLAIMED_ONNX.contains(m.name());
        present(m, "onnx", ORT_RUNTIME);
        Double err = null;
        String reason = null;
        try {
            Reference r = reference(m);
            Graph g = load(m, r);
            byte[] bytes;
            try {
                Pipelines.prepareOnnx(g);
                bytes = OnnxBackend.emit(g, new OnnxOptions(null, "onnxport"));
            } catch (RuntimeException e) {
                throw new ModelFailure("conversion failed: " + oneLine(e));
            }
            Path dir = TestData.outDir().resolve("models").resolve(m.name());
            Files.createDirectories(dir);
            Files.write(dir.resolve("model.onnx"), bytes);
            String crash = OrtProbe.problem(dir.resolve("model.onnx"));
            if (crash != null) throw new ModelFailure(crash);
            Map<String, Tensor> feed = new LinkedHashMap<>();
            for (Value v : g.inputs()) feed.put(v.name(), Tensors.transpose(r.inputs().get(onnxName(v)), perm(v)));
            Map<String, Tensor> expected = new LinkedHashMap<>();
            for (Value v : g.outputs()) expected.put(v.name(), Tensors.transpose(r.outputs().get(onnxName(v)), perm(v)));
            try (OrtRunner ort = new OrtRunner(bytes)) {
                Map<String, Tensor> got;
                try {
                    got = ort.run(feed);
                } catch (RuntimeException e) {
                    throw new ModelFailure("onnxruntime run of the round-tripped model failed: " + oneLine(e));
                }
                Worst w = compare(expected, got);
                err = w.err();
                if (!(err <= TOL)) reason = w.describe();
            }
        } catch (ModelFailure e) {
            reason = e.getMessage();
        } catch (Throwable t) {
            reason = oneLine(t);
        }
        finish(m, "onnx", ORT_RUNTIME, claimed, err, reason);
    }

    /** A failure whose message is the whole reason. */
    static final class ModelFailure extends Exception {
        ModelFailure(String m) { super(m); }
    }

    static void present(Model m, String backend, String runtime) throws IOException {
        String why = null;
        if (!Files.exists(m.file())) why = "not in the model cache " + cache() + " (run models/fetch-models.sh)";
        else if (!sha256(m.file()).equals(m.sha256())) why = "wrong sha256 in the model cache: " + m.file();
        if (why != null) {
            record(m, backend, runtime, "skip", null, why, false);
            Assumptions.abort(why);
        }
    }

    static void finish(Model m, String backend, String runtime, boolean claimed, Double err, String reason) {
        if (reason == null) {
            record(m, backend, runtime, "pass", err, "", claimed);
            return;
        }
        record(m, backend, runtime, "fail", err, reason, claimed);
        if (claimed) Assertions.fail(reason);
        Assumptions.abort("not claimed, fails: " + reason);
    }

    /** The largest difference of a comparison: where, and how large the reference's values are in that output. */
    record Worst(double err, String output, double expected, double outputMaxAbs) {
        String describe() {
            return "max abs error " + err + " > " + TOL + " in output '" + output + "' (expected " + expected
                    + "; that output's values reach |" + outputMaxAbs + "|)";
        }
    }

    /** Max abs error over all outputs (NaN where the other is not NaN counts as infinite); shapes must match. */
    static Worst compare(Map<String, Tensor> expected, Map<String, Tensor> got) throws ModelFailure {
        Worst worst = new Worst(0, "", 0, 0);
        for (Map.Entry<String, Tensor> e : expected.entrySet()) {
            Tensor a = got.get(e.getKey());
            Tensor x = e.getValue();
            if (a == null) throw new ModelFailure("no output '" + e.getKey() + "'");
            if (!Arrays.equals(a.shape(), x.shape()))
                throw new ModelFailure("output '" + e.getKey() + "' has shape " + Arrays.toString(a.shape()) + ", expected " + Arrays.toString(x.shape()));
            double scale = 0, w = -1, at = 0;
            for (long i = 0; i < x.numel(); i++) {
                double p = x.getDouble(i), q = a.getDouble(i);
                if (Double.isFinite(p)) scale = Math.max(scale, Math.abs(p));
                if (Double.isNaN(p) && Double.isNaN(q) || p == q) continue;
                double d = Math.abs(p - q);
                if (Double.isNaN(d)) d = Double.POSITIVE_INFINITY;
                if (d > w) { w = d; at = p; }
            }
            if (w > worst.err()) worst = new Worst(w, e.getKey(), at, scale);
        }
        return worst;
    }

    static String entry(Value v, String file) {
        int[] p = perm(v);
        return "{\"name\":" + Results.q(v.name()) + ",\"onnx\":" + Results.q(onnxName(v)) + ",\"perm\":"
                + (p == null ? "null" : Arrays.toString(p)) + ",\"file\":" + Results.q(file) + "}";
    }

    static String histogram(Map<String, Integer> count) {
        List<Map.Entry<String, Integer>> es = new ArrayList<>(count.entrySet());
        es.sort(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()));
        return String.join(", ", es.stream().map(e -> e.getKey() + " x" + e.getValue()).toList());
    }

    static synchronized void record(Model m, String backend, String runtime, String status, Double err, String reason, boolean claimed) {
        String line = "{\"model\":" + Results.q(m.name()) + ",\"family\":" + Results.q(m.family()) + ",\"backend\":" + Results.q(backend)
                + ",\"runtime\":" + Results.q(runtime) + ",\"status\":" + Results.q(status) + ",\"max_abs_err\":"
                + (err == null ? "null" : Double.isFinite(err) ? Double.toString(err) : "\"" + err + "\"")
                + ",\"claimed\":" + claimed + ",\"reason\":" + Results.q(reason == null ? "" : reason) + "}\n";
        try {
            Files.writeString(TestData.outDir().resolve("results-models.jsonl"), line, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String oneLine(Throwable t) {
        String s = t.getMessage() == null ? t.toString() : t.getMessage();
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        if (root != t && (t.getMessage() == null || t instanceof ExceptionInInitializerError)) s += ", caused by " + root;
        s = s.replaceAll("\\s*\\n\\s*", " | ");
        return s.length() > 600 ? s.substring(0, 600) + "..." : s;
    }

    static String sha256(Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
