package dev.onnxport.conformance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Where the shared test data lives: ../shared beside the checkout, and Debian's libonnx-testdata. */
public final class TestData {
    private TestData() {}

    public static Path shared() {
        // the POM always sets onnxport.shared (to ../shared beside the checkout), so ONNXPORT_SHARED is tried too
        for (String p : new String[] {System.getenv("ONNXPORT_SHARED"), System.getProperty("onnxport.shared")}) {
            if (p != null && !p.isEmpty() && Files.isDirectory(Path.of(p))) return Path.of(p).toAbsolutePath().normalize();
        }
        Path d = Path.of("").toAbsolutePath();
        while (d != null) {
            Path s = d.resolveSibling("shared");
            if (Files.isDirectory(s.resolve("data"))) return s.normalize();
            d = d.getParent();
        }
        throw new IllegalStateException("cannot find ../shared (set ONNXPORT_SHARED)");
    }

    /** Suite name -> folder of case folders. */
    public static Map<String, Path> nodeSuites() {
        Map<String, Path> m = new LinkedHashMap<>();
        Path deb = Path.of("/usr/share/libonnx-testdata/data/node");
        if (Files.isDirectory(deb)) m.put("debian", deb);
        m.put("onnx-1.22", shared().resolve("data/onnx-node-1.22"));
        return m;
    }

    /** Where tests leave converted files and results for the conformance report. */
    public static Path outDir() {
        Path p = Path.of("target", "conformance").toAbsolutePath();
        try {
            Files.createDirectories(p);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return p;
    }
}
