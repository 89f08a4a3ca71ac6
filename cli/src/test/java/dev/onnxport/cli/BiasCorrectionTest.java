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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bias correction against the real runtime: a convolution whose weights all round the same way (each sits 0.45 of
 * an int8 step above a step, the channel maximum exactly on one) shifts every output by about -26 x 0.45/127 x the
 * input's mean. Run in the TFLite 2.6 interpreter on coco20, the int8 model's mean output error must be that shift
 * without correction and a small fraction of it with correction.
 */
class BiasCorrectionTest {
    @TempDir static Path dir;

    @Test
    void takesTheWeightRoundingShiftOffTheBias() throws Exception {
        Int8Data.useSharedCoco20(dir.resolve("cache"));
        Assumptions.assumeTrue(Int8Data.data() != null, "no shared data folder with coco20");
        float[] w = new float[8 * 3 * 3 * 3];
        Random rnd = new Random(7);
        for (int i = 0; i < w.length; i++) w[i] = (float) ((10 + rnd.nextInt(50) + 0.45) / 127.0);
        for (int o = 0; o < 8; o++) w[o * 27] = 1f; // the channel's max: scale exactly 1/127
        Path f = new OnnxBuilder(14).input("x", OnnxBuilder.FLOAT, 1, 3, 16, 16).output("y")
                .init("w", w, 8, 3, 3, 3).init("b", new float[8], 8)
                .node("Conv", new String[] {"x", "w", "b"}, new String[] {"y"})
                .save(dir.resolve("shift.onnx"));

        double without = meanError(f, false), with = meanError(f, true);
        System.out.printf("BIASCORR mean int8 - float32 output error: %.5f without correction, %.5f with%n", without, with);
        // inputs are coco20 pixels / 255 (mean about 0.45): the expected shift is about -26 * 0.45/127 * 0.45 = -0.041
        assertTrue(without < -0.02, "the weights should shift the uncorrected output down: " + without);
        assertTrue(Math.abs(with) < 0.2 * Math.abs(without), "corrected mean error " + with + " vs " + without);
    }

    static double meanError(Path f, boolean correct) throws Exception {
        Graph gf = OnnxFrontend.load(f).graph();
        Pipelines.prepareTflite(gf, PassOptions.DEFAULT);
        TfliteBackend.Emitted em = new TfliteBackend().emitModel(gf, TfliteOptions.FLOAT32);
        byte[] floatModel = em.finish();
        Graph g = OnnxFrontend.load(f).graph();
        List<Map<String, Tensor>> samples = CalibrationData.samples(List.of(new CalibrationData.Source(null, "coco20")),
                Int8Pipeline.inputs(g), CalibrationData.Preprocess.DEFAULT, s -> {});
        Int8Pipeline.Output out = Int8Pipeline.convert(g, OnnxFrontend.parse(f), PassOptions.DEFAULT, samples,
                new Int8Pipeline.Options(Calibrator.Options.DEFAULT, TfliteQuantizer.Options.DEFAULT, false, correct));
        assertEquals(correct ? 1 : 0, out.quantization().biasCorrected());
        List<String> bad = TfliteQuantCheck.violations(out.model());
        assertTrue(bad.isEmpty(), String.join("\n", bad));
        double sum = 0;
        long n = 0;
        try (TfliteRunner fr = new TfliteRunner(floatModel); TfliteRunner qr = new TfliteRunner(out.model())) {
            for (Map<String, Tensor> s : samples) {
                Map<String, Tensor> in = Calibrator.tfliteInputs(gf, em, s);
                FloatBuffer a = fr.run(in).get("y").data().asFloatBuffer(), q = qr.run(in).get("y").data().asFloatBuffer();
                for (int i = 0; i < a.limit(); i++) {
                    sum += q.get(i) - a.get(i);
                    n++;
                }
            }
        }
        return sum / n;
    }
}
