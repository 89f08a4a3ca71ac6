package dev.onnxport.conformance;

import org.junit.jupiter.api.Assertions;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs converted node cases in the TFLite interpreter in a long-lived child JVM, so that a model that crashes the
 * native interpreter (an abort or segfault in TFLite 2.6, seen with out-of-range gather indices) fails its own case
 * instead of killing the test JVM and every case after it. A crashed or hung worker is replaced for the next case.
 * Without a usable class path (e.g. a manifest-only surefire jar) cases run in-process as before.
 * <p>
 * Protocol: one request per line on the worker's stdin (fields separated by TAB, lists by U+001F), one
 * "@@RESULT\tpass" or "@@RESULT\tfail\t&lt;message&gt;" line per request on its stdout.
 */
public final class NativeWorker {
    static final String RESULT = "@@RESULT\t";
    static final String LIST_SEP = "\u001f";
    static final long TIMEOUT_S = 300;

    private static Process process;
    private static Writer toWorker;
    private static BufferedReader fromWorker;
    private static final ExecutorService READER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "native-worker-reader");
        t.setDaemon(true);
        return t;
    });

    private NativeWorker() {}

    /** Runs every data set of case c in the TFLite interpreter on the file; an AssertionError says what failed. */
    public static void checkTflite(Path tflite, NodeCase c, List<String> inNames, List<String> outNames) throws IOException {
        if (!usable()) {
            TfliteNodeTest.check(Files.readAllBytes(tflite), c, inNames, outNames);
            return;
        }
        String r = call(String.join("\t", "tflite", tflite.toString(), c.suite(), c.name(), c.dir().toString(),
                String.join(LIST_SEP, inNames), String.join(LIST_SEP, outNames)));
        if (!r.equals("pass")) Assertions.fail(r.startsWith("fail\t") ? r.substring(5) : r);
    }

    static boolean usable() {
        String cp = System.getProperty("java.class.path", "");
        return cp.contains("tflite") && cp.contains("test-classes") && !Boolean.getBoolean("onnxport.inProcess");
    }

    private static synchronized String call(String request) throws IOException {
        if (process == null || !process.isAlive()) start();
        toWorker.write(request.replace("\n", " ") + "\n");
        toWorker.flush();
        Future<String> f = READER.submit(() -> {
            String line;
            while ((line = fromWorker.readLine()) != null) if (line.startsWith(RESULT)) return line.substring(RESULT.length());
            return null;
        });
        String r;
        try {
            r = f.get(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            stop();
            return "fail\tthe TFLite interpreter did not finish within " + TIMEOUT_S + " s (worker JVM killed)";
        } catch (Exception e) {
            stop();
            return "fail\tnative worker: " + e;
        }
        if (r != null) return r;
        int rc;
        try {
            rc = process.waitFor(30, TimeUnit.SECONDS) ? process.exitValue() : -1;
        } catch (InterruptedException e) {
            rc = -1;
        }
        stop();
        return "fail\tthe TFLite interpreter crashed the worker JVM (exit " + rc + (rc > 128 ? ", signal " + (rc - 128) : "") + ")";
    }

    private static void start() throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        process = new ProcessBuilder(List.of(java.toString(), "-Xmx1g", "-Xss8m",
                "-XX:ErrorFile=" + Path.of(System.getProperty("java.io.tmpdir"), "onnxport-native-worker-hs_err_%p.log"),
                "-cp", System.getProperty("java.class.path"), NativeWorker.class.getName()))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        toWorker = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        fromWorker = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Runtime.getRuntime().addShutdownHook(new Thread(NativeWorker::stop));
    }

    private static synchronized void stop() {
        if (process != null) process.destroyForcibly();
        process = null;
    }

    /** Worker side: answers requests until stdin closes. */
    public static void main(String[] args) throws IOException {
        PrintStream results = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(System.err); // nothing else may write to the result channel
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] f = line.split("\t", -1);
            String r;
            try {
                if (!f[0].equals("tflite") || f.length != 7) throw new IllegalArgumentException("bad request: " + line);
                NodeCase c = new NodeCase(f[2], f[3], Path.of(f[4]));
                TfliteNodeTest.check(Files.readAllBytes(Path.of(f[1])), c, split(f[5]), split(f[6]));
                r = "pass";
            } catch (Throwable t) {
                r = "fail\t" + TfliteNodeTest.firstLine(t).replace('\n', ' ').replace('\r', ' ');
            }
            results.println(RESULT + r);
        }
    }

    private static List<String> split(String s) { return s.isEmpty() ? List.of() : Arrays.asList(s.split(LIST_SEP, -1)); }
}
