package dev.onnxport.conformance;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;

/** Appends one JSON line per case result to target/conformance/results-&lt;backend&gt;.jsonl for the report script. */
public final class Results {
    private Results() {}

    public static synchronized void record(String backend, NodeCase c, Collection<String> ops, String status, String reason) {
        Path f = TestData.outDir().resolve("results-" + backend + ".jsonl");
        String line = "{\"backend\":" + q(backend) + ",\"runtime\":" + q(backend.equals("tflite") ? "tflite-2.6.2-jni" : "onnxruntime-java-1.23.2")
                + ",\"suite\":" + q(c.suite()) + ",\"case\":" + q(c.name()) + ",\"dir\":" + q(c.dir().toString())
                + ",\"ops\":[" + String.join(",", ops.stream().map(Results::q).toList()) + "],\"status\":" + q(status)
                + ",\"reason\":" + q(reason == null ? "" : reason) + "}\n";
        try {
            Files.writeString(f, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void reset(String backend) {
        try {
            Files.deleteIfExists(TestData.outDir().resolve("results-" + backend + ".jsonl"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String q(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> { if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch)); else sb.append(ch); }
            }
        }
        return sb.append('"').toString();
    }
}
