package dev.onnxport.cli;

import dev.onnxport.backends.runtime.TfliteRunner;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.onnxport.cli.CliRun.list;
import static dev.onnxport.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code convert --int8 --int16-activations}: the 16x8 file, its name and types, and the combinations refused. */
class Int16CliTest extends Coco20Fixture {
    static final Path TINY = Int8CliTest.TINY;


    @Test
    void tinyCnn16x8(@TempDir Path out) throws Exception {
        CliRun.Result r = run("convert", TINY.toString(), "--to", "tflite", "--int8", "--int16-activations", "--calib", "coco20", "-o", out.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals(List.of("tiny_cnn_float32.tflite", "tiny_cnn_full_integer_quant_with_int16_act.tflite"), list(out));
        assertTrue(r.out().contains("tiny_cnn_full_integer_quant_with_int16_act.tflite"), r.out());
        Path q = out.resolve("tiny_cnn_full_integer_quant_with_int16_act.tflite");
        Int8CliTest.assertSpec(q);
        CliRun.Result info = run("inspect", q.toString());
        assertEquals(0, info.code(), info.toString());
        assertTrue(info.out().contains("image  float32 [1,32,32,3]"), info.out());
        assertTrue(info.out().contains("CONV_2D v4"), info.out());
        try (TfliteRunner f = new TfliteRunner(Files.readAllBytes(out.resolve("tiny_cnn_float32.tflite")));
             TfliteRunner i16 = new TfliteRunner(Files.readAllBytes(q))) {
            for (int i = 0; i < 20; i += 5) {
                Map<String, Tensor> in = Map.of("image", Int8CliTest.cocoImage(i, 32));
                Tensor a = f.run(in).get("probabilities"), b = i16.run(in).get("probabilities");
                assertEquals(DType.FLOAT32, b.dtype());
                assertTrue(Int8RealModelsTest.cosine(a, b) > 0.999, "image " + i + ": " + a + " vs " + b);
            }
        }
    }

    @Test
    void refusedCombinations(@TempDir Path out) {
        List<List<String>> bad = List.of(
                List.of("--to", "edgetpu", "--int16-activations"),
                List.of("--to", "tflite", "--int16-activations"),
                List.of("--to", "tflite", "--dynamic-range", "--int16-activations"),
                List.of("--to", "tflite", "--int8", "--int16-activations", "--io-dtype", "int8"),
                List.of("--to", "tflite", "--int8", "--int16-activations", "--int8-float-head"),
                List.of("--to", "tflite", "--int8", "--int16-activations", "--calib-method", "mse"),
                List.of("--to", "onnx", "--int8", "--int16-activations"));
        for (List<String> args : bad) {
            Path o = out.resolve("o" + bad.indexOf(args));
            List<String> cmd = new java.util.ArrayList<>(List.of("convert", TINY.toString()));
            cmd.addAll(args);
            cmd.addAll(List.of("-o", o.toString()));
            CliRun.Result r = run(cmd.toArray(String[]::new));
            assertEquals(2, r.code(), args + ": " + r);
            assertTrue(r.err().contains("--int16-activations") || r.err().contains("--int8 applies to --to tflite only"), args + ": " + r.err());
            assertFalse(Files.exists(o), args + ": wrote " + o);
        }
    }
}
