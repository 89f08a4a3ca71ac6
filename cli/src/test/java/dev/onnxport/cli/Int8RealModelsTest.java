package dev.onnxport.cli;

import dev.onnxport.backends.Pipelines;
import dev.onnxport.backends.quant.CalibrationData;
import dev.onnxport.backends.quant.Calibrator;
import dev.onnxport.backends.quant.Int8Pipeline;
import dev.onnxport.backends.runtime.TfliteRunner;
import dev.onnxport.backends.tflite.TfliteBackend;
import dev.onnxport.backends.tflite.TfliteOptions;
import dev.onnxport.backends.tflite.TfliteQuantizer;
import dev.onnxport.frontends.onnx.OnnxFrontend;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Tensor;
import dev.onnxport.passes.InputShapes;
import dev.onnxport.passes.PassOptions;
import dev.onnxport.schemas.onnx.OnnxProto;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Full-integer quantization of the real image models (models/models.tsv, in the model cache) calibrated on coco20:
 * the int8 model runs in the TFLite 2.6 interpreter on the coco20 images, and its dequantized outputs must reach cosine
 * similarity >= 0.98 with the float32 TFLite model's (mean over images, per output); a classifier's top-1 must agree
 * with float32 on >= 90% of the images. An image whose float32 output is "empty" for an output (max |y| below two steps
 * of the int8 scale that output is dequantized from, e.g. a saliency mask with nothing salient under LOGISTIC's fixed
 * 1/256 steps) has no meaningful cosine for it: it is left out of that output's mean and counted as such.
 * Figures go to target/int8/results.tsv (docs/QUANTIZATION.md); the float32 and int8 files, the preprocessed inputs of
 * all 20 images and a manifest go to target/int8/&lt;model&gt;/ for the LiteRT check of conformance/litert_check.py,
 * which applies the same rule in current LiteRT. Models that are missing, or do not convert in float32 yet, are skipped.
 */
class Int8RealModelsTest {
    /**
     * A model, its input and preprocessing, the output a classifier's top-1 is read from, whether the thresholds are
     * claimed (a failure fails the build; unclaimed models only report their figures), and how many of the coco20
     * images the TFLite 2.6 evaluation uses by default (its int8 kernels are slow: u2netp takes about a minute an image).
     */
    record Spec(String name, String input, long[] shape, double[] mean, double[] std, String classifierOutput, boolean claimed, int images) {}

    static final double[] IMAGENET_MEAN = {0.485, 0.456, 0.406}, IMAGENET_STD = {0.229, 0.224, 0.225};

    static final List<Spec> SPECS = List.of(
            // not claimed: 20/20 top-1 in TFLite 2.6 but 17/20 in current LiteRT with XNNPACK (near-tie float outputs on
            // COCO photos, e.g. 0.274 / 0.278 / 0.264); see docs/QUANTIZATION.md
            new Spec("pplcnet-orientation", "x", new long[] {1, 3, 224, 224}, IMAGENET_MEAN, IMAGENET_STD, "fetch_name_0", false, 20),
            new Spec("ppocr-mobile-v2-cls", "x", new long[] {1, 3, 48, 192}, new double[] {0.5}, new double[] {0.5}, "softmax_0.tmp_0", true, 20),
            new Spec("mtcnn-onet", "input_3", new long[] {1, 48, 48, 3}, new double[] {127.5 / 255}, new double[] {128.0 / 255}, "softmax_2", true, 20),
            new Spec("yolov8n-nudenet-320", "images", new long[] {1, 3, 320, 320}, new double[] {0}, new double[] {1}, null, true, 20),
            new Spec("picodet-layout-cdla", "image", new long[] {1, 3, 800, 608}, IMAGENET_MEAN, IMAGENET_STD, null, false, 20),
            new Spec("u2netp", "input.1", new long[] {1, 3, 320, 320}, IMAGENET_MEAN, IMAGENET_STD, null, true, 4));

    @TempDir static Path cache;

    @TestFactory
    Stream<DynamicTest> realModels() {
        Int8Data.useSharedCoco20(cache);
        String filter = System.getProperty("onnxport.models", "");
        List<DynamicTest> r = new ArrayList<>();
        for (Spec s : SPECS) {
            if (!filter.isEmpty() && !s.name().matches(filter)) continue;
            r.add(DynamicTest.dynamicTest(s.name(), () -> check(s)));
        }
        return r.stream();
    }

    static Graph load(Path f, Spec s) {
        Graph g = OnnxFrontend.load(f).graph();
        InputShapes.apply(g, Map.of(s.input(), s.shape()), null);
        return g;
    }

    void check(Spec s) throws Exception { check(s, false, 0.98); }

    /**
     * @param int16     the 16x8 variant (min/max calibration unless -Donnxport.int8.method, files named
     *                  *_full_integer_quant_with_int16_act.tflite, lines "INT16" in target/int16/results.tsv)
     * @param minCosine the mean cosine similarity a claimed model must reach on each output
     */
    static void check(Spec s, boolean int16, double minCosine) throws Exception {
        Path f = Int8Data.models().resolve(s.name() + ".onnx");
        Assumptions.assumeTrue(Files.exists(f), "model not in the cache: " + f);
        Assumptions.assumeTrue(Int8Data.data() != null, "no shared data folder with coco20");
        // float32 reference, in the TFLite layout
        Graph gf = load(f, s);
        TfliteBackend.Emitted em;
        try {
            Pipelines.prepareTflite(gf, PassOptions.DEFAULT);
            em = new TfliteBackend().emitModel(gf, TfliteOptions.FLOAT32);
        } catch (RuntimeException e) {
            Assumptions.abort("does not convert in float32: " + e.getMessage().lines().findFirst().orElse(""));
            return;
        }
        byte[] floatModel = em.finish();

        Graph g = load(f, s);
        List<Map<String, Tensor>> samples = CalibrationData.samples(List.of(new CalibrationData.Source(null, "coco20")),
                Int8Pipeline.inputs(g), new CalibrationData.Preprocess(s.mean(), s.std(), null, false), m -> {});
        OnnxProto.ModelProto proto = OnnxFrontend.parse(f);
        long t0 = System.nanoTime();
        Calibrator.Options co = new Calibrator.Options(
                dev.onnxport.backends.quant.RangeStats.Method.valueOf(System.getProperty("onnxport.int8.method", int16 ? "minmax" : "percentile")
                        .toUpperCase(Locale.ROOT)),
                Double.parseDouble(System.getProperty("onnxport.int8.percentile", "99.99")), Calibrator.Progress.NONE);
        TfliteQuantizer.Options qo = new TfliteQuantizer.Options(true, false, TfliteQuantizer.IoType.FLOAT32, false,
                Boolean.getBoolean("onnxport.int8.floathead"));
        Int8Pipeline.Output out = Int8Pipeline.convert(g, proto, PassOptions.DEFAULT, samples,
                new Int8Pipeline.Options(co, int16 ? qo.withInt16Activations() : qo));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        Path dir = Path.of("target", int16 ? "int16" : "int8");
        Files.createDirectories(dir);
        Files.write(dir.resolve(s.name() + (int16 ? "_full_integer_quant_with_int16_act.tflite" : "_full_integer_quant.tflite")), out.model());
        Files.write(dir.resolve(s.name() + "_float32.tflite"), floatModel);

        List<String> bad = dev.onnxport.backends.tflite.TfliteQuantCheck.violations(out.model());
        org.junit.jupiter.api.Assertions.assertTrue(bad.isEmpty(), String.join("\n", bad));
        int images = Math.min(samples.size(), Integer.getInteger("onnxport.int8.images", s.images()));
        Map<String, Double> steps = outputSteps(out.model());
        Map<String, double[]> cos = new LinkedHashMap<>();
        Map<String, boolean[]> empty = new LinkedHashMap<>();
        int agree = 0;
        try (TfliteRunner fr = new TfliteRunner(floatModel); TfliteRunner qr = new TfliteRunner(out.model())) {
            for (int i = 0; i < images; i++) {
                Map<String, Tensor> in = Calibrator.tfliteInputs(gf, em, samples.get(i));
                Map<String, Tensor> a = fr.run(in), b = qr.run(in);
                for (String k : a.keySet()) {
                    cos.computeIfAbsent(k, x -> new double[images])[i] = cosine(a.get(k), b.get(k));
                    empty.computeIfAbsent(k, x -> new boolean[images])[i] = isEmpty(a.get(k), steps.get(k));
                }
                if (s.classifierOutput() != null && argmax(a.get(s.classifierOutput())) == argmax(b.get(s.classifierOutput()))) agree++;
            }
        }
        exportForLitert(s, dir, int16 ? "16x8" : "int8", minCosine, floatModel, out.model(), samples, gf, em, steps, cos, empty, agree, images);
        StringBuilder line = new StringBuilder(s.name()).append('\t').append(images).append(" images\t").append(out.quantization().int8Ops()).append('/')
                .append(out.quantization().totalOps()).append('\t').append(out.quantization().floatOps()).append('\t')
                .append(out.calibration().fromOnnx()).append('+').append(out.calibration().fromTflite()).append('\t').append(ms).append("ms");
        double worst = 1;
        for (Map.Entry<String, double[]> e : cos.entrySet()) {
            Stats st = stats(e.getValue(), empty.get(e.getKey()));
            worst = Math.min(worst, st.mean());
            line.append('\t').append(e.getKey()).append(String.format(Locale.ROOT, " cos mean %.4f min %.4f", st.mean(), st.min()));
            if (st.excluded() > 0) line.append(String.format(Locale.ROOT, " (%d empty left out; all %.4f)", st.excluded(), st.meanAll()));
        }
        if (s.classifierOutput() != null) line.append(String.format(Locale.ROOT, "\ttop1 %d/%d", agree, images));
        System.out.println((int16 ? "INT16 " : "INT8 ") + line);
        Files.writeString(dir.resolve("results.tsv"), line + "\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        if (!s.claimed()) {
            Assumptions.assumeTrue(worst >= minCosine, "not claimed, below the thresholds: " + line);
            return;
        }
        org.junit.jupiter.api.Assertions.assertTrue(worst >= minCosine, "cosine similarity " + worst + " < " + minCosine + ": " + line);
        if (s.classifierOutput() != null)
            org.junit.jupiter.api.Assertions.assertTrue(agree >= 0.9 * images, "top-1 agreement " + agree + "/" + images);
    }

    /** Mean and min cosine over the images whose float output is not empty; how many were left out; the mean over all. */
    record Stats(double mean, double min, int excluded, double meanAll) {}

    static Stats stats(double[] cos, boolean[] empty) {
        double sum = 0, min = 1, all = 0;
        int n = 0;
        for (int i = 0; i < cos.length; i++) {
            all += cos[i];
            if (empty[i]) continue;
            sum += cos[i];
            min = Math.min(min, cos[i]);
            n++;
        }
        return new Stats(n == 0 ? 1 : sum / n, min, cos.length - n, cos.length == 0 ? 1 : all / cos.length);
    }

    /** max |y| below two quantization steps of the output (no step known: never empty). */
    static boolean isEmpty(Tensor floatOut, Double step) {
        if (step == null) return false;
        double m = 0;
        for (double v : floatOut.toDoubles()) m = Math.max(m, Math.abs(v));
        return m < 2 * step;
    }

    /**
     * By output name, the scale of the int8/uint8 tensor the output is (or is dequantized from, for float outputs
     * behind a DEQUANTIZE); per-tensor scales only.
     */
    static Map<String, Double> outputSteps(byte[] model) {
        tflite.Model m = tflite.Model.getRootAsModel(java.nio.ByteBuffer.wrap(model).order(java.nio.ByteOrder.LITTLE_ENDIAN));
        tflite.SubGraph g = m.subgraphs(0);
        Map<String, Double> r = new LinkedHashMap<>();
        for (int o = 0; o < g.outputsLength(); o++) {
            int t = g.outputs(o);
            int q = t;
            for (int k = 0; k < g.operatorsLength() && g.tensors(t).type() == tflite.TensorType.FLOAT32; k++) {
                tflite.Operator op = g.operators(k);
                tflite.OperatorCode c = m.operatorCodes((int) op.opcodeIndex());
                int b = Math.max(c.builtinCode(), c.deprecatedBuiltinCode());
                if (b == tflite.BuiltinOperator.DEQUANTIZE && op.outputsLength() == 1 && op.outputs(0) == t) q = op.inputs(0);
            }
            tflite.QuantizationParameters p = g.tensors(q).quantization();
            if (g.tensors(q).type() != tflite.TensorType.FLOAT32 && p != null && p.scaleLength() == 1)
                r.put(g.tensors(t).name(), (double) p.scale(0));
        }
        return r;
    }

    /**
     * DIR/&lt;model&gt;/ (target/int8 or target/int16): float32.tflite, int8.tflite (the quantized file, 16x8 in int16), input.npy (every calibration image preprocessed, in the
     * TFLite input's layout, stacked on a new first axis) and manifest.json (thresholds, output steps, the JVM figures).
     */
    static void exportForLitert(Spec s, Path dir, String variant, double minCosine, byte[] floatModel, byte[] int8Model, List<Map<String, Tensor>> samples, Graph gf,
                                TfliteBackend.Emitted em, Map<String, Double> steps, Map<String, double[]> cos, Map<String, boolean[]> empty,
                                int agree, int images) throws java.io.IOException {
        Path d = dir.resolve(s.name());
        Files.createDirectories(d);
        Files.write(d.resolve("float32.tflite"), floatModel);
        Files.write(d.resolve("int8.tflite"), int8Model);
        List<Map<String, Tensor>> in = new ArrayList<>();
        for (Map<String, Tensor> smp : samples) in.add(Calibrator.tfliteInputs(gf, em, smp));
        org.junit.jupiter.api.Assertions.assertEquals(1, in.get(0).size(), "one input expected");
        Tensor first = in.get(0).values().iterator().next();
        long[] shp = first.shape();
        long[] stacked = new long[shp.length + 1];
        stacked[0] = in.size();
        System.arraycopy(shp, 0, stacked, 1, shp.length);
        java.nio.ByteBuffer all = Tensor.alloc(first.byteSize() * in.size());
        for (Map<String, Tensor> x : in) all.put(x.values().iterator().next().data());
        all.flip();
        dev.onnxport.cli.check.Npy.write(d.resolve("input.npy"), Tensor.of(first.dtype(), stacked, all));
        StringBuilder j = new StringBuilder("{\n");
        j.append("  \"model\": \"").append(s.name()).append("\",\n");
        j.append("  \"claimed\": ").append(s.claimed()).append(",\n");
        j.append("  \"variant\": \"").append(variant).append("\",\n");
        j.append("  \"min_cosine\": ").append(minCosine).append(",\n  \"min_top1\": 0.9,\n");
        j.append("  \"classifier_output\": ").append(s.classifierOutput() == null ? "null" : "\"" + s.classifierOutput() + "\"").append(",\n");
        j.append("  \"input\": \"").append(in.get(0).keySet().iterator().next()).append("\",\n");
        j.append("  \"steps\": {");
        String sep = "";
        for (Map.Entry<String, Double> e : steps.entrySet()) {
            j.append(sep).append("\"").append(e.getKey()).append("\": ").append(e.getValue());
            sep = ", ";
        }
        j.append("},\n  \"jvm\": {\"runtime\": \"TFLite 2.6 JNI\", \"images\": ").append(images);
        if (s.classifierOutput() != null) j.append(", \"top1\": ").append(agree);
        j.append(", \"outputs\": {");
        sep = "";
        for (Map.Entry<String, double[]> e : cos.entrySet()) {
            Stats st = stats(e.getValue(), empty.get(e.getKey()));
            j.append(sep).append(String.format(Locale.ROOT, "\"%s\": {\"mean\": %.6f, \"min\": %.6f, \"empty\": %d, \"mean_all\": %.6f}",
                    e.getKey(), st.mean(), st.min(), st.excluded(), st.meanAll()));
            sep = ", ";
        }
        j.append("}}\n}\n");
        Files.writeString(d.resolve("manifest.json"), j.toString());
    }

    static double cosine(Tensor a, Tensor b) {
        double[] x = a.dtype() == DType.FLOAT32 ? a.toDoubles() : a.cast(DType.FLOAT32).toDoubles();
        double[] y = b.dtype() == DType.FLOAT32 ? b.toDoubles() : b.cast(DType.FLOAT32).toDoubles();
        double d = 0, nx = 0, ny = 0;
        for (int i = 0; i < x.length; i++) { d += x[i] * y[i]; nx += x[i] * x[i]; ny += y[i] * y[i]; }
        if (nx == 0 && ny == 0) return 1;
        return d / Math.sqrt(nx * ny);
    }

    static int argmax(Tensor t) {
        double[] v = t.toDoubles();
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
