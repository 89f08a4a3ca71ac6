package dev.onnxport.cli;

import dev.onnxport.backends.runtime.OrtRunner;
import dev.onnxport.frontends.onnx.OnnxFrontend;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Test helpers for parts: make one, read it back, run it in onnxruntime. */
final class MakeRun {
    private MakeRun() {}

    /** Runs {@code onnxport make ARGS -o file} (must succeed) and returns the file. */
    static Path make(Path file, String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "make";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "-o";
        all[args.length + 2] = file.toString();
        all[args.length + 3] = "-q";
        CliRun.Result r = CliRun.run(all);
        assertEquals(0, r.code(), String.join(" ", args) + "\n" + r);
        return file;
    }

    static Graph graph(Path file) { return OnnxFrontend.load(file).graph(); }

    static Map<String, Tensor> ort(Path file, Map<String, Tensor> feed) throws Exception {
        try (OrtRunner o = new OrtRunner(Files.readAllBytes(file))) {
            return o.run(feed);
        }
    }

    static void assertClose(float[] want, float[] got, double atol, double rtol, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            double tol = atol + rtol * Math.abs(want[i]);
            if (!(Math.abs(want[i] - got[i]) <= tol))
                throw new AssertionError(what + "[" + i + "]: expected " + want[i] + " but was " + got[i] + " (tolerance " + tol + ")");
        }
    }
}
