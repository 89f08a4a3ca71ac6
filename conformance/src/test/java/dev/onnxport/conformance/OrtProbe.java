package dev.onnxport.conformance;

import dev.onnxport.backends.runtime.OrtRunner;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Loads an ONNX file in onnxruntime in a child JVM, so that a model onnxruntime crashes on (a segfault in native
 * code, seen with malformed round-tripped models) fails one test instead of killing the test JVM.
 */
public final class OrtProbe {
    private OrtProbe() {}

    /** Child side: exit 0 when onnxruntime creates a session for the file, 1 when it rejects it. */
    public static void main(String[] args) throws IOException {
        try (OrtRunner r = new OrtRunner(Files.readAllBytes(Path.of(args[0])))) {
            System.exit(0);
        } catch (RuntimeException e) {
            System.err.println(e.getMessage());
            System.exit(1);
        }
    }

    /** Null when onnxruntime loads the file in a child JVM (or no child can be started), else why not. */
    public static String problem(Path onnx) throws IOException, InterruptedException {
        String cp = System.getProperty("java.class.path", "");
        if (!cp.contains("onnxruntime")) return null; // no usable class path (e.g. a manifest-only jar): load in-process
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path log = Files.createTempFile("ortprobe", ".log");
        try {
            Process p = new ProcessBuilder(List.of(java.toString(), "-Xmx512m",
                            "-XX:ErrorFile=" + Path.of(System.getProperty("java.io.tmpdir"), "onnxport-ortprobe-hs_err_%p.log"), "-cp", cp, OrtProbe.class.getName(), onnx.toString()))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "onnxruntime did not load the model within 300 s";
            }
            int rc = p.exitValue();
            if (rc == 0) return null;
            String out = Files.readString(log, StandardCharsets.UTF_8).strip();
            if (rc == 1) return out.isEmpty() ? "onnxruntime rejected the model" : out;
            return "onnxruntime crashed loading the model (child JVM exit " + rc + (rc > 128 ? ", signal " + (rc - 128) : "") + ")";
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
