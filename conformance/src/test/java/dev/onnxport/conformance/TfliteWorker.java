package dev.onnxport.conformance;

import dev.onnxport.backends.runtime.TfliteRunner;
import dev.onnxport.ir.Tensor;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs node cases' converted TFLite files in the TFLite 2.6 interpreter in a long-lived child JVM, so that a model
 * on which the native interpreter aborts fails its own case (reported as a crash) instead of killing the test JVM.
 * Protocol, one line each way: "model.tflite TAB case-dir TAB suite TAB case TAB input names (comma) TAB output names"
 * -> "PASS", "FAIL message" or "ERROR message".
 */
public final class TfliteWorker implements AutoCloseable {
    private Process process;
    private BufferedReader from;
    private BufferedWriter to;

    /** Child side. */
    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String reply;
            try {
                reply = check(line.split("\t", -1));
            } catch (AssertionError e) {
                reply = "FAIL " + e.getMessage();
            } catch (RuntimeException e) {
                reply = "ERROR " + e.getMessage();
            }
            System.out.println(reply.replace('\n', ' ').replace('\r', ' '));
            System.out.flush();
        }
    }

    private static String check(String[] f) throws IOException {
        byte[] tfl = Files.readAllBytes(Path.of(f[0]));
        NodeCase c = new NodeCase(f[2], f[3], Path.of(f[1]));
        List<String> inNames = f[4].isEmpty() ? List.of() : Arrays.asList(f[4].split(","));
        List<String> outNames = f[5].isEmpty() ? List.of() : Arrays.asList(f[5].split(","));
        try (TfliteRunner r = new TfliteRunner(tfl)) {
            if (!inNames.equals(r.inputNames())) return "FAIL TFLite inputs " + r.inputNames() + " are not the ONNX inputs " + inNames + " in order";
            if (!outNames.equals(r.outputNames())) return "FAIL TFLite outputs " + r.outputNames() + " are not the ONNX outputs " + outNames + " in order";
            for (Path ds : c.dataSets()) {
                Map<String, Tensor> got = r.run(c.inputs(ds, inNames));
                for (Map.Entry<String, Tensor> e : c.outputs(ds, outNames).entrySet()) {
                    Tensor a = got.get(e.getKey());
                    if (a == null) return "FAIL no output " + e.getKey();
                    String mm = Compare.mismatch(e.getValue(), a, TfliteNodeTest.ATOL, TfliteNodeTest.RTOL);
                    if (mm != null) return "FAIL output '" + e.getKey() + "' " + ds.getFileName() + ": " + mm;
                }
            }
        }
        return "PASS";
    }

    /** Parent side: the child's one-line verdict; a crashed child is reported and restarted on the next call. */
    public synchronized String run(Path tflite, NodeCase c, List<String> inNames, List<String> outNames) throws IOException, InterruptedException {
        if (process == null || !process.isAlive()) start();
        to.write(String.join("\t", tflite.toString(), c.dir().toString(), c.suite(), c.name(), String.join(",", inNames), String.join(",", outNames)));
        to.newLine();
        to.flush();
        String reply = from.readLine();
        if (reply == null) {
            process.waitFor(10, TimeUnit.SECONDS);
            int rc = process.isAlive() ? -1 : process.exitValue();
            process = null;
            return "ERROR the TFLite 2.6 interpreter crashed on this model (child JVM exit " + rc + (rc > 128 ? ", signal " + (rc - 128) : "") + ")";
        }
        return reply;
    }

    private void start() throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        process = new ProcessBuilder(List.of(java.toString(), "-Xmx1g",
                "-XX:ErrorFile=" + Path.of(System.getProperty("java.io.tmpdir"), "onnxport-tfliteworker-hs_err_%p.log"),
                "-cp", System.getProperty("java.class.path"), TfliteWorker.class.getName()))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        from = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        to = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
    }

    @Override public synchronized void close() {
        if (process != null) process.destroy();
    }
}
