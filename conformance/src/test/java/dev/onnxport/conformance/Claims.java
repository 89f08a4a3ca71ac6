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
 * (claims/&lt;backend&gt;-exclude*.txt: one "case-name-regex  reason" per line), each with its reason.
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
    public String knownFailure(String caseName) {
        for (Exclusion e : knownFailures) if (e.pattern().matcher(caseName).matches()) return e.reason();
        return null;
    }

    /** The reason a case is excluded, or null. */
    public String excluded(String caseName) {
        for (Exclusion e : exclusions) if (e.pattern().matcher(caseName).matches()) return e.reason();
        return null;
    }
}
