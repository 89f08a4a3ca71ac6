package dev.onnxport.cli;

import dev.onnxport.backends.Pipelines;
import dev.onnxport.backends.quant.CalibrationData;
import dev.onnxport.backends.quant.Calibrator;
import dev.onnxport.backends.quant.Int8Pipeline;
import dev.onnxport.backends.runtime.TfliteRunner;
import dev.onnxport.backends.tflite.TfliteBackend;
import dev.onnxport.backends.tflite.TfliteOptions;
import dev.onnxport.backends.tflite.TfliteQuantCheck;
import dev.onnxport.backends.tflite.TfliteQuantizer;
import dev.onnxport.frontends.onnx.OnnxFrontend;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Tensor;
import dev.onnxport.passes.PassOptions;
import dev.onnxport.schemas.onnx.OnnxProto;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One op after a convolution, quantized to int8 (calibrated on coco20 at 16x16): the file must follow the int8 spec
 * (every tensor checked by {@link TfliteQuantCheck}), load and run in the TFLite 2.6 interpreter, keep every op in
 * int8, and its dequantized output must reach cosine similarity 0.98 with the float32 model's on every image.
 */
class Int8OpsTest {
    @TempDir static Path dir;

    record Case(String name, Consumer<OnnxBuilder> body) {}

    /** x[1,3,16,16] -> Conv 3->8 "c" (and a second conv "d") -> body -> y. */
    static OnnxBuilder base() {
        return new OnnxBuilder(14).input("x", OnnxBuilder.FLOAT, 1, 3, 16, 16).output("y")
                .random("w", 0.3, 8, 3, 3, 3).random("b", 0.1, 8).random("w2", 0.3, 8, 3, 3, 3)
                .node("Conv", new String[] {"x", "w", "b"}, new String[] {"c"}, "pads", new long[] {1, 1, 1, 1})
                .node("Conv", new String[] {"x", "w2"}, new String[] {"d"}, "pads", new long[] {1, 1, 1, 1});
    }

    static final List<Case> CASES = List.of(
            new Case("relu", m -> m.node("Relu", "c", "y")),
            new Case("clip06", m -> m.init("lo", new float[] {0}).init("hi", new float[] {6})
                    .node("Clip", new String[] {"c", "lo", "hi"}, new String[] {"y"})),
            new Case("clip-1-2", m -> m.init("lo", new float[] {-1}).init("hi", new float[] {2})
                    .node("Clip", new String[] {"c", "lo", "hi"}, new String[] {"y"})),
            new Case("leakyrelu", m -> m.node("LeakyRelu", "c", "y", "alpha", 0.1f)),
            new Case("prelu", m -> m.random("s", 0.2, 8, 1, 1).node("PRelu", new String[] {"c", "s"}, new String[] {"y"})),
            new Case("hardswish", m -> m.node("HardSwish", "c", "y")),
            new Case("hardsigmoid", m -> m.node("HardSigmoid", "c", "y")),
            new Case("sigmoid", m -> m.node("Sigmoid", "c", "y")),
            new Case("tanh", m -> m.node("Tanh", "c", "y")),
            new Case("add", m -> m.node("Add", new String[] {"c", "d"}, new String[] {"y"})),
            new Case("sub", m -> m.node("Sub", new String[] {"c", "d"}, new String[] {"y"})),
            new Case("mul", m -> m.node("Mul", new String[] {"c", "d"}, new String[] {"y"})),
            new Case("add-const", m -> m.random("k", 1, 8, 1, 1).node("Add", new String[] {"c", "k"}, new String[] {"y"})),
            new Case("mul-scalar", m -> m.init("k", new float[] {0.25f}).node("Mul", new String[] {"c", "k"}, new String[] {"y"})),
            new Case("div-scalar", m -> m.init("k", new float[] {3f}).node("Div", new String[] {"c", "k"}, new String[] {"y"})),
            new Case("concat", m -> m.node("Relu", "d", "e").node("Concat", new String[] {"c", "e"}, new String[] {"y"}, "axis", 1L)),
            new Case("max", m -> m.node("Max", new String[] {"c", "d"}, new String[] {"y"})),
            new Case("min", m -> m.node("Min", new String[] {"c", "d"}, new String[] {"y"})),
            new Case("maxpool", m -> m.node("MaxPool", "c", "y", "kernel_shape", new long[] {2, 2}, "strides", new long[] {2, 2})),
            new Case("avgpool", m -> m.node("AveragePool", "c", "y", "kernel_shape", new long[] {3, 3}, "strides", new long[] {1, 1},
                    "pads", new long[] {1, 1, 1, 1}, "count_include_pad", 1L)),
            new Case("globalavgpool", m -> m.node("GlobalAveragePool", "c", "y")),
            new Case("globalmaxpool", m -> m.node("GlobalMaxPool", "c", "y")),
            new Case("reducemean", m -> m.node("ReduceMean", "c", "y", "axes", new long[] {2, 3}, "keepdims", 0L)),
            new Case("pad", m -> m.initLong("p", new long[] {0, 0, 1, 2, 0, 0, 2, 1}, 8).node("Pad", new String[] {"c", "p"}, new String[] {"y"})),
            new Case("reshape-softmax", m -> m.initLong("s", new long[] {1, 8, 256}, 3)
                    .node("Reshape", new String[] {"c", "s"}, new String[] {"r"}).node("Softmax", "r", "y", "axis", 1L)),
            new Case("transpose", m -> m.node("Transpose", "c", "y", "perm", new long[] {0, 2, 3, 1})),
            new Case("slice", m -> m.initLong("st", new long[] {1, 2}, 2).initLong("en", new long[] {7, 14}, 2).initLong("ax", new long[] {1, 3}, 2)
                    .node("Slice", new String[] {"c", "st", "en", "ax"}, new String[] {"y"})),
            new Case("gather", m -> m.initLong("i", new long[] {3, 0, 5}, 3).node("Gather", new String[] {"c", "i"}, new String[] {"y"}, "axis", 1L)),
            new Case("split", m -> m.node("Split", new String[] {"c"}, new String[] {"s0", "s1"}, "axis", 1L)
                    .node("Add", new String[] {"s0", "s1"}, new String[] {"y"})),
            new Case("resize-nearest", m -> m.init("sc", new float[] {1, 1, 2, 2}, 4)
                    .node("Resize", new String[] {"c", "", "sc"}, new String[] {"y"}, "mode", "nearest")),
            new Case("resize-linear", m -> m.init("sc", new float[] {1, 1, 2, 2}, 4)
                    .node("Resize", new String[] {"c", "", "sc"}, new String[] {"y"}, "mode", "linear", "coordinate_transformation_mode", "half_pixel")),
            // int8 TILE is written as CONCATENATIONs (TFLite 2.6 has no int8 TILE kernel)
            new Case("tile2", m -> m.initLong("r", new long[] {1, 1, 2, 3}, 4).node("Tile", new String[] {"c", "r"}, new String[] {"y"})),
            new Case("depthtospace", m -> m.node("DepthToSpace", "c", "y", "blocksize", 2L)),
            new Case("spacetodepth", m -> m.node("SpaceToDepth", "c", "y", "blocksize", 2L)),
            new Case("gemm-softmax", m -> m.random("fw", 0.2, 10, 8).random("fb", 0.1, 10)
                    .node("GlobalAveragePool", "c", "g").node("Flatten", "g", "f")
                    .node("Gemm", new String[] {"f", "fw", "fb"}, new String[] {"z"}, "transB", 1L).node("Softmax", "z", "y", "axis", 1L)),
            new Case("matmul", m -> m.random("mw", 0.2, 16, 5).node("MatMul", new String[] {"c", "mw"}, new String[] {"y"})),
            new Case("depthwise", m -> m.random("dw", 0.3, 8, 1, 3, 3).random("db", 0.1, 8)
                    .node("Conv", new String[] {"c", "dw", "db"}, new String[] {"y"}, "group", 8L, "pads", new long[] {1, 1, 1, 1})),
            new Case("dilated", m -> m.random("cw", 0.2, 8, 8, 3, 3)
                    .node("Conv", new String[] {"c", "cw"}, new String[] {"y"}, "dilations", new long[] {2, 2}, "pads", new long[] {2, 2, 2, 2})),
            new Case("convtranspose", m -> m.random("tw", 0.2, 8, 4, 2, 2).random("tb", 0.1, 4)
                    .node("ConvTranspose", new String[] {"c", "tw", "tb"}, new String[] {"y"}, "strides", new long[] {2, 2})),
            new Case("batchnorm-relu", m -> m.random("g", 0.5, 8).random("be", 0.5, 8).random("mu", 0.5, 8)
                    .init("va", new float[] {1, 2, 0.5f, 1, 3, 1, 0.2f, 1}, 8)
                    .node("BatchNormalization", new String[] {"c", "g", "be", "mu", "va"}, new String[] {"n"}).node("Relu", "n", "y")));

    @TestFactory
    Stream<DynamicTest> ops() {
        Int8Data.useSharedCoco20(dir.resolve("cache"));
        Assumptions.assumeTrue(Int8Data.data() != null, "no shared data folder with coco20");
        String filter = System.getProperty("onnxport.int8.cases", "");
        List<DynamicTest> r = new ArrayList<>();
        for (Case c : CASES) if (filter.isEmpty() || c.name().matches(filter)) r.add(DynamicTest.dynamicTest(c.name(), () -> check(c)));
        return r.stream();
    }

    void check(Case c) throws Exception {
        OnnxBuilder b = base();
        c.body().accept(b);
        Path f = b.save(dir.resolve(c.name() + ".onnx"));
        Graph gf = OnnxFrontend.load(f).graph();
        Pipelines.prepareTflite(gf, PassOptions.DEFAULT);
        TfliteBackend.Emitted em = new TfliteBackend().emitModel(gf, TfliteOptions.FLOAT32);
        byte[] floatModel = em.finish();

        Graph g = OnnxFrontend.load(f).graph();
        List<Map<String, Tensor>> samples = CalibrationData.samples(List.of(new CalibrationData.Source(null, "coco20")),
                Int8Pipeline.inputs(g), CalibrationData.Preprocess.DEFAULT, s -> {});
        OnnxProto.ModelProto proto = OnnxFrontend.parse(f);
        Int8Pipeline.Output out = Int8Pipeline.convert(g, proto, PassOptions.DEFAULT, samples, Int8Pipeline.Options.DEFAULT);
        Files.write(dir.resolve(c.name() + "_full_integer_quant.tflite"), out.model());
        Path keep = Path.of("target", "int8", "ops");
        Files.createDirectories(keep);
        Files.write(keep.resolve(c.name() + "_full_integer_quant.tflite"), out.model());
        List<String> bad = TfliteQuantCheck.violations(out.model());
        assertTrue(bad.isEmpty(), String.join("\n", bad));
        assertEquals(Map.of(), out.quantization().floatOps(), "ops left in float32: " + out.quantization().floatReasons());
        double worst = 1;
        try (TfliteRunner fr = new TfliteRunner(floatModel); TfliteRunner qr = new TfliteRunner(out.model())) {
            for (Map<String, Tensor> s : samples) {
                Map<String, Tensor> in = Calibrator.tfliteInputs(gf, em, s);
                Map<String, Tensor> a = fr.run(in), q = qr.run(in);
                for (String k : a.keySet()) worst = Math.min(worst, Int8RealModelsTest.cosine(a.get(k), q.get(k)));
            }
        }
        System.out.println(String.format(Locale.ROOT, "INT8OP %-16s worst cos %.5f  %s", c.name(), worst, TfliteQuantizer.opSummary(out.quantization().model())));
        assertTrue(worst >= 0.98, "worst cosine " + worst);
    }
}
