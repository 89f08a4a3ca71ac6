package dev.onnxport.cli;

import dev.onnxport.backends.runtime.OrtRunner;
import dev.onnxport.frontends.onnx.OnnxFrontend;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.ValueType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.onnxport.cli.CliRun.list;
import static dev.onnxport.cli.CliRun.run;
import static dev.onnxport.cli.TestModels.attrs;
import static dev.onnxport.cli.TestModels.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** convert --to onnx --profile: passes, then every node the target cannot read listed by name, exit 1, nothing written. */
class ProfileConvertTest {
    /** The problem lines of the error message ("  node '...' (...): ..."). */
    static List<String> problems(CliRun.Result r) {
        return r.err().lines().filter(l -> l.startsWith("  node '")).toList();
    }

    @Test
    void portableOpset11ListsEveryNodeItCannotExpressAtOnce(@TempDir Path dir) throws Exception {
        Path m = new TestModels("m", 17)
                .input("x", DType.FLOAT32, 2, 1, 3).input("n", DType.INT64).input("i", DType.INT32, 4)
                .constant("axes", Tensor.ofLongs(new long[] {1}, 1))
                .node("relu_float", "Relu", null, "r", f32(2, 1, 3), "x")            // Relu-14 on float: Relu-6 reads it
                .node("squeeze_13", "Squeeze", null, "s", f32(2, 3), "r", "axes")     // axes as an input: Squeeze-13 only
                .node("relu_int", "Relu", null, "ri", ValueType.of(DType.INT32, 4), "i") // int32 came with Relu-14
                .node("window", "HammingWindow", null, "w", new ValueType(DType.FLOAT32, null), "n") // opset 17: not in opset 11
                .output("s", "ri", "w").write(dir.resolve("m.onnx"));
        Path out = dir.resolve("out");
        CliRun.Result r = run("convert", m.toString(), "--to", "onnx", "--profile", "portable-opset11", "-o", out.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("target 'portable-opset11' cannot express 3 nodes (nothing was written)"), r.err());
        List<String> p = problems(r);
        assertEquals(3, p.size(), r.err());
        assertTrue(p.get(0).startsWith("  node 'squeeze_13' (Squeeze): is Squeeze-13 and cannot be written as Squeeze-11 (opset 11)"), p.get(0));
        assertTrue(p.get(1).startsWith("  node 'relu_int' (Relu): is Relu-14 and cannot be written as Relu-6 (opset 11): element type int32 needs Relu-14"), p.get(1));
        assertEquals("  node 'window' (HammingWindow): target 'portable-opset11' has no HammingWindow", p.get(2));
        assertEquals(List.of(), list(out), "nothing is written");
    }

    @Test
    void barracudaRejectsAnOpItLacksByNodeNameAndDecomposesDet(@TempDir Path dir) throws Exception {
        Path m = new TestModels("d", 11).input("x", DType.FLOAT32, 2, 3, 3).constant("axis", Tensor.scalarLong(1))
                .node("relu_1", "Relu", null, "r", f32(2, 3, 3), "x")
                .node("determinant", "Det", null, "d", f32(2), "r")
                .node("cumsum_1", "CumSum", null, "c", f32(2, 3, 3), "x", "axis")
                .output("d", "c").write(dir.resolve("d.onnx"));
        CliRun.Result r = run("convert", m.toString(), "--to", "onnx", "--profile", "barracuda", "-o", dir.resolve("o").toString());
        assertEquals(1, r.code(), r.toString());
        assertEquals(List.of("  node 'cumsum_1' (CumSum): target 'barracuda' has no CumSum"), problems(r), "det-decompose removed Det");
        assertFalse(Files.exists(dir.resolve("o").resolve("d.onnx")));
        // the same model passes the portable profile (Det and CumSum are opset-11 ops)
        assertEquals(0, run("convert", m.toString(), "--to", "onnx", "--profile", "portable-opset11", "-q", "-o", dir.resolve("p").toString()).code());

        // without the CumSum, barracuda's det-decompose gives the determinant in ops it reads
        Path det = new TestModels("det", 11).input("x", DType.FLOAT32, 2, 3, 3)
                .node("determinant", "Det", null, "d", f32(2), "x").output("d").write(dir.resolve("det.onnx"));
        r = run("convert", det.toString(), "--to", "onnx", "--profile", "barracuda", "-o", dir.resolve("b").toString());
        assertEquals(0, r.code(), r.toString());
        Graph g = OnnxFrontend.load(dir.resolve("b/det.onnx")).graph();
        assertTrue(g.nodes().stream().noneMatch(n -> n.opType().equals("Det")), g.dump());
        float[] x = TestModels.random(new Random(8), 18, -2, 2);
        try (OrtRunner ort = new OrtRunner(Files.readAllBytes(dir.resolve("b/det.onnx")))) {
            float[] d = ort.run(Map.of("x", Tensor.ofFloats(new long[] {2, 3, 3}, x))).get("d").toFloats();
            for (int b = 0; b < 2; b++) assertEquals(det3(x, 9 * b), d[b], 1e-4);
        }
    }

    /** The determinant of the 3x3 matrix at x[o..o+8], by cofactors. */
    static double det3(float[] x, int o) {
        double a = x[o], b = x[o + 1], c = x[o + 2], d = x[o + 3], e = x[o + 4], f = x[o + 5], g = x[o + 6], h = x[o + 7], i = x[o + 8];
        return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
    }

    @Test
    void theTfliteProfileOnOnnxSaysWhatTheTfliteBackendLacks(@TempDir Path dir) throws Exception {
        Path m = new TestModels("t", 18).input("x", DType.INT32, 3, 3)
                .node("abs_1", "Abs", null, "a", ValueType.of(DType.INT32, 3, 3), "x")
                .node("not_1", "BitwiseNot", null, "n", ValueType.of(DType.INT32, 3, 3), "a")
                .output("n").write(dir.resolve("t.onnx"));
        CliRun.Result r = run("convert", m.toString(), "--to", "onnx", "--profile", "tflite", "-o", dir.resolve("o").toString());
        assertEquals(1, r.code(), r.toString());
        assertEquals(List.of("  node 'not_1' (BitwiseNot): target 'tflite' has no BitwiseNot"), problems(r));
    }

    @Test
    void toTfliteRunsTheTfliteProfilesPassesFirst(@TempDir Path dir) throws Exception {
        // the TFLite backend has no Det; the tflite profile's det-decompose runs before it
        Path det = new TestModels("det", 13).input("x", DType.FLOAT32, 2, 3, 3)
                .node("determinant", "Det", null, "d", f32(2), "x").output("d").write(dir.resolve("det.onnx"));
        CliRun.Result r = run("convert", det.toString(), "--to", "tflite", "-o", dir.resolve("o").toString());
        assertEquals(0, r.code(), r.toString());
        float[] x = TestModels.random(new Random(9), 18, -2, 2);
        try (dev.onnxport.backends.runtime.TfliteRunner t = new dev.onnxport.backends.runtime.TfliteRunner(
                Files.readAllBytes(dir.resolve("o/det_float32.tflite")))) {
            float[] d = t.run(Map.of("x", Tensor.ofFloats(new long[] {2, 3, 3}, x))).get("d").toFloats();
            for (int b = 0; b < 2; b++) assertEquals(det3(x, 9 * b), d[b], 1e-4);
        }
        // --no-pass takes it out again: the backend then names the node it cannot lower
        r = run("convert", det.toString(), "--to", "tflite", "--no-pass", "det-decompose", "-o", dir.resolve("n").toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("determinant"), r.err());
    }

    @Test
    void aModelTheProfileReadsIsWrittenAtTheProfilesOpsetAndComputesTheSame(@TempDir Path dir) throws Exception {
        // opset 14: Relu-14, Add-14 and Reshape-14 (allowzero left at 0) all read the same as their opset-11 versions
        Path m = new TestModels("ok", 14).input("x", DType.FLOAT32, 2, 3)
                .constant("one", Tensor.scalarFloat(1f)).constant("shape", Tensor.ofLongs(new long[] {1}, 6))
                .node("relu_1", "Relu", null, "r", f32(2, 3), "x")
                .node("add_1", "Add", null, "a", f32(2, 3), "r", "one")
                .node("flat", "Reshape", null, "y", f32(6), "a", "shape")
                .output("y").write(dir.resolve("ok.onnx"));
        Path out = dir.resolve("o");
        CliRun.Result r = run("convert", m.toString(), "--to", "onnx", "--profile", "portable-opset11", "-o", out.toString());
        assertEquals(0, r.code(), r.toString());
        Graph g = OnnxFrontend.load(out.resolve("ok.onnx")).graph();
        assertEquals(11, g.opset());
        float[] x = TestModels.random(new Random(3), 6, -2, 2);
        try (OrtRunner ort = new OrtRunner(Files.readAllBytes(out.resolve("ok.onnx")))) {
            float[] y = ort.run(Map.of("x", Tensor.ofFloats(new long[] {2, 3}, x))).get("y").toFloats();
            for (int i = 0; i < 6; i++) assertEquals(Math.max(x[i], 0f) + 1f, y[i]);
        }
        // Reshape with allowzero=1 needs Reshape-14
        Path z = new TestModels("z", 14).input("x", DType.FLOAT32, 2, 3).constant("shape", Tensor.ofLongs(new long[] {1}, 6))
                .node("flat_zero", "Reshape", attrs("allowzero", 1), "y", f32(6), "x", "shape").output("y").write(dir.resolve("z.onnx"));
        r = run("convert", z.toString(), "--to", "onnx", "--profile", "portable-opset11", "-o", dir.resolve("z").toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(problems(r).get(0).contains("node 'flat_zero' (Reshape): is Reshape-14 and cannot be written as Reshape-5 (opset 11): "
                + "attribute 'allowzero' needs Reshape-14"), r.err());
    }

    @Test
    void aProfileFileWorksLikeABuiltInOne(@TempDir Path dir) throws Exception {
        Path prof = Files.writeString(dir.resolve("mini.txt"), "# a target that reads Relu and Neg only\nname mini\nopset 13\n"
                + "pass dead-code\nop Relu 6\nop Neg 6\n");
        Path m = new TestModels("m", 13).input("x", DType.FLOAT32, 4)
                .node("relu_1", "Relu", null, "r", f32(4), "x").node("neg_1", "Neg", null, "n", f32(4), "r")
                .node("abs_1", "Abs", null, "a", f32(4), "n").output("a").write(dir.resolve("m.onnx"));
        CliRun.Result r = run("convert", m.toString(), "--to", "onnx", "--profile", prof.toString(), "-o", dir.resolve("o").toString());
        assertEquals(1, r.code(), r.toString());
        assertEquals(List.of("  node 'abs_1' (Abs): target 'mini' has no Abs"), problems(r));
        Path bad = Files.writeString(dir.resolve("bad.txt"), "name bad\nop Relu six\n");
        r = run("convert", m.toString(), "--to", "onnx", "--profile", bad.toString(), "-o", dir.resolve("o").toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("line 2: 'six' is not a positive version number"), r.err());
    }

    @Test
    void badProfileAndPassOptionsAreUsageErrors(@TempDir Path dir) throws Exception {
        Path m = CliRun.reluModel(dir.resolve("r.onnx"), 4);
        String[][] cases = {
                {"--to", "onnx", "--profile", "nope", "unknown profile 'nope' (built-in: portable-opset11, barracuda, tflite"},
                {"--to", "tflite", "--profile", "barracuda", "describes an ONNX target"},
                {"--to", "onnx", "--profile", "portable-opset11", "--opset", "13", "contradicts --profile portable-opset11"},
                {"--to", "onnx", "--pass", "nope", "--pass: unknown pass 'nope'"},
                {"--to", "onnx", "--no-pass", "nope", "--no-pass: unknown pass 'nope'"},
                {"--to", "onnx", "--no-pass", "fold-batchnorm", "--no-pass fold-batchnorm: it is not in the pipeline"},
                {"--to", "tflite", "--no-pass", "layout-nhwc", "the TFLite backend always runs it"},
                {"--to", "onnx", "--pass", "layout-nhwc", "channels-last nodes cannot be written as ONNX"},
        };
        for (String[] c : cases) {
            String[] args = new String[c.length + 4];
            args[0] = "convert";
            args[1] = m.toString();
            System.arraycopy(c, 0, args, 2, c.length - 1);
            args[c.length + 1] = "-o";
            args[c.length + 2] = dir.resolve("o").toString();
            args[c.length + 3] = "-q";
            CliRun.Result r = run(args);
            assertEquals(2, r.code(), String.join(" ", c) + "\n" + r);
            assertTrue(r.err().contains(c[c.length - 1]), r.err());
        }
        assertEquals(List.of(), list(dir.resolve("o")));
    }

    @Test
    void passAndNoPassChangeTheOnnxPipeline(@TempDir Path dir) throws Exception {
        // Add(c1, c2) is folded by fold-constants unless --no-pass turns it off
        Path m = new TestModels("f", 13).input("x", DType.FLOAT32, 2)
                .constant("c1", Tensor.ofFloats(new long[] {2}, 1f, 2f)).constant("c2", Tensor.ofFloats(new long[] {2}, 3f, 4f))
                .node("const_add", "Add", null, "c", f32(2), "c1", "c2")
                .node("add_x", "Add", null, "y", f32(2), "x", "c")
                .output("y").write(dir.resolve("f.onnx"));
        assertEquals(0, run("convert", m.toString(), "--to", "onnx", "-q", "-o", dir.resolve("a").toString()).code());
        assertEquals(1, OnnxFrontend.load(dir.resolve("a/f.onnx")).graph().nodes().size());
        assertEquals(0, run("convert", m.toString(), "--to", "onnx", "--no-pass", "fold-constants", "--pass", "fold-batchnorm", "-q",
                "-o", dir.resolve("b").toString()).code());
        assertEquals(2, OnnxFrontend.load(dir.resolve("b/f.onnx")).graph().nodes().size());
        for (String d : List.of("a", "b")) {
            try (OrtRunner ort = new OrtRunner(Files.readAllBytes(dir.resolve(d + "/f.onnx")))) {
                float[] y = ort.run(Map.of("x", Tensor.ofFloats(new long[] {2}, 10f, 20f))).get("y").toFloats();
                assertEquals(14f, y[0]);
                assertEquals(26f, y[1]);
            }
        }
    }
}
