package dev.onnxport.conformance;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What a backend claims: every op it has a conversion for, minus the cases listed in its exclusion files
 * (claims/&lt;backend&gt;-exclude*.txt: one "case-name-regex  reason" per line; the regex may also match "suite/case"), each with its reason.
 */
public final class Claims {
    public record Exclusion(Pattern pattern, String reason) {}

    private final List<Exclusion> exclusions = new ArrayList<>();
    private final List<Exclusion> knownFailures = new ArrayList<>();

    public Claims(String backend, String... families) {
        for (String f : families) load("claims/" + backend + "-exclude" + (f.isEmpty() ? "" : "-" + f) + ".txt", exclusions);
        load("claims/" + backend + "-known-failures.txt", knownFailures);
    }

    private void load(String resource, List<Exclusion> into) {
        try (InputStream in = Claims.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) return;
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) continue;
                String[] p = line.split("\\s+", 2);
                into.add(new Exclusion(Pattern.compile(p[0]), p.length > 1 ? p[1] : "excluded"));
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Why a claimed case is known to fail today (claims/&lt;backend&gt;-known-failures.txt), or null. A known failure
     * is still run: it is reported as failed, and a listed case that passes fails the test so the list stays true.
     */
    public String knownFailure(NodeCase c) { return match(knownFailures, c); }

    /** The reason a case is excluded, or null. */
    public String excluded(NodeCase c) { return match(exclusions, c); }

    /** A pattern matches the case name, or "suite/case" (e.g. "onnx-1.22/test_x") to name one suite's case. */
    private static String match(List<Exclusion> list, NodeCase c) {
        String qualified = c.suite() + "/" + c.name();
        for (Exclusion e : list) {
            if (e.pattern().matcher(c.name()).matches() || e.pattern().matcher(qualified).matches()) return e.reason();
        }
        return null;
    }
}
