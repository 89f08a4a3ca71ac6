package dev.onnxport.conformance;

import dev.onnxport.backends.Pipelines;
import dev.onnxport.backends.runtime.TfliteRunner;
import dev.onnxport.backends.tflite.TfliteOps;
import dev.onnxport.backends.tflite.TfliteOptions;
import dev.onnxport.frontends.onnx.OnnxFrontend;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.passes.PassOptions;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Every node test case whose ops the TFLite backend claims is converted (ONNX layout kept at the boundary) and
 * run in the TFLite 2.6 interpreter against the case's expected outputs. Other cases are skipped with a reason.
 * Converted files are left in target/conformance/tflite/ for the LiteRT run of the conformance script.
 */
class TfliteNodeTest {
    static final double ATOL = 1e-4, RTOL = 1e-3;
    static final Claims CLAIMS = new Claims("tflite", "", "elementwise", "nn", "shape", "index", "reduce", "recurrent");

    @TestFactory
    Stream<DynamicTest> nodeCases() {
        Results.reset("tflite");
        String filter = System.getProperty("onnxport.cases", "");
        return NodeCase.all().stream()
                .filter(c -> filter.isEmpty() || c.name().matches(filter))
                .map(c -> DynamicTest.dynamicTest(c.suite() + "/" + c.name(), c.model().toUri(), () -> run(c)));
    }

    static void run(NodeCase c) throws Exception {
        // no stale file from an earlier run: the LiteRT check runs whatever model.tflite it finds for a case
        Files.deleteIfExists(TestData.outDir().resolve("tflite").resolve(c.suite()).resolve(c.name()).resolve("model.tflite"));
        Set<String> ops = c.ops();
        List<String> missing = new ArrayList<>();
        for (String op : ops) if (!op.equals("Constant") && TfliteOps.standard().get(op) == null && !Pipelines.TFLITE_DECOMPOSED.contains(op)) missing.add(op);
        if (!missing.isEmpty()) skip(c, ops, "no TFLite conversion for " + String.join(", ", missing));
        String ex = CLAIMS.excluded(c);
        if (ex != null) skip(c, ops, "excluded: " + ex);
        try {
            OnnxFrontend.Model m = OnnxFrontend.load(c.model());
            Graph g = m.graph();
            List<String> inNames = g.inputs().stream().map(Value::name).toList();
            List<String> outNames = g.outputs().stream().map(Value::name).toList();
            byte[] tfl = Pipelines.toTflite(g, TfliteOptions.FLOAT32, new PassOptions("nchw"));
            Path out = TestData.outDir().resolve("tflite").resolve(c.suite()).resolve(c.name());
            Files.createDirectories(out);
            Files.write(out.resolve("model.tflite"), tfl);
            // in a child JVM: a model that crashes the native interpreter fails this case only
            NativeWorker.checkTflite(out.resolve("model.tflite"), c, inNames, outNames);
            String known = CLAIMS.knownFailure(c);
            if (known != null) {
                Results.record("tflite", c, ops, "fail", "listed as a known failure (" + known + ") but it passes");
                Assertions.fail("listed in claims/tflite-known-failures.txt (" + known + ") but it passes: remove it from the list");
            }
            Results.record("tflite", c, ops, "pass", null);
        } catch (RuntimeException | Error t) {
            String known = CLAIMS.knownFailure(c);
            if (known != null && !String.valueOf(t.getMessage()).contains("but it passes")) {
                Results.record("tflite", c, ops, "fail", "known failure (" + known + "): " + firstLine(t));
                Assumptions.abort("known failure, reported as failed in docs/CONFORMANCE.md: " + known);
            }
            if (!String.valueOf(t.getMessage()).contains("but it passes")) Results.record("tflite", c, ops, "fail", firstLine(t));
            throw t;
        }
    }

    /** Runs every data set of c in the TFLite interpreter and compares with the expected outputs (in this JVM). */
    static void check(byte[] tfl, NodeCase c, List<String> inNames, List<String> outNames) {
        try (TfliteRunner r = new TfliteRunner(tfl)) {
            Assertions.assertEquals(inNames, r.inputNames(), "TFLite inputs carry the ONNX names in ONNX order");
            Assertions.assertEquals(outNames, r.outputNames(), "TFLite outputs carry the ONNX names in ONNX order");
            for (Path ds : c.dataSets()) {
                Map<String, Tensor> ins = c.inputs(ds, inNames);
                Map<String, Tensor> expected = c.outputs(ds, outNames);
                Map<String, Tensor> got = r.run(ins);
                for (Map.Entry<String, Tensor> e : expected.entrySet()) {
                    Tensor a = got.get(e.getKey());
                    Assertions.assertNotNull(a, "output " + e.getKey());
                    String mm = Compare.mismatch(e.getValue(), a, ATOL, RTOL);
                    if (mm != null) Assertions.fail("output '" + e.getKey() + "' " + ds.getFileName() + ": " + mm);
                }
            }
        }
    }

    static void skip(NodeCase c, Set<String> ops, String reason) {
        Results.record("tflite", c, ops, "skip", reason);
        Assumptions.abort(reason);
    }

    static String firstLine(Throwable t) {
        String m = String.valueOf(t.getMessage());
        return m.length() > 600 ? m.substring(0, 600) : m;
    }
}
