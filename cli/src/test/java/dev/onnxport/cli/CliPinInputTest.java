package dev.onnxport.cli;

import dev.onnxport.backends.onnx.OnnxBackend;
import dev.onnxport.backends.onnx.OnnxOptions;
import dev.onnxport.backends.runtime.TfliteRunner;
import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
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

import static dev.onnxport.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CliPinInputTest {
    /** y = x * scale, scale a scalar input; pinned, the TFLite model has only x. */
    static Path model(Path file) throws Exception {
        Graph g = new Graph("pin");
        g.opsets().put("", 17);
        Value x = g.addInput("x", ValueType.of(DType.FLOAT32, 1, 3));
        Value s = g.addInput("scale", ValueType.of(DType.FLOAT32));
        Node m = g.addNodeExact("", "Mul", "mul", List.of(x, s), Attrs.EMPTY, 17, List.of("y"));
        m.output().setType(ValueType.of(DType.FLOAT32, 1, 3));
        g.addOutput(m.output());
        Files.write(file, OnnxBackend.emit(g, new OnnxOptions(null, "test")));
        return file;
    }

    @Test
    void pinnedInputLeavesTheModel(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("o");
        CliRun.Result r = run("convert", model(dir.resolve("m.onnx")).toString(), "--to", "tflite", "--pin-input", "scale=2.5", "-o", out.toString());
        assertEquals(0, r.code(), r.toString());
        try (TfliteRunner t = new TfliteRunner(Files.readAllBytes(out.resolve("m_float32.tflite")))) {
            assertEquals(List.of("x"), t.inputNames());
            Tensor y = t.run(Map.of("x", Tensor.ofFloats(new long[] {1, 3}, 1, -2, 4))).get("y");
            assertArrayEquals(new float[] {2.5f, -5f, 10f}, y.toFloats());
        }
    }

    @Test
    void unknownOrMalformedPinsAreUsageErrors(@TempDir Path dir) throws Exception {
        Path m = model(dir.resolve("m.onnx"));
        CliRun.Result r = run("convert", m.toString(), "--to", "tflite", "--pin-input", "nope=1", "-o", dir.resolve("a").toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("no input 'nope'") && r.err().contains("scale"), r.err());
        r = run("convert", m.toString(), "--to", "tflite", "--pin-input", "scale=1,2", "-o", dir.resolve("b").toString());
        assertEquals(2, r.code(), r.toString());
        r = run("convert", m.toString(), "--to", "tflite", "--pin-input", "scale=abc", "-o", dir.resolve("c").toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(!Files.exists(dir.resolve("a")) && !Files.exists(dir.resolve("b")) && !Files.exists(dir.resolve("c")));
    }
}
