package dev.onnxport.cli;

import dev.onnxport.backends.onnx.OnnxBackend;
import dev.onnxport.backends.onnx.OnnxOptions;
import dev.onnxport.backends.runtime.OrtRunner;
import dev.onnxport.backends.runtime.TfliteRunner;
import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.onnxport.cli.CliRun.list;
import static dev.onnxport.cli.CliRun.reluModel;
import static dev.onnxport.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliConvertTest {
    static final float[] IN = {-1.5f, 2f, -3f, 4.25f, 0f, -0.5f};
    static final float[] RELU = {0f, 2f, 0f, 4.25f, 0f, 0f}; // max(x, 0) by hand

    @Test
    void reluToTfliteFloat32AndFloat16(@TempDir Path dir) throws Exception {
        Path model = reluModel(dir.resolve("relu.onnx"), 2, 3);
        Path out = dir.resolve("out");
        CliRun.Result r = run("convert", model.toString(), "--to", "tflite", "--fp16", "-o", out.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals(List.of("relu_float16.tflite", "relu_float32.tflite"), list(out), "no temp files are left");
        for (String f : List.of("relu_float32.tflite", "relu_float16.tflite")) {
            try (TfliteRunner tr = new TfliteRunner(Files.readAllBytes(out.resolve(f)))) {
                assertEquals(List.of("x"), tr.inputNames());
                Map<String, Tensor> y = tr.run(Map.of("x", Tensor.ofFloats(new long[] {2, 3}, IN)));
                assertArrayEquals(RELU, y.get("y").toFloats(), f);
                assertArrayEquals(new long[] {2, 3}, y.get("y").shape());
            }
            assertTrue(r.out().contains(out.resolve(f).toString()), r.out());
        }
        // the summary: path, size, op count, one line per input and output
        assertTrue(r.out().matches("(?s).*wrote \\S+relu_float32\\.tflite \\(\\d+\\.\\d KB, 1 ops\\).*"), r.out());
        assertTrue(r.out().matches("(?s).*\\n  input  x  float32 \\[2,3\\]\\n.*"), r.out());
        assertTrue(r.out().matches("(?s).*\\n  output y  float32 \\[2,3\\]\\n.*"), r.out());
        assertEquals("", r.err());
    }

    @Test
    void reluToOnnx(@TempDir Path dir) throws Exception {
        Path model = reluModel(dir.resolve("m.onnx"), 6);
        Path out = dir.resolve("o");
        CliRun.Result r = run("convert", model.toString(), "--to", "onnx", "--opset", "17", "-o", out.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals(List.of("m.onnx"), list(out));
        try (OrtRunner ort = new OrtRunner(Files.readAllBytes(out.resolve("m.onnx")))) {
            Map<String, Tensor> y = ort.run(Map.of("x", Tensor.ofFloats(new long[] {6}, IN)));
            assertArrayEquals(RELU, y.get("y").toFloats());
        }
        assertTrue(r.out().contains("m.onnx") && r.out().contains("1 nodes"), r.out());
    }

    @Test
    void quietPrintsNothingAndDefaultDirIsOut(@TempDir Path dir) throws Exception {
        Path model = reluModel(dir.resolve("q.onnx"), 4);
        CliRun.Result r = run("convert", model.toString(), "--to", "tflite", "--quiet", "-o", dir.resolve("x").toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals("", r.out());
        assertEquals("", r.err());
        assertEquals("out", Main.commandLine(new java.io.PrintWriter(java.io.Writer.nullWriter()), new java.io.PrintWriter(java.io.Writer.nullWriter())).getSubcommands().get("convert").getCommandSpec().findOption("-o").defaultValue());
    }

    @Test
    void existingOutputsAreReplaced(@TempDir Path dir) throws Exception {
        Path model = reluModel(dir.resolve("m.onnx"), 3);
        Path out = Files.createDirectories(dir.resolve("out"));
        Files.writeString(out.resolve("m_float32.tflite"), "old");
        assertEquals(0, run("convert", model.toString(), "--to", "tflite", "-o", out.toString()).code());
        assertTrue(Files.size(out.resolve("m_float32.tflite")) > 100);
        assertEquals(List.of("m_float32.tflite"), list(out));
    }

    @Test
    void refusesToOverwriteTheInput(@TempDir Path dir) throws Exception {
        Path model = reluModel(dir.resolve("m.onnx"), 3);
        byte[] before = Files.readAllBytes(model);
        CliRun.Result r = run("convert", model.toString(), "--to", "onnx", "-o", dir.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("overwrite the input"), r.err());
        assertArrayEquals(before, Files.readAllBytes(model));
        assertEquals(List.of("m.onnx"), list(dir));
    }

    @Test
    void inputShapeAndBatch(@TempDir Path dir) throws Exception {
        Path model = reluModel(dir.resolve("dyn.onnx"), List.of(Dim.sym("N"), Dim.of(3)));
        Path out = dir.resolve("out");
        CliRun.Result r = run("convert", model.toString(), "--to", "tflite", "--input-shape", "x:2,3", "-o", out.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("input  x  float32 [2,3]"), r.out());
        // the symbol N is bound everywhere: the output is static too
        assertTrue(r.out().contains("output y  float32 [2,3]"), r.out());
        try (TfliteRunner tr = new TfliteRunner(Files.readAllBytes(out.resolve("dyn_float32.tflite")))) {
            assertArrayEquals(RELU, tr.run(Map.of("x", Tensor.ofFloats(new long[] {2, 3}, IN))).get("y").toFloats());
        }
        CliRun.Result b = run("convert", model.toString(), "--to", "onnx", "--batch", "5", "-o", out.toString());
        assertEquals(0, b.code(), b.toString());
        assertTrue(b.out().contains("input  x  float32 [5,3]") && b.out().contains("output y  float32 [5,3]"), b.out());
        // a static batch is kept, with a warning that --batch did nothing
        Path fixed = reluModel(dir.resolve("fixed.onnx"), 1, 3);
        CliRun.Result f = run("convert", fixed.toString(), "--to", "tflite", "--batch", "4", "--fp16", "-o", dir.resolve("f").toString());
        assertEquals(0, f.code(), f.toString());
        assertTrue(f.out().contains("input  x  float32 [1,3]"), f.out());
        assertEquals(1, f.err().split("warning: --batch 4 changed nothing", -1).length - 1, f.err());
        // without either, the symbolic dim survives
        CliRun.Result s = run("convert", model.toString(), "--to", "onnx", "-o", dir.resolve("sym").toString());
        assertTrue(s.out().contains("input  x  float32 [N,3]"), s.out());
    }

    @Test
    void unknownInputShapeNameIsUsageError(@TempDir Path dir) throws Exception {
        Path model = reluModel(dir.resolve("m.onnx"), 1, 3);
        Path out = dir.resolve("out");
        CliRun.Result r = run("convert", model.toString(), "--to", "tflite", "--input-shape", "images:1,3", "-o", out.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("'images'") && r.err().contains("inputs are: 'x'") && r.err().contains(model.toString()), r.err());
        assertEquals(List.of(), list(out));
        CliRun.Result rank = run("convert", model.toString(), "--to", "tflite", "--input-shape", "x:1,3,1", "-o", out.toString());
        assertEquals(2, rank.code(), rank.toString());
        assertTrue(rank.err().contains("rank 3 given"), rank.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void usageErrors(@TempDir Path dir) throws Exception {
        Path model = reluModel(dir.resolve("m.onnx"), 3);
        String m = model.toString();
        String o = dir.resolve("out").toString();
        String[][] cases = {
                {"convert", m, "-o", o},                                   // --to missing
                {"convert", m, "--to", "coreml", "-o", o},                 // bad target
                {"convert", m, "--to", "tflite", "--opset", "13", "-o", o},
                {"convert", m, "--to", "onnx", "--fp16", "-o", o},
                {"convert", m, "--to", "onnx", "--io-layout", "nchw", "-o", o},
                {"convert", m, "--to", "tflite", "--io-layout", "nwhc", "-o", o},
                {"convert", m, "--to", "tflite", "--input-shape", "x", "-o", o},
                {"convert", m, "--to", "tflite", "--input-shape", "x:1,a", "-o", o},
                {"convert", m, "--to", "tflite", "--input-shape", "x:3", "--input-shape", "x:3", "-o", o},
                {"convert", m, "--to", "tflite", "--batch", "0", "-o", o},
                {"convert", m, "--to", "onnx", "--opset", "99", "-o", o},
                {"convert", "--to", "tflite"},                             // MODEL missing
                {"convert", dir.resolve("missing.onnx").toString(), "--to", "tflite", "-o", o},
                {"frobnicate"},
                {},
        };
        for (String[] c : cases) {
            CliRun.Result r = run(c);
            assertEquals(2, r.code(), String.join(" ", c) + "\n" + r);
            assertFalse(r.err().isBlank(), String.join(" ", c));
            assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        }
        assertEquals(List.of("m.onnx"), list(dir));
        CliRun.Result missing = run("convert", dir.resolve("missing.onnx").toString(), "--to", "tflite");
        assertTrue(missing.err().contains("missing.onnx") && missing.err().contains("not found"), missing.err());
    }

    @Test
    void corruptFileIsUsageError(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("random.onnx");
        byte[] junk = new byte[2048];
        new java.util.Random(7).nextBytes(junk);
        Files.write(bad, junk);
        Path out = dir.resolve("out");
        for (String to : List.of("tflite", "onnx")) {
            CliRun.Result r = run("convert", bad.toString(), "--to", to, "-o", out.toString());
            assertEquals(2, r.code(), r.toString());
            assertTrue(r.err().contains("file '" + bad + "'"), r.err());
            assertFalse(r.err().contains("\tat "), r.err());
            assertFalse(Files.exists(out), "nothing is written");
        }
        Path empty = Files.write(dir.resolve("empty.onnx"), new byte[0]);
        CliRun.Result e = run("convert", empty.toString(), "--to", "tflite", "-o", out.toString());
        assertEquals(2, e.code(), e.toString());
        assertTrue(e.err().contains("empty.onnx"), e.err());
    }

    @Test
    void truncatedFileIsUsageError(@TempDir Path dir) throws Exception {
        Path good = reluModel(dir.resolve("good.onnx"), 2, 3);
        byte[] all = Files.readAllBytes(good);
        Path half = Files.write(dir.resolve("half.onnx"), java.util.Arrays.copyOf(all, all.length / 2));
        Path out = dir.resolve("out");
        CliRun.Result r = run("convert", half.toString(), "--to", "tflite", "-o", out.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("half.onnx"), r.err());
        assertFalse(Files.exists(out));
        CliRun.Result verbose = run("convert", half.toString(), "--to", "tflite", "-o", out.toString(), "--verbose");
        assertEquals(2, verbose.code());
        assertTrue(verbose.err().contains("\tat "), "--verbose prints the stack trace: " + verbose.err());
    }

    /** A model whose initializer w is stored externally at the given location, next to an existing secret file. */
    static Path externalDataModel(Path dir, String location) throws Exception {
        Path sub = Files.createDirectories(dir.resolve("models"));
        Files.write(dir.resolve("secret.bin"), new byte[16]);
        var tensor = dev.onnxport.schemas.onnx.OnnxProto.TensorProto.newBuilder().setName("w").setDataType(1).addDims(4)
                .setDataLocation(dev.onnxport.schemas.onnx.OnnxProto.TensorProto.DataLocation.EXTERNAL)
                .addExternalData(dev.onnxport.schemas.onnx.OnnxProto.StringStringEntryProto.newBuilder().setKey("location").setValue(location));
        var f4 = dev.onnxport.schemas.onnx.OnnxProto.TypeProto.newBuilder().setTensorType(dev.onnxport.schemas.onnx.OnnxProto.TypeProto.Tensor
                .newBuilder().setElemType(1).setShape(dev.onnxport.schemas.onnx.OnnxProto.TensorShapeProto.newBuilder()
                        .addDim(dev.onnxport.schemas.onnx.OnnxProto.TensorShapeProto.Dimension.newBuilder().setDimValue(4))));
        var graph = dev.onnxport.schemas.onnx.OnnxProto.GraphProto.newBuilder().setName("ext")
                .addInitializer(tensor)
                .addInput(dev.onnxport.schemas.onnx.OnnxProto.ValueInfoProto.newBuilder().setName("x").setType(f4))
                .addNode(dev.onnxport.schemas.onnx.OnnxProto.NodeProto.newBuilder().setName("add").setOpType("Add").addInput("x").addInput("w").addOutput("y"))
                .addOutput(dev.onnxport.schemas.onnx.OnnxProto.ValueInfoProto.newBuilder().setName("y").setType(f4));
        var m = dev.onnxport.schemas.onnx.OnnxProto.ModelProto.newBuilder().setIrVersion(8)
                .addOpsetImport(dev.onnxport.schemas.onnx.OnnxProto.OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
                .setGraph(graph).build();
        return Files.write(sub.resolve("ext.onnx"), m.toByteArray());
    }

    @Test
    void externalDataLeavingTheFolderIsUsageError(@TempDir Path dir) throws Exception {
        Path model = externalDataModel(dir, "../secret.bin");
        Path out = dir.resolve("out");
        for (String to : List.of("tflite", "onnx")) {
            CliRun.Result r = run("convert", model.toString(), "--to", to, "-o", out.toString());
            assertEquals(2, r.code(), r.toString());
            assertTrue(r.err().contains("leaves the model's folder"), r.err());
            assertTrue(r.err().contains("ext.onnx") && r.err().contains("'w'"), r.err());
            assertFalse(Files.exists(out));
        }
        Path abs = externalDataModel(dir, dir.resolve("secret.bin").toString());
        CliRun.Result a = run("convert", abs.toString(), "--to", "onnx", "-o", out.toString());
        assertEquals(2, a.code(), a.toString());
        assertTrue(a.err().contains("absolute"), a.err());
    }

    @Test
    void missingExternalDataIsUsageError(@TempDir Path dir) throws Exception {
        Path model = externalDataModel(dir, "weights.bin");
        CliRun.Result r = run("convert", model.toString(), "--to", "onnx", "-o", dir.resolve("out").toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("weights.bin") && r.err().contains("missing"), r.err());
        assertFalse(Files.exists(dir.resolve("out")));
        // inspect reads no weights, so it works without the data file
        CliRun.Result i = run("inspect", model.toString());
        assertEquals(0, i.code(), i.toString());
        assertTrue(i.out().contains("parameters: 4\n"), i.out());
    }

    @Test
    void unsupportedOpsAreAllListedAndNothingIsWritten(@TempDir Path dir) throws Exception {
        Graph g = new Graph("bad");
        g.opsets().put("", 17);
        ValueType t = ValueType.of(DType.FLOAT32, 2, 2);
        Value x = g.addInput("x", t);
        Node relu = g.addNodeExact("", "Relu", "relu_ok", List.of(x), Attrs.EMPTY, 17, List.of("r"));
        relu.output().setType(t);
        Node foo = g.addNodeExact("", "FooBar", "the_foo", List.of(relu.output()), Attrs.EMPTY, 17, List.of("f"));
        foo.output().setType(t);
        Node baz = g.addNodeExact("", "BazQux", "the_baz", List.of(foo.output()), Attrs.EMPTY, 17, List.of("y"));
        baz.output().setType(t);
        g.addOutput(baz.output());
        Path model = dir.resolve("bad.onnx");
        OnnxBackend.emit(g, OnnxOptions.DEFAULT, model);
        Path out = Files.createDirectories(dir.resolve("out"));
        Files.writeString(out.resolve("bad_float32.tflite"), "previous result");
        Files.writeString(out.resolve("notes.txt"), "keep me");

        CliRun.Result r = run("convert", model.toString(), "--to", "tflite", "--fp16", "-o", out.toString());
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("bad.onnx"), r.err());
        assertTrue(r.err().contains("2 nodes cannot be converted"), r.err());
        assertTrue(r.err().contains("node 'the_foo' (FooBar"), r.err());
        assertTrue(r.err().contains("node 'the_baz' (BazQux"), r.err());
        assertFalse(r.err().contains("relu_ok"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        assertEquals("", r.out());
        // nothing new in the folder, and what was there is untouched
        assertEquals(List.of("bad_float32.tflite", "notes.txt"), list(out));
        assertEquals("previous result", Files.readString(out.resolve("bad_float32.tflite")));

        // a folder that does not exist yet is not created
        Path fresh = dir.resolve("fresh/deeper");
        assertEquals(1, run("convert", model.toString(), "--to", "tflite", "-o", fresh.toString()).code());
        assertFalse(Files.exists(dir.resolve("fresh")));
    }

    @Test
    void bigOnnxModelsKeepWeightsInExternalData(@TempDir Path dir) throws Exception {
        Graph g = new Graph("big");
        g.opsets().put("", 17);
        ValueType t = ValueType.of(DType.FLOAT32, 1000);
        Value x = g.addInput("x", t);
        float[] w = new float[1000];
        for (int i = 0; i < w.length; i++) w[i] = i * 0.25f;
        Value c = g.addConstant("w", Tensor.ofFloats(new long[] {1000}, w));
        Node add = g.addNodeExact("", "Add", "add", List.of(x, c), Attrs.EMPTY, 17, List.of("y"));
        add.output().setType(t);
        g.addOutput(add.output());
        Path model = dir.resolve("big.onnx");
        OnnxBackend.emit(g, OnnxOptions.DEFAULT, model);
        Path out = dir.resolve("out");
        long saved = ConvertCommand.externalDataThreshold;
        ConvertCommand.externalDataThreshold = 100;
        CliRun.Result r;
        try {
            r = run("convert", model.toString(), "--to", "onnx", "-o", out.toString());
        } finally {
            ConvertCommand.externalDataThreshold = saved;
        }
        assertEquals(0, r.code(), r.toString());
        assertEquals(List.of("big.onnx", "big.onnx.data"), list(out));
        assertTrue(r.out().contains("big.onnx.data"), r.out());
        assertTrue(r.out().contains("input  x  float32 [1000]"), r.out());
        // the written pair loads (as a file, so that the data file is found) and computes x + w
        try (ai.onnxruntime.OrtSession s = ai.onnxruntime.OrtEnvironment.getEnvironment().createSession(out.resolve("big.onnx").toString(),
                new ai.onnxruntime.OrtSession.SessionOptions());
             ai.onnxruntime.OnnxTensor in = ai.onnxruntime.OnnxTensor.createTensor(ai.onnxruntime.OrtEnvironment.getEnvironment(), new float[1000]);
             ai.onnxruntime.OrtSession.Result res = s.run(Map.of("x", in))) {
            assertArrayEquals(w, (float[]) res.get(0).getValue());
        }
        // and converting it again reads the external data back
        CliRun.Result again = run("convert", out.resolve("big.onnx").toString(), "--to", "onnx", "-o", dir.resolve("again").toString());
        assertEquals(0, again.code(), again.toString());
        assertEquals(List.of("big.onnx"), list(dir.resolve("again")));
    }

    @Test
    void outputFolderThatIsAFile(@TempDir Path dir) throws Exception {
        Path model = reluModel(dir.resolve("m.onnx"), 3);
        Path file = Files.writeString(dir.resolve("afile"), "x");
        CliRun.Result r = run("convert", model.toString(), "--to", "tflite", "-o", file.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("not a folder"), r.err());
    }
}
