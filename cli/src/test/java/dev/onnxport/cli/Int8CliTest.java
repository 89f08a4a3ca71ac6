package dev.onnxport.cli;

import com.sun.net.httpserver.HttpServer;
import dev.onnxport.backends.quant.Coco20;
import dev.onnxport.backends.quant.Npy;
import dev.onnxport.backends.runtime.TfliteRunner;
import dev.onnxport.backends.tflite.TfliteQuantCheck;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.onnxport.cli.CliRun.list;
import static dev.onnxport.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code convert --int8}: calibration sources, the coco20 look-up and download, I/O types, and bad calibration input. */
class Int8CliTest extends Coco20Fixture {
    static final Path TINY = repo().resolve("examples/tiny_cnn.onnx");

    static Path repo() {
        Path d = Path.of("").toAbsolutePath();
        while (d != null && !Files.exists(d.resolve("examples/tiny_cnn.onnx"))) d = d.getParent();
        return d;
    }


    static void assertSpec(Path file) throws Exception {
        List<String> bad = TfliteQuantCheck.violations(Files.readAllBytes(file));
        assertTrue(bad.isEmpty(), file + ":\n" + String.join("\n", bad));
    }

    static Tensor cocoImage(int i, int size) {
        Tensor all = Npy.read(Int8Data.data().resolve("coco20").resolve(Coco20.FILE_NAME));
        float[] v = new float[3 * size * size];
        for (int c = 0; c < 3; c++) for (int y = 0; y < size; y++) for (int x = 0; x < size; x++)
            v[(y * size + x) * 3 + c] = (float) (all.getDouble((((long) i * 128 + y * 128 / size) * 128 + x * 128 / size) * 3 + c) / 255);
        return Tensor.ofFloats(new long[] {1, size, size, 3}, v);
    }

    @Test
    void tinyCnnCoco20(@TempDir Path out) throws Exception {
        CliRun.Result r = run("convert", TINY.toString(), "--to", "tflite", "--int8", "--calib", "coco20", "-o", out.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals(List.of("tiny_cnn_float32.tflite", "tiny_cnn_full_integer_quant.tflite"), list(out));
        assertTrue(r.out().contains("tiny_cnn_full_integer_quant.tflite"), r.out());
        Path q = out.resolve("tiny_cnn_full_integer_quant.tflite");
        assertSpec(q);
        try (TfliteRunner f = new TfliteRunner(Files.readAllBytes(out.resolve("tiny_cnn_float32.tflite")));
             TfliteRunner i8 = new TfliteRunner(Files.readAllBytes(q))) {
            assertEquals(List.of("image"), i8.inputNames());
            assertEquals(List.of("probabilities"), i8.outputNames());
            for (int i = 0; i < 20; i += 5) {
                Map<String, Tensor> in = Map.of("image", cocoImage(i, 32));
                Tensor a = f.run(in).get("probabilities"), b = i8.run(in).get("probabilities");
                assertEquals(DType.FLOAT32, b.dtype());
                assertTrue(Int8RealModelsTest.cosine(a, b) > 0.98, "image " + i + ": " + a + " vs " + b);
            }
        }
    }

    @Test
    void int8AndUint8Io(@TempDir Path out) throws Exception {
        for (String io : List.of("int8", "uint8")) {
            Path o = out.resolve(io);
            CliRun.Result r = run("convert", TINY.toString(), "--to", "tflite", "--int8", "--io-dtype", io, "-q", "-o", o.toString());
            assertEquals(0, r.code(), r.toString());
            Path q = o.resolve("tiny_cnn_full_integer_quant.tflite");
            assertSpec(q);
            CliRun.Result info = run("inspect", q.toString());
            assertTrue(info.out().contains("image  " + io + " [1,32,32,3]"), info.out());
            assertTrue(info.out().contains("probabilities  " + io + " [1,10]"), info.out());
            try (TfliteRunner i8 = new TfliteRunner(Files.readAllBytes(q))) {
                // the interpreter takes integer inputs as they are: zero point = 0.0 for a blank image
                DType dt = io.equals("int8") ? DType.INT8 : DType.UINT8;
                long[] v = new long[32 * 32 * 3];
                Tensor y = i8.run(Map.of("image", Tensor.fromLongs(dt, new long[] {1, 32, 32, 3}, v))).get("probabilities");
                assertEquals(dt, y.dtype());
                assertEquals(10, y.numel());
            }
        }
    }

    @Test
    void dynamicRange(@TempDir Path out) throws Exception {
        CliRun.Result r = run("convert", TINY.toString(), "--to", "tflite", "--dynamic-range", "-q", "-o", out.toString());
        assertEquals(0, r.code(), r.toString());
        Path q = out.resolve("tiny_cnn_dynamic_range_quant.tflite");
        CliRun.Result info = run("inspect", q.toString());
        assertTrue(info.out().contains("CONV_2D v5"), info.out());
        try (TfliteRunner f = new TfliteRunner(Files.readAllBytes(out.resolve("tiny_cnn_float32.tflite")));
             TfliteRunner d = new TfliteRunner(Files.readAllBytes(q))) {
            Map<String, Tensor> in = Map.of("image", cocoImage(3, 32));
            assertTrue(Int8RealModelsTest.cosine(f.run(in).get("probabilities"), d.run(in).get("probabilities")) > 0.99);
        }
    }

    @Test
    void imageFolderAndNpy(@TempDir Path out) throws Exception {
        Path imgs = Files.createDirectories(dir.resolve("imgs"));
        for (int i = 0; i < 4; i++) {
            BufferedImage bi = new BufferedImage(40 + i, 30, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 30; y++) for (int x = 0; x < 40 + i; x++) bi.setRGB(x, y, (x * 6) << 16 | (y * 8) << 8 | (i * 60));
            ImageIO.write(bi, i % 2 == 0 ? "png" : "jpg", imgs.resolve("im" + i + (i % 2 == 0 ? ".png" : ".jpg")).toFile());
        }
        Files.writeString(imgs.resolve("notes.txt"), "not an image, ignored");
        CliRun.Result r = run("convert", TINY.toString(), "--to", "tflite", "--int8", "--calib", imgs.toString(), "--calib-order", "bgr",
                "--calib-mean", "0.485,0.456,0.406", "--calib-std", "0.229,0.224,0.225", "-q", "-o", out.resolve("a").toString());
        assertEquals(0, r.code(), r.toString());
        assertSpec(out.resolve("a/tiny_cnn_full_integer_quant.tflite"));

        // float NCHW array at another size (resized), and the named form
        float[] v = new float[3 * 3 * 20 * 24];
        for (int i = 0; i < v.length; i++) v[i] = (i % 97) / 97f;
        Path npy = dir.resolve("x.npy");
        Files.write(npy, Npy.write(Tensor.ofFloats(new long[] {3, 3, 20, 24}, v)));
        for (String spec : List.of(npy.toString(), "image=" + npy)) {
            Path o = out.resolve(spec.startsWith("image") ? "c" : "b");
            r = run("convert", TINY.toString(), "--to", "tflite", "--int8", "--calib", spec, "--calib-method", "minmax", "-q", "-o", o.toString());
            assertEquals(0, r.code(), r.toString());
            assertSpec(o.resolve("tiny_cnn_full_integer_quant.tflite"));
        }
    }

    @Test
    void coco20DownloadedOnceFromLocalServer(@TempDir Path out) throws Exception {
        byte[] good = Files.readAllBytes(Int8Data.data().resolve("coco20").resolve(Coco20.FILE_NAME));
        AtomicInteger hits = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/coco20.npy", ex -> {
            hits.incrementAndGet();
            ex.sendResponseHeaders(200, good.length);
            ex.getResponseBody().write(good);
            ex.close();
        });
        server.start();
        try {
            Path cache = dir.resolve("dlcache");
            System.setProperty("onnxport.data", Files.createDirectories(dir.resolve("emptydata")).toString());
            System.setProperty("onnxport.cache", cache.toString());
            System.setProperty("onnxport.coco20.url", "http://127.0.0.1:" + server.getAddress().getPort() + "/coco20.npy");
            CliRun.Result r = run("convert", TINY.toString(), "--to", "tflite", "--int8", "-o", out.resolve("1").toString());
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.err().contains("downloading the coco20 calibration images"), r.err());
            assertEquals(1, hits.get());
            assertEquals(List.of(Coco20.FILE_NAME), list(cache.resolve("coco20")), "only the verified file stays in the cache");
            r = run("convert", TINY.toString(), "--to", "tflite", "--int8", "-o", out.resolve("2").toString());
            assertEquals(0, r.code(), r.toString());
            assertEquals(1, hits.get(), "the second run reads the cache");
            assertFalse(r.err().contains("downloading"), r.err());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void coco20ChecksumMismatch(@TempDir Path out) throws Exception {
        byte[] bad = Files.readAllBytes(Int8Data.data().resolve("coco20").resolve(Coco20.FILE_NAME));
        bad[5000] ^= 1;
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/c.npy", ex -> {
            ex.sendResponseHeaders(200, bad.length);
            ex.getResponseBody().write(bad);
            ex.close();
        });
        server.start();
        try {
            Path cache = dir.resolve("badcache");
            System.setProperty("onnxport.data", Files.createDirectories(dir.resolve("emptydata")).toString());
            System.setProperty("onnxport.cache", cache.toString());
            System.setProperty("onnxport.coco20.url", "http://127.0.0.1:" + server.getAddress().getPort() + "/c.npy");
            CliRun.Result r = run("convert", TINY.toString(), "--to", "tflite", "--int8", "-o", out.toString());
            assertEquals(2, r.code(), r.toString());
            assertTrue(r.err().contains("checksum mismatch"), r.err());
            assertEquals(List.of(), list(out));
            assertEquals(List.of(), list(cache.resolve("coco20")), "a bad download is not cached");

            // a data folder holding a different file is an error too, not skipped
            Path data = dir.resolve("baddata");
            Files.createDirectories(data.resolve("coco20"));
            Files.write(data.resolve("coco20/other.npy"), bad);
            System.setProperty("onnxport.data", data.toString());
            r = run("convert", TINY.toString(), "--to", "tflite", "--int8", "-o", out.toString());
            assertEquals(2, r.code(), r.toString());
            assertTrue(r.err().contains("checksum mismatch") && r.err().contains("other.npy"), r.err());
            assertEquals(List.of(), list(out));
        } finally {
            server.stop(0);
        }
    }

    @Test
    void noNetworkNoData(@TempDir Path out) throws Exception {
        System.setProperty("onnxport.data", Files.createDirectories(dir.resolve("emptydata")).toString());
        System.setProperty("onnxport.cache", dir.resolve("nocache").toString());
        CliRun.Result r = run("convert", TINY.toString(), "--to", "tflite", "--int8", "-o", out.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("coco20: not found") && r.err().contains("download"), r.err());
        assertEquals(List.of(), list(out));
    }

    /** Every bad calibration input: exit 2, one clear message, no output file. */
    @Test
    void badCalibrationInput(@TempDir Path out) throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Path corrupt = Files.createDirectories(dir.resolve("corrupt"));
        Files.write(corrupt.resolve("a.jpg"), new byte[] {1, 2, 3, 4, 5});
        Path wrong = dir.resolve("wrong.npy");
        Files.write(wrong, Npy.write(Tensor.ofFloats(new long[] {5, 7}, new float[35])));
        Path notNpy = dir.resolve("x.bin");
        Files.write(notNpy, new byte[] {1, 2, 3});
        Path truncated = dir.resolve("t.npy");
        byte[] full = Npy.write(Tensor.ofFloats(new long[] {2, 3, 8, 8}, new float[384]));
        Files.write(truncated, java.util.Arrays.copyOf(full, full.length - 10));
        Path twoIn = new OnnxBuilder(14).input("a", OnnxBuilder.FLOAT, 1, 3, 8, 8).input("b", OnnxBuilder.FLOAT, 1, 3, 8, 8).output("y")
                .node("Add", new String[] {"a", "b"}, new String[] {"y"}).save(dir.resolve("two.onnx"));
        Path seq = new OnnxBuilder(14).input("s", OnnxBuilder.FLOAT, 1, 16).output("y").node("Relu", "s", "y").save(dir.resolve("seq.onnx"));
        Path dyn = new OnnxBuilder(14).input("x", OnnxBuilder.FLOAT, 1, 3, -1, -1).output("y").node("Relu", "x", "y").save(dir.resolve("dyn.onnx"));
        String tiny = TINY.toString();
        Object[][] cases = {
                {tiny, List.of("--calib", empty.toString()), "has no images"},
                {tiny, List.of("--calib", corrupt.toString()), "cannot decode"},
                {tiny, List.of("--calib", wrong.toString()), "does not fit input 'image'"},
                {tiny, List.of("--calib", truncated.toString()), "truncated .npy data"},
                {tiny, List.of("--calib", notNpy.toString()), "not a .npy file"},
                {tiny, List.of("--calib", dir.resolve("missing.npy").toString()), "no such file or folder"},
                {tiny, List.of("--calib", "nosuch=" + wrong), "the model has no input 'nosuch'"},
                {tiny, List.of("--calib-std", "1,2"), "--calib-std has 2 values"},
                {twoIn.toString(), List.of(), "the model has 2 inputs"},
                {twoIn.toString(), List.of("--calib", "a=" + wrong), "no calibration data for input 'b'"},
                {seq.toString(), List.of(), "is not an image input"},
                {dyn.toString(), List.of(), "has no fixed height and width"},
        };
        for (Object[] c : cases) {
            List<String> args = new java.util.ArrayList<>(List.of("convert", (String) c[0], "--to", "tflite", "--int8", "-o", out.toString()));
            @SuppressWarnings("unchecked") List<String> extra = (List<String>) c[1];
            args.addAll(extra);
            CliRun.Result r = run(args.toArray(new String[0]));
            assertEquals(2, r.code(), c[2] + ": " + r);
            assertTrue(r.err().contains((String) c[2]), c[2] + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), "one message: " + r.err());
            assertEquals(List.of(), list(out), "nothing written for " + c[2]);
        }
        // the named form feeds a non-image input exactly
        Path seqData = dir.resolve("s.npy");
        Files.write(seqData, Npy.write(Tensor.ofFloats(new long[] {6, 16}, new float[96])));
        CliRun.Result r = run("convert", seq.toString(), "--to", "tflite", "--int8", "--calib", "s=" + seqData, "-q", "-o", out.toString());
        assertEquals(0, r.code(), r.toString());
    }

    @Test
    void usageErrors(@TempDir Path out) {
        CliRun.Result r = run("convert", TINY.toString(), "--to", "tflite", "--calib", "coco20", "-o", out.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("apply to --int8 and --to edgetpu only"), r.err());
        r = run("convert", TINY.toString(), "--to", "onnx", "--int8", "-o", out.toString());
        assertEquals(2, r.code(), r.toString());
        r = run("convert", TINY.toString(), "--to", "tflite", "--int8", "--calib-method", "kl", "-o", out.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("'kl' is not one of minmax, percentile, mse"), r.err());
        r = run("convert", TINY.toString(), "--to", "tflite", "--int8", "--quant-granularity", "per-tensor", "--calib-percentile", "40", "-o", out.toString());
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("--calib-percentile"), r.err());
    }
}
