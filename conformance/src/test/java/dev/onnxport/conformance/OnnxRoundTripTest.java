package dev.onnxport.conformance;

import dev.onnxport.backends.Pipelines;
import dev.onnxport.backends.onnx.OnnxBackend;
import dev.onnxport.backends.runtime.OrtRunner;
import dev.onnxport.frontends.onnx.OnnxFrontend;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Every node test case is read into the IR, cleaned up, written back as ONNX and run in onnxruntime; its outputs
 * must equal onnxruntime's outputs for the original model. Cases onnxruntime itself cannot run are skipped.
 */
class OnnxRoundTripTest {
    static final Claims CLAIMS = new Claims("onnx", "");

    @TestFactory
    Stream<DynamicTest> nodeCases() {
        Results.reset("onnx");
        String filter = System.getProperty("onnxport.cases", "");
        return NodeCase.all().stream()
                .filter(c -> filter.isEmpty() || c.name().matches(filter))
                .map(c -> DynamicTest.dynamicTest(c.suite() + "/" + c.name(), c.model().toUri(), () -> run(c)));
    }

    static void run(NodeCase c) throws Exception {
        Set<String> ops = c.ops();
        String ex = CLAIMS.excluded(c);
        if (ex != null) skip(c, ops, "excluded: " + ex);
        byte[] original = lowerIrVersion(Files.readAllBytes(c.model()));
        List<Path> sets = c.dataSets();
        Map<String, Tensor> reference;
        Map<String, Tensor> ins;
        List<String> inNames;
        try (OrtRunner ort = new OrtRunner(original)) {
            inNames = ort.inputNames();
            ins = c.inputs(sets.get(0), inNames);
            reference = ort.run(ins);
        } catch (RuntimeException e) {
            skip(c, ops, "onnxruntime cannot run the original: " + TfliteNodeTest.firstLine(e));
            return;
        }
        try {
            Graph g = OnnxFrontend.load(c.model()).graph();
            Assertions.assertEquals(inNames, g.inputs().stream().map(Value::name).toList());
            Pipelines.prepareOnnx(g);
            byte[] bytes = OnnxBackend.emit(g, new dev.onnxport.backends.onnx.OnnxOptions(null, "onnxport"));
            Path out = TestData.outDir().resolve("onnx").resolve(c.suite()).resolve(c.name());
            Files.createDirectories(out);
            Files.write(out.resolve("model.onnx"), bytes);
            try (OrtRunner r = new OrtRunner(bytes)) {
                Map<String, Tensor> got = r.run(ins);
                for (Map.Entry<String, Tensor> e : reference.entrySet()) {
                    Tensor a = got.get(e.getKey());
                    Assertions.assertNotNull(a, "output " + e.getKey());
                    String mm = Compare.mismatch(e.getValue(), a, 1e-6, 1e-5);
                    if (mm != null) Assertions.fail("output '" + e.getKey() + "': " + mm);
                }
            }
            String known = CLAIMS.knownFailure(c);
            if (known != null) {
                Results.record("onnx", c, ops, "fail", "listed as a known failure (" + known + ") but it passes");
                Assertions.fail("listed in claims/onnx-known-failures.txt (" + known + ") but it passes: remove it from the list");
            }
            Results.record("onnx", c, ops, "pass", null);
        } catch (RuntimeException | Error t) {
            String known = CLAIMS.knownFailure(c);
            if (known != null && !String.valueOf(t.getMessage()).contains("but it passes")) {
                Results.record("onnx", c, ops, "fail", "known failure (" + known + "): " + TfliteNodeTest.firstLine(t));
                Assumptions.abort("known failure, reported as failed in docs/CONFORMANCE.md: " + known);
            }
            if (!String.valueOf(t.getMessage()).contains("but it passes")) Results.record("onnx", c, ops, "fail", TfliteNodeTest.firstLine(t));
            throw t;
        }
    }

    /**
     * onnxruntime 1.23 reads IR versions up to 11; the 1.22 suite's files say 12 or 13 without using what those
     * added, so the reference run gets the same model with ir_version lowered to 11.
     */
    static byte[] lowerIrVersion(byte[] model) throws java.io.IOException {
        var m = dev.onnxport.schemas.onnx.OnnxProto.ModelProto.parseFrom(model);
        if (m.getIrVersion() <= 11) return model;
        return m.toBuilder().setIrVersion(11).build().toByteArray();
    }

    static void skip(NodeCase c, Set<String> ops, String reason) {
        Results.record("onnx", c, ops, "skip", reason);
        Assumptions.abort(reason);
    }
}
