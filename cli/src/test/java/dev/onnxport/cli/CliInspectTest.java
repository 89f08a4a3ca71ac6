package dev.onnxport.cli;

import dev.onnxport.ir.Dim;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.onnxport.cli.CliRun.reluModel;
import static dev.onnxport.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliInspectTest {
    static final Path EXAMPLE = Path.of("../examples/tiny_cnn.onnx");

    @Test
    void onnxText() {
        CliRun.Result r = run("inspect", EXAMPLE.toString());
        assertEquals(0, r.code(), r.toString());
        String o = r.out();
        assertTrue(o.contains("(ONNX, 4.6 KB"), o);
        assertTrue(o.contains("producer: onnxport TinyCnnGenerator"), o);
        assertTrue(o.contains("opset_import: ai.onnx=17"), o);
        assertTrue(o.contains("\n  image  float32 [1,3,32,32]\n"), o);
        assertTrue(o.contains("\n  probabilities  float32 [1,10]\n"), o);
        assertTrue(o.contains("nodes: 9\n"), o);
        // 8*3*3*3 + 8 + 8*8*3*3 + 8 + 10*8 + 10
        assertTrue(o.contains("parameters: 898\n"), o);
        // sorted by count: the two Convs and Relus first
        assertTrue(o.matches("(?s).*ops \\(7 types, by count\\):\\n  Conv +2\\n  Relu +2\\n  Flatten +1\\n.*Softmax +1\\n"), o);
    }

    @Test
    void onnxJsonAndSymbolicDims(@TempDir Path dir) throws Exception {
        Path m = reluModel(dir.resolve("sym.onnx"), List.of(Dim.sym("batch"), Dim.sym(""), Dim.of(4)));
        CliRun.Result t = run("inspect", m.toString());
        assertEquals(0, t.code(), t.toString());
        assertTrue(t.out().contains("x  float32 [batch,?,4]"), t.out());
        CliRun.Result j = run("inspect", "--json", m.toString());
        assertEquals(0, j.code(), j.toString());
        String o = j.out();
        assertTrue(o.startsWith("{\n") && o.trim().endsWith("}"), o);
        assertTrue(o.contains("\"format\": \"ONNX\""), o);
        assertTrue(o.contains("\"shape\": [\"batch\", \"?\", 4]"), o);
        assertTrue(o.contains("\"node_count\": 1"), o);
        assertTrue(o.contains("\"op\": \"Relu\""), o);
        assertTrue(o.contains("\"ai.onnx\": 17"), o);
    }

    @Test
    void tfliteTextAndJson(@TempDir Path dir) throws Exception {
        Path m = reluModel(dir.resolve("r.onnx"), 1, 8);
        assertEquals(0, run("convert", m.toString(), "--to", "tflite", "-o", dir.toString(), "-q").code());
        Path tfl = dir.resolve("r_float32.tflite");
        CliRun.Result r = run("inspect", tfl.toString());
        assertEquals(0, r.code(), r.toString());
        String o = r.out();
        assertTrue(o.contains("(TFLite, "), o);
        assertTrue(o.contains("schema_version: 3"), o);
        assertTrue(o.contains("min_runtime_version: "), o);
        assertTrue(o.contains("inputs:\n  x  float32 [1,8]\n"), o);
        assertTrue(o.contains("outputs:\n  y  float32 [1,8]\n"), o);
        assertTrue(o.contains("serving_default (subgraph 0)"), o);
        assertTrue(o.contains("input  x -> tensor 'x'"), o);
        assertTrue(o.contains("operators: 1\n"), o);
        assertTrue(o.contains("parameters: 0\n"), o);
        assertTrue(o.matches("(?s).*\\n  RELU v1 +1\\n.*"), o);
        assertTrue(o.contains(Long.toString(Files.size(tfl)) + " bytes"), o);

        CliRun.Result j = run("inspect", tfl.toString(), "--json");
        assertEquals(0, j.code(), j.toString());
        assertTrue(j.out().contains("\"op\": \"RELU\""), j.out());
        assertTrue(j.out().contains("\"version\": 1"), j.out());
        assertTrue(j.out().contains("\"key\": \"serving_default\""), j.out());
        assertTrue(j.out().contains("\"min_runtime_version\": \""), j.out());

        // content sniffing when the extension says nothing
        Path noExt = Files.copy(tfl, dir.resolve("model.bin"));
        CliRun.Result s = run("inspect", noExt.toString());
        assertEquals(0, s.code(), s.toString());
        assertTrue(s.out().contains("(TFLite, "), s.out());
    }

    @Test
    void tfliteParameterCount(@TempDir Path dir) throws Exception {
        // once Add converts this checks constant buffers; until then the conversion fails with exit 1
        Path m = CliConvertTest.externalDataModel(dir, "w.bin");
        Files.write(dir.resolve("models/w.bin"), new byte[16]);
        CliRun.Result c = run("convert", m.toString(), "--to", "tflite", "-o", dir.toString(), "-q");
        if (c.code() == 1) {
            assertTrue(c.err().contains("node 'add' (Add"), c.err());
            return;
        }
        assertEquals(0, c.code(), c.toString());
        CliRun.Result r = run("inspect", dir.resolve("ext_float32.tflite").toString());
        assertTrue(r.out().contains("parameters: 4\n"), r.out());
    }

    @Test
    void badFiles(@TempDir Path dir) throws Exception {
        byte[] junk = new byte[512];
        new java.util.Random(3).nextBytes(junk);
        Path t = Files.write(dir.resolve("junk.tflite"), junk);
        CliRun.Result r = run("inspect", t.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("junk.tflite") && r.err().contains("not a TFLite model"), r.err());

        // a real TFLite header with the rest cut off
        Path m = reluModel(dir.resolve("r.onnx"), 1, 8);
        run("convert", m.toString(), "--to", "tflite", "-o", dir.toString(), "-q");
        byte[] full = Files.readAllBytes(dir.resolve("r_float32.tflite"));
        Path cut = Files.write(dir.resolve("cut.tflite"), java.util.Arrays.copyOf(full, 40));
        CliRun.Result c = run("inspect", cut.toString());
        assertEquals(2, c.code(), c.toString());
        assertTrue(c.err().contains("cut.tflite"), c.err());

        byte[] onnx = Files.readAllBytes(m);
        Path half = Files.write(dir.resolve("half.onnx"), java.util.Arrays.copyOf(onnx, onnx.length / 2));
        CliRun.Result h = run("inspect", half.toString());
        assertEquals(2, h.code(), h.toString());
        assertTrue(h.err().contains("half.onnx") && h.err().contains("corrupt or truncated"), h.err());

        CliRun.Result missing = run("inspect", dir.resolve("nope.onnx").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("nope.onnx"), missing.err());
    }

    @Test
    void help() {
        for (String[] args : new String[][] {{"--help"}, {"convert", "--help"}, {"inspect", "--help"}, {"help", "convert"}}) {
            CliRun.Result r = run(args);
            assertEquals(0, r.code(), String.join(" ", args));
            assertTrue(r.out().startsWith("Usage: onnxport"), r.out());
            assertTrue(r.out().contains("Exit codes:"), r.out());
        }
        CliRun.Result v = run("--version");
        assertEquals(0, v.code());
        assertTrue(v.out().matches("onnxport \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\n(?s).*"), v.out());
        assertEquals(0, run("convert", "--version").code());
    }
}
