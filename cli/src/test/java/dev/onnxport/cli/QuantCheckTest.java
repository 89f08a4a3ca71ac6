package dev.onnxport.cli;

import dev.onnxport.backends.check.MiniJson;
import dev.onnxport.backends.check.TfliteFile;
import dev.onnxport.backends.runtime.OrtRunner;
import dev.onnxport.backends.runtime.TfliteRunner;
import dev.onnxport.cli.check.Checker;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code convert --int8 --check} and {@code check} on quantized files: the int8 file, dequantized, against the float
 * ONNX model (onnxruntime) in the TFLite 2.6 interpreter, by quantization metrics on the calibration images.
 */
class QuantCheckTest extends Coco20Fixture {
    static final Path TINY = Int8CliTest.TINY;


    static Map<?, ?> json(Path f) throws Exception { return (Map<?, ?>) MiniJson.parse(Files.readString(f)); }

    static Map<?, ?> row(Map<?, ?> json, String tensor) {
        for (Object o : (List<?>) json.get("rows")) if (tensor.equals(((Map<?, ?>) o).get("tensor"))) return (Map<?, ?>) o;
        throw new AssertionError("no row for " + tensor);
    }

    static double num(Object o) { return ((Number) o).doubleValue(); }

    @Test
    void int8CheckOnCalibrationImagesPassesAndWritesReports() throws Exception {
        Path out = dir.resolve("out"), rep = dir.resolve("rep");
        CliRun.Result r = CliRun.run("convert", TINY.toString(), "--to", "tflite", "--int8", "-o", out.toString(), "--check", "--check-report", rep.toString());
        assertEquals(0, r.code(), r.toString());
        assertFalse(r.out().contains("skipped"), r.out());
        assertTrue(r.out().contains("quantized file: quantization error per layer"), r.out());
        assertTrue(r.out().contains("4 of 20 calibration samples (coco20; #0 #5 #10 #15"), "the subset is named: " + r.out());
        assertTrue(r.out().contains("PASS: all 1 model output within the quantization tolerance (cosine >= 0.98, mean over 4 samples)"), r.out());
        // the float32 file is still checked with absolute tolerances
        assertTrue(r.out().contains("PASS: all 1 model output within tolerance (atol 1.00e-04"), r.out());

        Map<?, ?> j = json(rep.resolve("tiny_cnn_full_integer_quant/report.json"));
        assertEquals(Boolean.TRUE, j.get("quantized"));
        assertEquals("pass", j.get("verdict"));
        assertEquals(4L, j.get("samples"));
        assertEquals(9, ((List<?>) j.get("rows")).size(), "every node, in graph order");
        Map<?, ?> conv1 = row(j, "conv1_out");
        assertEquals("int8", conv1.get("dtype"));
        assertTrue(conv1.get("scale") instanceof Number && num(conv1.get("scale")) > 0, "an activation has one scale: " + conv1);
        // int8 differs from float (a real comparison), by about a rounding step on average, never by a whole range
        assertTrue(num(conv1.get("max_abs_steps")) > 0.5, conv1.toString());
        assertTrue(num(conv1.get("mean_abs_steps")) < 1, conv1.toString());
        assertTrue(num(conv1.get("cosine")) < 1 && num(conv1.get("cosine")) > 0.99, conv1.toString());
        assertTrue(num(conv1.get("max_abs_over_range")) < 0.05, conv1.toString());
        // the conv output's range was narrowed to what the Relu after it keeps: its negative part is reported as saturated
        assertTrue(num(conv1.get("saturated")) > 0.2, conv1.toString());
        assertEquals(0.0, num(row(j, "relu1_out").get("saturated")), 0.01, "the Relu output is within range");
        List<String> csv = Files.readAllLines(rep.resolve("tiny_cnn_full_integer_quant/report.csv"));
        assertEquals(10, csv.size());
        assertTrue(csv.get(0).contains(",cosine,cosine_min,") && csv.get(0).contains(",max_abs_over_range,mean_abs_steps,max_abs_steps,saturated,"), csv.get(0));
        String html = Files.readString(rep.resolve("tiny_cnn_full_integer_quant/report.html"));
        assertTrue(html.contains("1 - cosine per tensor") && html.contains("<th>mean steps</th>") && html.contains("4 of 20 calibration samples"), "html");
        assertTrue(Files.exists(rep.resolve("tiny_cnn_float32/report.json")), "the float file's report too");
    }

    /** Every CSV line has the header's number of fields, unmapped rows too (mtcnn-onet has two). */
    static void assertCsvRectangular(Path csv) throws Exception {
        List<String> lines = Files.readAllLines(csv);
        int n = fields(lines.get(0));
        for (String l : lines) assertEquals(n, fields(l), l);
    }

    private static int fields(String line) {
        int n = 1;
        boolean quoted = false;
        for (char ch : line.toCharArray()) {
            if (ch == '"') quoted = !quoted;
            else if (ch == ',' && !quoted) n++;
        }
        return n;
    }

    /** --to edgetpu (uint8 I/O) is checked on the calibration images; --dynamic-range alone on seeded random inputs. */
    @Test
    void edgeTpuAndDynamicRange() throws Exception {
        CliRun.Result e = CliRun.run("convert", TINY.toString(), "--to", "edgetpu", "-q", "-o", dir.resolve("e").toString(), "--check",
                "--check-report", dir.resolve("er").toString());
        assertEquals(0, e.code(), e.toString());
        assertTrue(e.out().contains("check " + dir.resolve("e").resolve("tiny_cnn_edgetpu_ready.tflite") + ":"), e.out());
        assertTrue(e.out().contains("4 of 20 calibration samples"), e.out());
        Map<?, ?> j = json(dir.resolve("er/tiny_cnn_edgetpu_ready/report.json"));
        assertEquals("pass", j.get("verdict"));
        assertEquals(0, ((Map<?, ?>) j.get("counts")).get("error") instanceof Number n ? n.intValue() : -1, "the uint8 input is fed: " + j.get("counts"));

        CliRun.Result d = CliRun.run("convert", TINY.toString(), "--to", "tflite", "--dynamic-range", "-q", "-o", dir.resolve("d").toString(), "--check",
                "--check-report", dir.resolve("dr").toString());
        assertEquals(0, d.code(), d.toString());
        assertTrue(d.out().contains("quantized file:"), d.out());
        assertTrue(d.out().contains("(random, seed 0)"), d.out());
        Map<?, ?> k = json(dir.resolve("dr/tiny_cnn_dynamic_range_quant/report.json"));
        assertEquals(Boolean.TRUE, k.get("quantized"));
        Map<?, ?> conv1 = row(k, "conv1_out");
        assertEquals("float32", conv1.get("dtype"), "dynamic range: float activations");
        assertTrue(num(conv1.get("cosine")) < 1, "int8 weights change the conv: " + conv1);
    }

    @Test
    void usage() {
        Path out = dir.resolve("u");
        assertEquals(2, CliRun.run("convert", TINY.toString(), "--to", "tflite", "--int8", "-o", out.toString(), "--check-cosine", "0.9").code());
        assertEquals(2, CliRun.run("convert", TINY.toString(), "--to", "tflite", "--int8", "-o", out.toString(), "--check", "--check-images", "-1").code());
        assertEquals(2, CliRun.run("convert", TINY.toString(), "--to", "tflite", "--int8", "-o", out.toString(), "--check", "--check-cosine", "2").code());
    }

    /** The four coco20 images #0, #5, #10, #15 as NCHW [1,3,32,32] float (nearest resize, 0..1). */
    static List<Map<String, Tensor>> images() {
        List<Map<String, Tensor>> r = new ArrayList<>();
        for (int i = 0; i < 20; i += 5) {
            Tensor nhwc = Int8CliTest.cocoImage(i, 32);
            float[] v = new float[3 * 32 * 32];
            for (int c = 0; c < 3; c++) for (int p = 0; p < 32 * 32; p++) v[c * 1024 + p] = (float) nhwc.getDouble(p * 3L + c);
            r.add(Map.of("image", Tensor.ofFloats(new long[] {1, 3, 32, 32}, v)));
        }
        return r;
    }

    static Tensor nhwc(Tensor nchw) {
        float[] v = new float[32 * 32 * 3];
        for (int c = 0; c < 3; c++) for (int p = 0; p < 32 * 32; p++) v[p * 3 + c] = (float) nchw.getDouble(c * 1024L + p);
        return Tensor.ofFloats(new long[] {1, 32, 32, 3}, v);
    }

    /** [1,H,W,C] -> [1,C,H,W]. */
    static Tensor toNchw(Tensor t) {
        long[] s = t.shape();
        int h = (int) s[1], w = (int) s[2], c = (int) s[3];
        double[] v = new double[h * w * c];
        for (int k = 0; k < c; k++) for (int p = 0; p < h * w; p++) v[k * h * w + p] = t.getDouble((long) p * c + k);
        return Tensor.fromDoubles(DType.FLOAT32, new long[] {1, c, h, w}, v);
    }

    /**
     * The checker's output cosine equals the one of direct runs: onnxruntime on the ONNX file and the TFLite 2.6
     * interpreter on the int8 file, with float I/O and with uint8 I/O (input quantized, output dequantized here with
     * the file's own scale and zero point). The model's output is a conv feature map (a softmax over near-equal
     * logits would hide a wrong input: its cosine stays near 1).
     */
    @Test
    void outputCosineAgreesWithDirectRuns() throws Exception {
        Path model = threeConvs(dir.resolve("three.onnx"));
        List<Map<String, Tensor>> samples = new ArrayList<>();
        for (Map<String, Tensor> s : images()) samples.add(Map.of("x", s.get("image")));
        for (String io : List.of("float32", "uint8")) {
            Path out = dir.resolve(io);
            CliRun.Result c = CliRun.run("convert", model.toString(), "--to", "tflite", "--int8", "--io-dtype", io, "-q", "-o", out.toString());
            assertEquals(0, c.code(), c.toString());
            Path q = out.resolve("three_full_integer_quant.tflite");
            byte[] bytes = Files.readAllBytes(q);
            double sum = 0;
            try (OrtRunner ort = new OrtRunner(Files.readAllBytes(model)); TfliteRunner tfl = new TfliteRunner(bytes)) {
                TfliteFile f = TfliteFile.read(bytes);
                TfliteFile.TensorInfo in = f.tensor(f.inputs()[0]), outT = f.tensor(f.outputs()[0]);
                String inName = tfl.inputNames().get(0), outName = tfl.outputNames().get(0);
                for (Map<String, Tensor> s : samples) {
                    Tensor ref = ort.run(s).get("y");
                    Tensor x = nhwc(s.get("x"));
                    if (io.equals("uint8")) {
                        double sc = in.quant().scale()[0];
                        long zp = in.quant().zeroPoint()[0];
                        long[] qv = new long[(int) x.numel()];
                        for (int k = 0; k < qv.length; k++) qv[k] = Math.max(0, Math.min(255, Math.round(x.getDouble(k) / sc) + zp));
                        x = Tensor.fromLongs(DType.UINT8, x.shape(), qv);
                    }
                    Tensor y = tfl.run(Map.of(inName, x)).get(outName);
                    if (io.equals("uint8")) {
                        assertEquals(DType.UINT8, y.dtype());
                        double[] d = new double[(int) y.numel()];
                        for (int k = 0; k < d.length; k++) d[k] = (y.getDouble(k) - outT.quant().zeroPoint()[0]) * outT.quant().scale()[0];
                        y = Tensor.fromDoubles(DType.FLOAT32, y.shape(), d);
                    }
                    sum += Int8RealModelsTest.cosine(ref, toNchw(y));
                }
            }
            double direct = sum / samples.size();
            Checker.Result res = Checker.check(model, q, Checker.Options.defaults().withQuant(0.98, samples, "4 coco20 images"), null);
            assertTrue(res.quantized());
            assertEquals(4, res.samples());
            Checker.Row o = res.row("y");
            assertNotNull(o.quant(), io);
            assertEquals(direct, o.quant().cosine(), 1e-6, io + ": checker " + o.quant().cosine() + " vs direct " + direct);
            assertTrue(direct > 0.98 && res.passed(), io + ": " + direct);
        }
    }

    /**
     * Negates every int8 weight of the n-th CONV_2D of an int8 file in its buffer (int8 weights are symmetric in
     * [-127, 127], so the negation stays exact) and returns the ONNX tensor that operator's output carries.
     */
    static String negateConvWeights(Path tflite, int n) throws Exception {
        byte[] bytes = Files.readAllBytes(tflite);
        TfliteFile f = TfliteFile.read(bytes);
        List<TfliteFile.OpInfo> convs = f.operators().stream().filter(o -> o.opName().equals("CONV_2D")).toList();
        TfliteFile.OpInfo conv = convs.get(n);
        int w = conv.inputs()[1];
        assertEquals("INT8", f.tensor(w).typeName());
        int off = f.constantOffset(w);
        assertTrue(off > 0, "weights are a constant buffer");
        long count = 1;
        for (int d : f.tensor(w).shape()) count *= d;
        for (int i = 0; i < count; i++) bytes[off + i] = (byte) -bytes[off + i];
        Files.write(tflite, bytes);
        int out = conv.outputs()[0];
        return f.provenance().entries.stream().filter(e -> e.tensor() == out).findFirst().orElseThrow().onnxName();
    }

    /** x[1,3,32,32] -> Conv 3->8 -> Relu -> Conv 8->8 (the middle one) -> Relu -> Conv 8->4 -> y, seeded weights. */
    static Path threeConvs(Path file) throws Exception {
        return new OnnxBuilder(14).input("x", OnnxBuilder.FLOAT, 1, 3, 32, 32).output("y")
                .random("w1", 0.3, 8, 3, 3, 3).random("b1", 0.1, 8).random("w2", 0.2, 8, 8, 3, 3).random("b2", 0.1, 8)
                .random("w3", 0.2, 4, 8, 3, 3).random("b3", 0.1, 4)
                .node("Conv", new String[] {"x", "w1", "b1"}, new String[] {"c1"}, "pads", new long[] {1, 1, 1, 1})
                .node("Relu", "c1", "r1")
                .node("Conv", new String[] {"r1", "w2", "b2"}, new String[] {"c2"}, "pads", new long[] {1, 1, 1, 1})
                .node("Relu", "c2", "r2")
                .node("Conv", new String[] {"r2", "w3", "b3"}, new String[] {"y"}, "pads", new long[] {1, 1, 1, 1})
                .save(file);
    }

    @Test
    void damagedConvIsWhereTheDriftStarts() throws Exception {
        Path model = threeConvs(dir.resolve("three.onnx"));
        Path out = dir.resolve("d");
        CliRun.Result c = CliRun.run("convert", model.toString(), "--to", "tflite", "--int8", "-o", out.toString(), "--check");
        assertEquals(0, c.code(), "undamaged, it passes: " + c);
        Path q = out.resolve("three_full_integer_quant.tflite");
        String broken = negateConvWeights(q, 1);
        assertEquals("c2", broken);
        Path rep = dir.resolve("rep");
        CliRun.Result r = CliRun.run("check", model.toString(), q.toString(), "--report", rep.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("quantized file:"), "switches to the quantization metrics and says so: " + r.out());
        assertTrue(r.err().contains("is quantized and the inputs are random"), r.err());
        assertTrue(r.out().contains("drift starts at: #2 Conv"), r.out());
        assertTrue(r.out().contains("FAIL: 1 of 1 model output below the quantization tolerance"), r.out());
        Map<?, ?> j = json(rep.resolve("report.json"));
        assertEquals("fail", j.get("verdict"));
        assertEquals(2L, j.get("first_failing"));
        assertEquals(2L, j.get("largest_jump"), "the negated conv is also the largest increase");

        // on images, through the API
        List<Map<String, Tensor>> imgs = new ArrayList<>();
        for (Map<String, Tensor> s : images()) imgs.add(Map.of("x", s.get("image")));
        Checker.Result res = Checker.check(model, q, Checker.Options.defaults().withQuant(0.98, imgs, "4 coco20 images"), null);
        assertFalse(res.passed());
        assertEquals(broken, res.firstFail().onnxName());
        assertEquals(Checker.Status.PASS, res.row("r1").status(), "its input is fine");
        assertTrue(res.row("r1").quant().cosine() > 0.99, "its input is fine");
        assertTrue(res.row(broken).quant().cosine() < 0.5, "negated weights: " + res.row(broken).quant());
        assertTrue(res.row("y").quant().cosine() < 0.98, "the output: " + res.row("y").quant());
    }

    /**
     * A real model end to end: mtcnn-onet (models.tsv) through convert --int8 --check on 4 of the 20 coco20 images;
     * the report's output cosines equal those of direct runs (onnxruntime on the ONNX file, TFLite 2.6 on the written
     * int8 file) on the same preprocessed calibration images.
     */
    @Test
    void realModelMtcnnOnet() throws Exception {
        Path f = Int8Data.models().resolve("mtcnn-onet.onnx");
        Assumptions.assumeTrue(Files.exists(f), "model not in the cache: " + f);
        Path out = dir.resolve("onet"), rep = dir.resolve("rep");
        CliRun.Result r = CliRun.run("convert", f.toString(), "--to", "tflite", "--int8", "--batch", "1", "--calib-mean", "0.5", "--calib-std", "0.50196",
                "-o", out.toString(), "--check", "--check-report", rep.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("4 of 20 calibration samples (coco20; #0 #5 #10 #15"), r.out());
        Map<?, ?> j = json(rep.resolve("mtcnn-onet_full_integer_quant/report.json"));
        assertEquals("pass", j.get("verdict"));
        assertEquals(List.of("dense_5", "dense_6", "softmax_2"), j.get("outputs"));
        assertCsvRectangular(rep.resolve("mtcnn-onet_full_integer_quant/report.csv"));
        Map<?, ?> counts = (Map<?, ?>) j.get("counts");
        assertTrue(((Number) counts.get("not_mapped")).intValue() > 0, "unmapped rows in the csv too: " + counts);
        assertTrue(((Number) counts.get("pass")).intValue() >= 20, "the convs, PReLUs, pools and dense layers are compared: " + counts);

        // direct runs on the same samples
        Path q = out.resolve("mtcnn-onet_full_integer_quant.tflite");
        dev.onnxport.ir.Graph g = dev.onnxport.frontends.onnx.OnnxFrontend.load(f).graph();
        dev.onnxport.passes.InputShapes.apply(g, Map.of(), 1);
        List<Map<String, Tensor>> all = dev.onnxport.backends.quant.CalibrationData.samples(
                List.of(new dev.onnxport.backends.quant.CalibrationData.Source(null, "coco20")), dev.onnxport.backends.quant.Int8Pipeline.inputs(g),
                new dev.onnxport.backends.quant.CalibrationData.Preprocess(new double[] {0.5}, new double[] {0.50196}, null, false), m -> {});
        assertEquals(20, all.size());
        byte[] bytes = Files.readAllBytes(q);
        TfliteFile tf = TfliteFile.read(bytes);
        int inIdx = tf.inputs()[0];
        int[] perm = tf.provenance().entries.stream().filter(e -> e.tensor() == inIdx).findFirst().orElseThrow().perm();
        Map<String, Double> sum = new java.util.LinkedHashMap<>();
        try (OrtRunner ort = new OrtRunner(Files.readAllBytes(f)); TfliteRunner tfl = new TfliteRunner(bytes)) {
            String onnxIn = ort.inputNames().get(0);
            for (int i : new int[] {0, 5, 10, 15}) {
                Tensor x = all.get(i).get(onnxIn);
                Map<String, Tensor> ref = ort.run(Map.of(onnxIn, x));
                Map<String, Tensor> got = tfl.run(Map.of(tfl.inputNames().get(0), dev.onnxport.backends.check.Compare.toTarget(x, perm)));
                for (String o : List.of("dense_5", "dense_6", "softmax_2"))
                    sum.merge(o, Int8RealModelsTest.cosine(ref.get(o), got.get(o)), Double::sum);
            }
        }
        for (String o : List.of("dense_5", "dense_6", "softmax_2")) {
            Map<?, ?> row = row(j, o);
            assertEquals(sum.get(o) / 4, num(row.get("cosine")), 1e-6, o);
            assertTrue(num(row.get("cosine")) < 1, o + ": int8 is not float");
        }
    }
}
