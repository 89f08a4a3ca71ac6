package dev.onnxport.cli;

import dev.onnxport.backends.onnx.OnnxBackend;
import dev.onnxport.backends.onnx.OnnxOptions;
import dev.onnxport.backends.runtime.OrtRunner;
import dev.onnxport.backends.runtime.TfliteRunner;
import dev.onnxport.cli.examples.TinyCnnGenerator;
import dev.onnxport.ir.Tensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bundled examples/tiny_cnn.onnx: its origin, and the README's first command. */
class CliExampleTest {
    static final Path EXAMPLE = Path.of("../examples/tiny_cnn.onnx");

    @Test
    void exampleIsWhatTheGeneratorWrites() throws Exception {
        byte[] regenerated = OnnxBackend.emit(TinyCnnGenerator.build(), new OnnxOptions(null, "onnxport TinyCnnGenerator"));
        assertArrayEquals(regenerated, Files.readAllBytes(EXAMPLE), "regenerate examples/tiny_cnn.onnx with TinyCnnGenerator");
    }

    static Tensor image() {
        float[] v = new float[3 * 32 * 32];
        Random r = new Random(1);
        for (int i = 0; i < v.length; i++) v[i] = r.nextFloat();
        return Tensor.ofFloats(new long[] {1, 3, 32, 32}, v);
    }

    static float[] toNhwc(float[] nchw, int c, int h, int w) {
        float[] o = new float[nchw.length];
        for (int ci = 0; ci < c; ci++) for (int y = 0; y < h; y++) for (int x = 0; x < w; x++)
            o[(y * w + x) * c + ci] = nchw[(ci * h + y) * w + x];
        return o;
    }

    @Test
    void exampleToOnnxKeepsTheNumbers(@TempDir Path dir) throws Exception {
        CliRun.Result r = CliRun.run("convert", EXAMPLE.toString(), "--to", "onnx", "-o", dir.toString());
        assertEquals(0, r.code(), r.toString());
        float[] want, got;
        try (OrtRunner a = new OrtRunner(Files.readAllBytes(EXAMPLE)); OrtRunner b = new OrtRunner(Files.readAllBytes(dir.resolve("tiny_cnn.onnx")))) {
            want = a.run(Map.of("image", image())).get("probabilities").toFloats();
            got = b.run(Map.of("image", image())).get("probabilities").toFloats();
        }
        assertArrayEquals(want, got, 1e-6f);
        float sum = 0;
        for (float f : got) sum += f;
        assertEquals(1f, sum, 1e-5f);
    }

    /** The README's first command. Until Conv/MaxPool/... convert, it must fail cleanly listing every node. */
    @Test
    void readmeFirstCommand(@TempDir Path dir) throws Exception {
        CliRun.Result r = CliRun.run("convert", EXAMPLE.toString(), "--to", "tflite", "--fp16", "-o", dir.toString());
        if (r.code() != 0) {
            assertEquals(1, r.code(), r.toString());
            assertTrue(r.err().contains("tiny_cnn.onnx") && r.err().contains("cannot be converted"), r.err());
            assertEquals(0, CliRun.list(dir).size(), "nothing is written");
            Assumptions.abort("tiny_cnn does not convert to TFLite yet:\n" + r.err());
        }
        float[] want;
        try (OrtRunner ort = new OrtRunner(Files.readAllBytes(EXAMPLE))) {
            want = ort.run(Map.of("image", image())).get("probabilities").toFloats();
        }
        assertTrue(r.out().contains("input  image          float32 [1,32,32,3]"), r.out());
        Tensor nhwc = Tensor.ofFloats(new long[] {1, 32, 32, 3}, toNhwc(image().toFloats(), 3, 32, 32));
        for (String f : new String[] {"tiny_cnn_float32.tflite", "tiny_cnn_float16.tflite"}) {
            try (TfliteRunner t = new TfliteRunner(Files.readAllBytes(dir.resolve(f)))) {
                float[] got = t.run(Map.of("image", nhwc)).get("probabilities").toFloats();
                assertArrayEquals(want, got, f.contains("16") ? 2e-3f : 1e-4f, f);
            }
        }
        CliRun.Result n = CliRun.run("convert", EXAMPLE.toString(), "--to", "tflite", "--io-layout", "nchw", "-o", dir.resolve("nchw").toString());
        assertEquals(0, n.code(), n.toString());
        try (TfliteRunner t = new TfliteRunner(Files.readAllBytes(dir.resolve("nchw/tiny_cnn_float32.tflite")))) {
            assertArrayEquals(want, t.run(Map.of("image", image())).get("probabilities").toFloats(), 1e-4f);
        }
    }
}
