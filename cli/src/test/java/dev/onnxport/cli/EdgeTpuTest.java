package dev.onnxport.cli;

import dev.onnxport.backends.Pipelines;
import dev.onnxport.backends.quant.CalibrationData;
import dev.onnxport.backends.quant.Calibrator;
import dev.onnxport.backends.quant.Int8Pipeline;
import dev.onnxport.backends.runtime.TfliteRunner;
import dev.onnxport.backends.tflite.EdgeTpuCheck;
import dev.onnxport.backends.tflite.TfliteBackend;
import dev.onnxport.backends.tflite.TfliteOptions;
import dev.onnxport.backends.tflite.TfliteQuantCheck;
import dev.onnxport.backends.tflite.TfliteQuantizer;
import dev.onnxport.frontends.onnx.OnnxFrontend;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Tensor;
import dev.onnxport.passes.PassOptions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import tflite.BuiltinOperator;
import tflite.Model;
import tflite.SubGraph;
import tflite.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.onnxport.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --to edgetpu} on the real image models: every op of the output is on Coral's supported list, every shape is
 * static, every tensor is int8/uint8 (int32 biases and int32 shape/axis constants aside), the file follows the int8
 * spec and loads in the TFLite 2.6 interpreter with uint8 I/O.
 */
class EdgeTpuTest {
    @TempDir static Path dir;

    @TestFactory
    Stream<DynamicTest> realModels() {
        Int8Data.useSharedCoco20(dir.resolve("cache"));
        List<DynamicTest> r = new ArrayList<>();
        String filter = System.getProperty("onnxport.models", "");
        for (Int8RealModelsTest.Spec s : Int8RealModelsTest.SPECS) {
            if (!filter.isEmpty() && !s.name().matches(filter)) continue;
            r.add(DynamicTest.dynamicTest(s.name(), () -> check(s)));
        }
        return r.stream();
    }

    void check(Int8RealModelsTest.Spec s) throws Exception {
        Path f = Int8Data.models().resolve(s.name() + ".onnx");
        Assumptions.assumeTrue(Files.exists(f), "model not in the cache: " + f);
        Assumptions.assumeTrue(Int8Data.data() != null, "no shared data folder with coco20");
        try {
            Graph gf = Int8RealModelsTest.load(f, s);
            Pipelines.prepareTflite(gf, PassOptions.DEFAULT);
            new TfliteBackend().emitModel(gf, TfliteOptions.FLOAT32);
        } catch (RuntimeException e) {
            Assumptions.abort("does not convert in float32: " + e.getMessage().lines().findFirst().orElse(""));
        }
        Graph g = Int8RealModelsTest.load(f, s);
        List<Map<String, Tensor>> samples = CalibrationData.samples(List.of(new CalibrationData.Source(null, "coco20")),
                Int8Pipeline.inputs(g), new CalibrationData.Preprocess(s.mean(), s.std(), null, false), m -> {});
        TfliteQuantizer.Options qo = new TfliteQuantizer.Options(true, false, TfliteQuantizer.IoType.UINT8, true, false);
        Int8Pipeline.Output out = Int8Pipeline.convert(g, OnnxFrontend.parse(f), PassOptions.DEFAULT, samples,
                new Int8Pipeline.Options(Calibrator.Options.DEFAULT, qo, true));
        Path keep = Path.of("target", "int8", "edgetpu");
        Files.createDirectories(keep);
        Files.write(keep.resolve(s.name() + "_edgetpu_ready.tflite"), out.model());
        assertEdgeTpuReady(out.model());
        EdgeTpuCheck.Report rep = EdgeTpuCheck.check(out.model());
        System.out.println("EDGETPU " + s.name() + ": " + rep.summary());
        List<String> bad = TfliteQuantCheck.violations(out.model());
        assertTrue(bad.isEmpty(), String.join("\n", bad));
        if (s.name().matches("pplcnet.*|ppocr.*|mtcnn.*")) {
            try (TfliteRunner r = new TfliteRunner(out.model())) {
                Map<String, Tensor> y = r.run(Map.of(r.inputNames().get(0), Tensor.fromLongs(dev.onnxport.ir.DType.UINT8,
                        g.inputs().get(0).shape().toArray(), new long[(int) dev.onnxport.ir.Tensor.numel(g.inputs().get(0).shape().toArray())])));
                for (Tensor t : y.values()) assertEquals(dev.onnxport.ir.DType.UINT8, t.dtype());
            }
        }
    }

    /** Every op on the supported list, every shape static, every tensor int8/uint8 but int32 constants (biases, shapes, axes). */
    static void assertEdgeTpuReady(byte[] bytes) {
        Model m = Model.getRootAsModel(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));
        SubGraph g = m.subgraphs(0);
        List<String> bad = new ArrayList<>();
        for (int k = 0; k < g.operatorsLength(); k++) {
            tflite.OperatorCode c = m.operatorCodes((int) g.operators(k).opcodeIndex());
            int b = Math.max(c.builtinCode(), c.deprecatedBuiltinCode());
            if (!EdgeTpuCheck.SUPPORTED.contains(b)) bad.add("op " + k + " " + BuiltinOperator.name(b) + " is not on the supported list");
        }
        for (int i = 0; i < g.tensorsLength(); i++) {
            tflite.Tensor t = g.tensors(i);
            for (int d = 0; d < t.shapeSignatureLength(); d++) if (t.shapeSignature(d) < 0) bad.add("tensor '" + t.name() + "' has a dynamic shape");
            boolean constant = t.buffer() != 0 && m.buffers((int) t.buffer()).dataLength() > 0;
            boolean ok = t.type() == TensorType.INT8 || t.type() == TensorType.UINT8 || t.type() == TensorType.INT32 && constant;
            if (!ok) bad.add("tensor '" + t.name() + "' is " + TensorType.name(t.type()) + (constant ? " (constant)" : ""));
        }
        assertTrue(bad.isEmpty(), String.join("\n", bad));
    }

    @Test
    void cliTinyCnn(@TempDir Path out) throws Exception {
        Assumptions.assumeTrue(Int8Data.data() != null, "no shared data folder with coco20");
        Int8Data.useSharedCoco20(dir.resolve("cache2"));
        CliRun.Result r = run("convert", Int8CliTest.TINY.toString(), "--to", "edgetpu", "-o", out.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("edgetpu: all ") && r.out().contains("ops would map to the Edge TPU"), r.out());
        Path f = out.resolve("tiny_cnn_edgetpu_ready.tflite");
        assertEquals(List.of("tiny_cnn_edgetpu_ready.tflite"), CliRun.list(out));
        assertEdgeTpuReady(Files.readAllBytes(f));
        assertTrue(r.out().contains("input  image          uint8 [1,32,32,3]"), r.out());
        // dynamic shapes and float I/O are refused
        Path dyn = new OnnxBuilder(14).input("x", OnnxBuilder.FLOAT, -1, 3, 8, 8).output("y").node("Relu", "x", "y").save(out.resolve("../dyn.onnx"));
        r = run("convert", dyn.toString(), "--to", "edgetpu", "-o", out.resolve("d").toString(), "--calib", "coco20");
        assertTrue(r.code() != 0, r.toString());
        r = run("convert", Int8CliTest.TINY.toString(), "--to", "edgetpu", "--io-dtype", "float32", "-o", out.resolve("e").toString());
        assertEquals(2, r.code(), r.toString());
    }
}
