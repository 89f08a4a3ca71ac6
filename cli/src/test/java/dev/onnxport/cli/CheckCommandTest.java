package dev.onnxport.cli;

import dev.onnxport.backends.Pipelines;
import dev.onnxport.backends.check.MiniJson;
import dev.onnxport.backends.check.ProvenanceMetadata;
import dev.onnxport.backends.check.TfliteFile;
import dev.onnxport.backends.onnx.OnnxBackend;
import dev.onnxport.backends.onnx.OnnxOptions;
import dev.onnxport.backends.tflite.TfliteBackend;
import dev.onnxport.backends.tflite.TfliteOptions;
import dev.onnxport.cli.check.Checker;
import dev.onnxport.cli.check.Npy;
import dev.onnxport.frontends.onnx.OnnxFrontend;
import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.passes.PassOptions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code onnxport check} and {@code convert --check}: passing conversions pass, a broken one names the broken layer. */
class CheckCommandTest {
    static final Path EXAMPLE = Path.of("../examples/tiny_cnn.onnx");
    static final Path NODE_DATA = Path.of("/usr/share/libonnx-testdata/data/node");

    static Path modelCache() {
        String p = System.getProperty("onnxport.models.dir");
        if (p == null || p.isEmpty()) p = System.getenv("ONNXPORT_MODELS");
        if (p == null || p.isEmpty()) p = System.getProperty("user.home") + "/.cache/onnxport/models";
        return Path.of(p);
    }

    static Path convert(Path model, Path dir, String to, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("convert", model.toString(), "--to", to, "-o", dir.toString(), "-q"));
        args.addAll(List.of(extra));
        CliRun.Result r = CliRun.run(args.toArray(new String[0]));
        assertEquals(0, r.code(), r.toString());
        String stem = ConvertCommand.stem(model);
        return dir.resolve(to.equals("tflite") ? stem + "_float32.tflite" : stem + ".onnx");
    }

    @ParameterizedTest
    @ValueSource(strings = {"test_relu", "test_add_bcast", "test_conv_with_strides_padding", "test_maxpool_2d_default",
            "test_matmul_2d", "test_transpose_default", "test_softmax_axis_1", "test_layer_normalization_4d_axis1"})
    void nodeCasesPass(String name, @TempDir Path dir) {
        Path model = NODE_DATA.resolve(name).resolve("model.onnx");
        Assumptions.assumeTrue(Files.exists(model), "ONNX node test data not installed (apt-get install libonnx-testdata)");
        for (String to : new String[] {"tflite", "onnx"}) {
            Path out = convert(model, dir.resolve(to), to);
            CliRun.Result r = CliRun.run("check", model.toString(), out.toString());
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().contains("PASS: all"), r.out());
            assertFalse(r.out().contains("\u001b["), "no colour when stdout is not a terminal");
        }
    }

    @Test
    void exampleTableAndReports(@TempDir Path dir) throws Exception {
        Path tfl = convert(EXAMPLE, dir, "tflite");
        Path rep = dir.resolve("report");
        CliRun.Result r = CliRun.run("check", EXAMPLE.toString(), tfl.toString(), "--report", rep.toString());
        assertEquals(0, r.code(), r.toString());
        // graph order, with target ops and the output marked
        String out = r.out();
        assertTrue(out.indexOf("conv1") < out.indexOf("relu1") && out.indexOf("relu1") < out.indexOf("softmax"), out);
        assertTrue(out.contains("CONV_2D") && out.contains("FULLY_CONNECTED") && out.contains("pass (output)"), out);
        Map<?, ?> json = (Map<?, ?>) MiniJson.parse(Files.readString(rep.resolve("report.json")));
        assertEquals("pass", json.get("verdict"));
        List<?> rows = (List<?>) json.get("rows");
        assertEquals(9, rows.size());
        Map<?, ?> first = (Map<?, ?>) rows.get(0);
        assertEquals("conv1", first.get("node"));
        assertEquals(List.of(0L, 2L, 3L, 1L), first.get("perm"), "the conv output is channels-last in TFLite");
        List<String> csv = Files.readAllLines(rep.resolve("report.csv"));
        assertEquals(10, csv.size());
        assertTrue(csv.get(0).startsWith("index,node,op,tensor"));
        String html = Files.readString(rep.resolve("report.html"));
        assertTrue(html.contains("<svg") && html.contains("</svg>") && html.contains("<circle"), "inline plot");
        assertFalse(html.contains("<script") || html.contains("src=\"http") || html.contains("<link"), "self-contained, no JS");
        // colour on request
        CliRun.Result c = CliRun.run("check", EXAMPLE.toString(), tfl.toString(), "--color", "always");
        assertTrue(c.out().contains(CheckReport.GREEN), c.out());
    }

    @Test
    void convertWithCheck(@TempDir Path dir) {
        CliRun.Result r = CliRun.run("convert", EXAMPLE.toString(), "--to", "tflite", "-o", dir.toString(), "--check");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("PASS: all 1 model output"), r.out());
        CliRun.Result h = CliRun.run("convert", EXAMPLE.toString(), "--to", "tflite", "--fp16", "-o", dir.resolve("h").toString(),
                "--check", "--check-atol", "1e-2");
        assertEquals(0, h.code(), h.toString());
        assertEquals(2, h.out().split("PASS: all 1 model output", -1).length - 1, "float32 and float16 files checked: " + h.out());
        CliRun.Result o = CliRun.run("convert", EXAMPLE.toString(), "--to", "onnx", "-o", dir.toString(), "--check");
        assertEquals(0, o.code(), o.toString());
        assertTrue(o.out().contains("PASS: all 1 model output"), o.out());
    }

    /**
     * Alters the weight tensor of the n-th CONV_2D (or the last one when n is -1) in the file's buffer, adding 0.5 to
     * every element (one element alone may meet a dead input channel), and returns the ONNX tensor that operator's
     * output carries.
     */
    static String breakConvWeight(Path tflite, int n) throws Exception {
        byte[] bytes = Files.readAllBytes(tflite);
        TfliteFile f = TfliteFile.read(bytes);
        List<TfliteFile.OpInfo> convs = f.operators().stream().filter(o -> o.opName().equals("CONV_2D")).toList();
        TfliteFile.OpInfo conv = convs.get(n < 0 ? convs.size() - 1 : n);
        int w = conv.inputs()[1];
        int off = f.constantOffset(w);
        assertTrue(off > 0, "weights are a constant buffer");
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long count = 1;
        for (int d : f.tensor(w).shape()) count *= d;
        for (int i = 0; i < count; i++) bb.putFloat(off + 4 * i, bb.getFloat(off + 4 * i) + 0.5f);
        Files.write(tflite, bytes);
        ProvenanceMetadata p = f.provenance();
        int out = conv.outputs()[0];
        return p.entries.stream().filter(e -> e.tensor() == out).findFirst().orElseThrow().onnxName();
    }

    @Test
    void brokenWeightIsTheFirstFailingLayer(@TempDir Path dir) throws Exception {
        Path tfl = convert(EXAMPLE, dir, "tflite");
        String broken = breakConvWeight(tfl, -1);
        assertEquals("conv2_out", broken, "conv2's output tensor");
        CliRun.Result r = CliRun.run("check", EXAMPLE.toString(), tfl.toString(), "--report", dir.resolve("rep").toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("first failing layer: #3 Conv 'conv2'"), r.out());
        assertTrue(r.out().contains("FAIL: 1 of 1 model output out of tolerance"), r.out());
        Checker.Result res = Checker.check(EXAMPLE, tfl, Checker.Options.defaults(), null);
        assertEquals(broken, res.firstFail().onnxName());
        assertEquals(Checker.Status.PASS, res.row("pool1_out").status(), "its input is fine");
        assertFalse(res.passed());
    }

    /** a, b [2,3] -> ta = Tanh(a), eb = Exp(b) -> d = Sub(ta, eb) -> y = Relu(d). */
    static Graph subGraph() {
        Graph g = new Graph("sub");
        g.opsets().put("", 13);
        ValueType t = new ValueType(DType.FLOAT32, Shape.of(2, 3));
        Value a = g.addInput("a", t), b = g.addInput("b", t);
        Node ta = g.addNodeExact("", "Tanh", "tanh", List.of(a), Attrs.EMPTY, 13, List.of("ta"));
        Node eb = g.addNodeExact("", "Exp", "exp", List.of(b), Attrs.EMPTY, 13, List.of("eb"));
        Node d = g.addNodeExact("", "Sub", "sub", List.of(ta.output(), eb.output()), Attrs.EMPTY, 13, List.of("d"));
        Node y = g.addNodeExact("", "Relu", "relu", List.of(d.output()), Attrs.EMPTY, 13, List.of("y"));
        for (Node n : List.of(ta, eb, d, y)) n.output().setType(t);
        g.addOutput(y.output());
        return g;
    }

    @Test
    void swappedInputsAreTheFirstFailingLayer(@TempDir Path dir) throws Exception {
        Path onnx = dir.resolve("sub.onnx");
        OnnxBackend.emit(subGraph(), OnnxOptions.DEFAULT, onnx);
        // a conversion bug: Sub's two same-shaped inputs swapped
        Graph g = OnnxFrontend.load(onnx).graph();
        Pipelines.prepareTflite(g, PassOptions.DEFAULT);
        Node sub = g.nodes().stream().filter(n -> n.opType().equals("Sub")).findFirst().orElseThrow();
        Value x0 = sub.input(0), x1 = sub.input(1);
        g.setInput(sub, 0, x1);
        g.setInput(sub, 1, x0);
        Path tfl = dir.resolve("sub.tflite");
        Files.write(tfl, new TfliteBackend().emit(g, TfliteOptions.FLOAT32));
        CliRun.Result r = CliRun.run("check", onnx.toString(), tfl.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.out().contains("first failing layer: #2 Sub 'sub'"), r.out());
        Checker.Result res = Checker.check(onnx, tfl, Checker.Options.defaults(), null);
        assertEquals("d", res.firstFail().onnxName());
        assertEquals(Checker.Status.PASS, res.row("ta").status());
        assertEquals(Checker.Status.PASS, res.row("eb").status());
    }

    @Test
    void realModelPassesAndABrokenLayerIsNamed(@TempDir Path dir) throws Exception {
        Path model = modelCache().resolve("pplcnet-orientation.onnx");
        Assumptions.assumeTrue(Files.exists(model), "real model not in " + modelCache() + " (models/fetch-models.sh)");
        Path tfl = convert(model, dir, "tflite", "--input-shape", "x:1,3,224,224");
        CliRun.Result r = CliRun.run("check", model.toString(), tfl.toString());
        assertEquals(0, r.code(), r.toString());
        Checker.Result ok = Checker.check(model, tfl, Checker.Options.defaults(), null);
        assertTrue(ok.passed());
        assertTrue(ok.count(Checker.Status.PASS) > 70, "most layers are compared: " + ok.count(Checker.Status.PASS));
        assertTrue(ok.rows().stream().anyMatch(x -> x.status() == Checker.Status.NOT_MAPPED && "fused into BatchNormalization 'BatchNormalization.0'".equals(x.note())),
                "a conv folded into its BatchNormalization is listed, not dropped");
        String broken = breakConvWeight(tfl, 5);
        CliRun.Result b = CliRun.run("check", model.toString(), tfl.toString());
        assertEquals(1, b.code(), b.toString());
        Checker.Result res = Checker.check(model, tfl, Checker.Options.defaults(), null);
        assertNotNull(res.firstFail());
        assertEquals(broken, res.firstFail().onnxName(), "the layer whose weight was changed");
        assertTrue(res.firstFail().targetOps().contains("CONV_2D"), res.firstFail().targetOps());
    }

    @Test
    void onnxTargetOfARealModel(@TempDir Path dir) {
        Path model = modelCache().resolve("mtcnn-onet.onnx");
        Assumptions.assumeTrue(Files.exists(model), "real model not in " + modelCache());
        Path out = convert(model, dir, "onnx", "--batch", "1");
        CliRun.Result r = CliRun.run("check", model.toString(), out.toString(), "--batch", "1");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("PASS: all 3 model outputs"), r.out());
    }

    @Test
    void npyInputs(@TempDir Path dir) throws Exception {
        Path model = CliRun.reluModel(dir.resolve("relu.onnx"), List.of(Dim.of(1), Dim.sym("n")));
        Path out = convert(model, dir.resolve("out"), "onnx");
        // symbolic dim: no shape to draw random values from
        CliRun.Result u = CliRun.run("check", model.toString(), out.toString());
        assertEquals(2, u.code(), u.toString());
        assertTrue(u.err().contains("--input-shape x:"), u.err());
        assertEquals(0, CliRun.run("check", model.toString(), out.toString(), "--input-shape", "x:1,7").code());
        Path npy = dir.resolve("x.npy");
        Npy.write(npy, Tensor.ofFloats(new long[] {1, 4}, -1, 2, -3, 4));
        CliRun.Result r = CliRun.run("check", model.toString(), out.toString(), "--inputs", "x=" + npy);
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("x [1,4] (given)"), r.out());
        CliRun.Result bad = CliRun.run("check", model.toString(), out.toString(), "--inputs", "nope=" + npy);
        assertEquals(2, bad.code(), bad.toString());
        assertTrue(bad.err().contains("'nope' is not an input"), bad.err());
    }

    @Test
    void usageErrors(@TempDir Path dir) throws Exception {
        assertEquals(2, CliRun.run("check", "missing.onnx", "missing.tflite").code());
        Path junk = dir.resolve("junk.tflite");
        Files.write(junk, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        CliRun.Result r = CliRun.run("check", EXAMPLE.toString(), junk.toString());
        assertEquals(2, r.code(), r.toString());
        assertEquals(2, CliRun.run("check", EXAMPLE.toString()).code(), "CONVERTED is required");
        assertEquals(2, CliRun.run("check", EXAMPLE.toString(), EXAMPLE.toString(), "--atol", "-1").code());
    }

    @Test
    void npyReader(@TempDir Path dir) throws Exception {
        Tensor t = Tensor.fromLongs(DType.INT16, new long[] {2, 3}, new long[] {1, -2, 3, -4, 5, -6});
        Path f = dir.resolve("t.npy");
        Npy.write(f, t);
        Tensor back = Npy.read(f);
        assertEquals(DType.INT16, back.dtype());
        assertEquals(List.of(1L, -2L, 3L, -4L, 5L, -6L), java.util.Arrays.stream(back.toLongs()).boxed().toList());
        // big-endian float64, Fortran order: [[1,2,3],[4,5,6]] stored column by column
        String h = "{'descr': '>f8', 'fortran_order': True, 'shape': (2, 3), }";
        h = h + " ".repeat(64 - (10 + h.length() + 1) % 64) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + h.length() + 48).order(ByteOrder.BIG_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) h.length(), 0}).put(h.getBytes());
        for (double v : new double[] {1, 4, 2, 5, 3, 6}) b.putDouble(v);
        Tensor ft = Npy.read(b.array());
        assertEquals(List.of(2L, 3L), java.util.Arrays.stream(ft.shape()).boxed().toList());
        assertEquals(List.of(1.0, 2.0, 3.0, 4.0, 5.0, 6.0), java.util.Arrays.stream(ft.toDoubles()).boxed().toList());
    }

    @Test
    void imageFolderInput(@TempDir Path dir) throws Exception {
        Path imgs = Files.createDirectories(dir.resolve("imgs"));
        java.awt.image.BufferedImage red = new java.awt.image.BufferedImage(64, 48, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 48; y++) for (int x = 0; x < 64; x++) red.setRGB(x, y, 0xff0000 | (x * 4) << 8);
        javax.imageio.ImageIO.write(red, "png", imgs.resolve("a.png").toFile());
        // resized to 32x32, NCHW, (pixel/255 - 0.5) / 0.5: red channel is 1, blue -1, green a ramp
        Tensor t = dev.onnxport.cli.check.Images.load(imgs, new long[] {2, 3, 32, 32}, DType.FLOAT32, new float[] {0.5f}, new float[] {0.5f});
        float[] v = t.toFloats();
        assertEquals(1f, v[0], 1e-6f);
        assertEquals(-1f, v[2 * 1024], 1e-6f);
        assertTrue(v[1024] < v[1024 + 31], "green increases left to right");
        assertEquals(v[5], v[3 * 1024 + 5], "one image fills the batch");
        Path tfl = convert(EXAMPLE, dir.resolve("out"), "tflite");
        CliRun.Result r = CliRun.run("check", EXAMPLE.toString(), tfl.toString(), "--images", imgs.toString(), "--mean", "0.5", "--std", "0.25");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("image [1,3,32,32] (images from"), r.out());
        assertEquals(2, CliRun.run("check", EXAMPLE.toString(), tfl.toString(), "--images", dir.resolve("none").toString()).code());
    }
}
