package dev.onnxport.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.onnxport.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** onnxport passes: every pass by name with a one-line description. */
class ProfilePassesTest {
    static final List<String> BUILTIN = List.of("infer-shapes", "fold-constants", "dead-code", "remove-identity", "fold-batchnorm",
            "inline-constant-if", "layout-nhwc", "transpose-optimize");

    @Test
    void listsEveryPassWithADescription() {
        CliRun.Result r = run("passes");
        assertEquals(0, r.code(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertEquals("built-in:", lines.get(0));
        for (String p : BUILTIN)
            assertTrue(lines.stream().anyMatch(l -> l.matches("  " + p + " +\\S.*")), p + " in\n" + r.out());
        for (PassCatalog.Entry e : PassCatalog.all()) {
            assertTrue(r.out().contains(e.name()), e.name());
            assertTrue(!e.description().isBlank() && !e.description().contains("\n"), e.name() + ": one line");
        }
        assertEquals(PassCatalog.all().size(), lines.stream().filter(l -> l.startsWith("  ")).count());
    }

    @Test
    void jsonListsNamesGroupsAndDescriptions() {
        CliRun.Result r = run("passes", "--json");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("[\n  {\n    \"name\": \"infer-shapes\",\n    \"group\": \"built-in\",\n    \"description\": "), r.out());
        for (String p : BUILTIN) assertTrue(r.out().contains("\"name\": \"" + p + "\""), p);
    }
}
