package dev.onnxport.cli;

import dev.onnxport.backends.runtime.OrtRunner;
import dev.onnxport.frontends.onnx.OnnxFrontend;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.ValueType;
import dev.onnxport.schemas.onnx.OnnxProto.ModelProto;
import dev.onnxport.schemas.onnx.OnnxProto.OperatorSetIdProto;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dev.onnxport.cli.CliRun.run;
import static dev.onnxport.cli.TestModels.attrs;
import static dev.onnxport.cli.TestModels.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The options of the portable passes on the command line (--dynamic-batch, --anti-fusion, --fused-argmax-scale), and
 * --profile portable-opset11 on an opset-13 model: nodes the passes create are built in their opset-11 form.
 */
class PortableOptionsCliTest {
    @Test
    void passesSaysDynamicBatchIsOptInBecauseItChangesInputShapes() {
        CliRun.Result r = run("passes");
        assertEquals(0, r.code(), r.toString());
        List<String> lines = r.out().lines().toList();
        int db = -1;
        for (int i = 0; i < lines.size(); i++) if (lines.get(i).startsWith("  dynamic-batch ")) db = i;
        assertTrue(db > 0, r.out());
        String group = lines.get(db - 1);
        assertTrue(group.startsWith("portable, opt-in (") && group.contains("input shapes") && group.contains("--dynamic-batch"), group);
    }

    /** x [1,3,6,6] -> Conv (4 channels) -> Reshape [1,-1] -> MatMul [144,5] -> y [1,5]. */
    static Path batchOneModel(Path file) throws Exception {
        Random rnd = new Random(5);
        return new TestModels("b", 13).input("x", DType.FLOAT32, 1, 3, 6, 6)
                .constant("w", Tensor.ofFloats(new long[] {4, 3, 3, 3}, TestModels.random(rnd, 108, -0.5f, 0.5f)))
                .constant("t", Tensor.ofLongs(new long[] {2}, 1, -1))
                .constant("m", Tensor.ofFloats(new long[] {144, 5}, TestModels.random(rnd, 720, -0.2f, 0.2f)))
                .node("conv", "Conv", attrs("pads", new long[] {1, 1, 1, 1}), "c", f32(1, 4, 6, 6), "x", "w")
                .node("flatten", "Reshape", null, "f", f32(1, 144), "c", "t")
                .node("fc", "MatMul", null, "y", f32(1, 5), "f", "m")
                .output("y").write(file);
    }

    @Test
    void dynamicBatchRunsThePassAndTheModelRunsAtBatch3(@TempDir Path dir) throws Exception {
        Path m = batchOneModel(dir.resolve("b.onnx"));
        CliRun.Result r = run("convert", m.toString(), "--to", "onnx", "-o", dir.resolve("plain").toString(), "-q");
        assertEquals(0, r.code(), r.toString());
        assertTrue(OnnxFrontend.load(dir.resolve("plain/b.onnx")).graph().inputs().get(0).shape().dim(0).isKnown(), "opt-in: not run by default");

        r = run("convert", m.toString(), "--to", "onnx", "--dynamic-batch", "-o", dir.resolve("dyn").toString());
        assertEquals(0, r.code(), r.toString());
        Graph g = OnnxFrontend.load(dir.resolve("dyn/b.onnx")).graph();
        assertFalse(g.inputs().get(0).shape().dim(0).isKnown(), g.dump());
        float[] x = TestModels.random(new Random(6), 3 * 108, -1, 1);
        try (OrtRunner dyn = new OrtRunner(Files.readAllBytes(dir.resolve("dyn/b.onnx"))); OrtRunner one = new OrtRunner(Files.readAllBytes(m))) {
            float[] y = dyn.run(Map.of("x", Tensor.ofFloats(new long[] {3, 3, 6, 6}, x))).get("y").toFloats();
            assertEquals(15, y.length);
            for (int i = 0; i < 3; i++) {
                float[] yi = one.run(Map.of("x", Tensor.ofFloats(new long[] {1, 3, 6, 6}, Arrays.copyOfRange(x, 108 * i, 108 * (i + 1))))).get("y").toFloats();
                for (int k = 0; k < 5; k++) assertEquals(yi[k], y[5 * i + k], 1e-5);
            }
        }
        r = run("convert", m.toString(), "--to", "onnx", "--dynamic-batch", "--batch", "2", "-o", dir.resolve("x").toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--dynamic-batch and --batch"), r.err());
    }

    @Test
    void antiFusionReachesMvnDecompose(@TempDir Path dir) throws Exception {
        Path m = new TestModels("mvn", 13).input("x", DType.FLOAT32, 2, 3, 4, 4)
                .node("mvn", "MeanVarianceNormalization", null, "y", f32(2, 3, 4, 4), "x").output("y").write(dir.resolve("mvn.onnx"));
        long[] muls = new long[2];
        for (int k = 0; k < 2; k++) {
            String o = dir.resolve("o" + k).toString();
            CliRun.Result r = k == 0 ? run("convert", m.toString(), "--to", "onnx", "--pass", "mvn-decompose", "-q", "-o", o)
                    : run("convert", m.toString(), "--to", "onnx", "--pass", "mvn-decompose", "--anti-fusion", "-q", "-o", o);
            assertEquals(0, r.code(), r.toString());
            Graph g = OnnxFrontend.load(Path.of(o, "mvn.onnx")).graph();
            muls[k] = g.nodes().stream().filter(n -> n.opType().equals("Mul")).count();
            assertTrue(g.nodes().stream().noneMatch(n -> n.opType().equals("MeanVarianceNormalization")), g.dump());
        }
        assertEquals(muls[0] + 1, muls[1], "--anti-fusion adds the multiply by 1");
        CliRun.Result r = run("convert", m.toString(), "--to", "onnx", "--anti-fusion", "-o", dir.resolve("x").toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--anti-fusion applies to mvn-decompose, which is not in the pipeline"), r.err());
    }

    @Test
    void fusedArgmaxScaleReachesFusedArgmax(@TempDir Path dir) throws Exception {
        Path m = new TestModels("am", 13).input("x", DType.FLOAT32, 1, 3, 128, 96)
                .node("argmax", "ArgMax", attrs("axis", 1), "y", ValueType.of(DType.INT64, 1, 1, 128, 96), "x").output("y").write(dir.resolve("am.onnx"));
        CliRun.Result r = run("convert", m.toString(), "--to", "onnx", "--pass", "fused-argmax", "--fused-argmax-scale", "0.25", "-q",
                "-o", dir.resolve("o").toString());
        assertEquals(0, r.code(), r.toString());
        Graph g = OnnxFrontend.load(dir.resolve("o/am.onnx")).graph();
        Node am = g.nodes().stream().filter(n -> n.opType().equals("ArgMax")).findFirst().orElseThrow();
        assertEquals("[1, 3, 32, 24]", am.input(0).shape().toString(), g.dump());
        String[][] bad = {
                {"--fused-argmax-scale", "0.25", "--fused-argmax-scale applies to fused-argmax, which is opt-in; add --pass fused-argmax"},
                {"--pass", "fused-argmax", "--fused-argmax-scale", "1.5", "--fused-argmax-scale 1.5: the scale must be in (0, 1)"},
        };
        for (String[] b : bad) {
            String[] args = new String[b.length - 1 + 6];
            System.arraycopy(new String[] {"convert", m.toString(), "--to", "onnx", "-o", dir.resolve("x").toString()}, 0, args, 0, 6);
            System.arraycopy(b, 0, args, 6, b.length - 1);
            r = run(args);
            assertEquals(2, r.code(), r.toString());
            assertTrue(r.err().contains(b[b.length - 1]), r.err());
        }
    }

    // ------------------------------------------------------------------------------------------------ target opset

    /** Opset 13: com.microsoft Inverse (decomposed by the profile into ops that include ReduceSum) and an Unsqueeze-13. */
    static TestModels inverseModel() {
        TestModels t = new TestModels("inv", 13);
        t.g.opsets().put("com.microsoft", 1);
        return t.input("x", DType.FLOAT32, 3, 4, 4)
                .constant("axes", Tensor.ofLongs(new long[] {1}, 0))
                .node("com.microsoft", "inverse", "Inverse", null, List.of("inv"), List.of(f32(3, 4, 4)), "x")
                .node("unsqueeze_13", "Unsqueeze", null, "y", f32(1, 3, 4, 4), "inv", "axes");
    }

    static float[] wellConditioned(Random rnd) {
        float[] x = TestModels.random(rnd, 48, -1, 1);
        for (int b = 0; b < 3; b++) for (int i = 0; i < 4; i++) x[16 * b + 5 * i] += 3;
        return x;
    }

    @Test
    void portableOpset11BuildsTheNodesItCreatesInOpset11Form(@TempDir Path dir) throws Exception {
        Path m = inverseModel().output("y").write(dir.resolve("inv.onnx"));
        Path out = dir.resolve("o");
        CliRun.Result r = run("convert", m.toString(), "--to", "onnx", "--profile", "portable-opset11", "-o", out.toString());
        assertEquals(0, r.code(), r.toString());
        Path file = out.resolve("inv.onnx");
        ModelProto mp = OnnxFrontend.parse(file);
        int declared = -1;
        for (OperatorSetIdProto o : mp.getOpsetImportList()) if (o.getDomain().isEmpty()) declared = (int) o.getVersion();
        assertEquals(11, declared, "opset_import of the default domain");
        Graph g = OnnxFrontend.load(file).graph();
        assertTrue(g.nodes().stream().noneMatch(n -> n.opType().equals("Inverse") || n.opType().equals("Unsqueeze")), g.dump());
        assertTrue(g.nodes().stream().anyMatch(n -> n.opType().equals("ReduceSum")), "the decomposition sums: " + g.dump());
        for (Node n : g.nodes()) {
            if (n.opType().equals("ReduceSum")) {
                assertTrue(n.attrs().has("axes"), "opset-11 ReduceSum takes axes as an attribute: " + n.describe());
                assertEquals(1, n.inputs().size(), n.describe());
            }
        }
        float[] x = wellConditioned(new Random(12));
        Map<String, Tensor> feeds = Map.of("x", Tensor.ofFloats(new long[] {3, 4, 4}, x));
        try (OrtRunner ref = new OrtRunner(Files.readAllBytes(m)); OrtRunner got = new OrtRunner(Files.readAllBytes(file))) {
            float[] a = ref.run(feeds).get("y").toFloats(), b = got.run(feeds).get("y").toFloats();
            assertEquals(48, b.length);
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-4 + 1e-3 * Math.abs(a[i]), "y[" + i + "]");
        }
        // onnx's own checker (with strict shape inference) accepts the file at opset 11
        Path py = Path.of("/tmp/pyv/bin/python");
        Assumptions.assumeTrue(Files.isExecutable(py), "no Python with onnx at /tmp/pyv: onnx.checker part skipped");
        Process p = new ProcessBuilder(py.toString(), "-c", "import onnx, sys\nm = onnx.load(sys.argv[1])\n"
                + "onnx.checker.check_model(m, full_check=True)\nprint('ok', [(o.domain, o.version) for o in m.opset_import])", file.toString())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        String said = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.exitValue(), said);
        assertTrue(said.startsWith("ok") && said.contains("('', 11)"), said);
    }

    @Test
    void anExistingOpset13OnlyNodeIsNamedAndNothingThePassesBuilt(@TempDir Path dir) throws Exception {
        // a Squeeze-13 (axes as an input) that no pass rewrites: the profile check names it, and only it
        Path m = inverseModel().constant("sq", Tensor.ofLongs(new long[] {1}, 0))
                .node("squeeze_13", "Squeeze", null, "z", f32(3, 4, 4), "y", "sq")
                .output("z").write(dir.resolve("sq.onnx"));
        CliRun.Result r = run("convert", m.toString(), "--to", "onnx", "--profile", "portable-opset11", "-o", dir.resolve("o").toString());
        assertEquals(1, r.code(), r.toString());
        List<String> p = ProfileConvertTest.problems(r);
        assertEquals(1, p.size(), r.err());
        assertTrue(p.get(0).startsWith("  node 'squeeze_13' (Squeeze): is Squeeze-13 and cannot be written as Squeeze-11 (opset 11)"), p.get(0));
        assertEquals(List.of(), CliRun.list(dir.resolve("o")), "nothing is written");
    }
}
