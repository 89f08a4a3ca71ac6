package dev.onnxport.passes.portable;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.passes.PassContext;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Random;

import static dev.onnxport.passes.portable.Ort.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** fused-argmax (approximate by design): same shapes, high pixel agreement on smooth maps, agreement logged. */
class FusedArgmaxTest {
    final Random rnd = new Random(23);

    /** Smooth logits: a few low-frequency cosines per channel. */
    Tensor smooth(long n, long c, long h, long w) {
        float[] v = new float[(int) (n * c * h * w)];
        for (int b = 0; b < n; b++) for (int k = 0; k < c; k++) for (int t = 0; t < 3; t++) {
            double fx = 1 + rnd.nextInt(3), fy = 1 + rnd.nextInt(3), ph = rnd.nextDouble() * 6.28;
            for (int i = 0; i < h; i++) for (int j = 0; j < w; j++)
                v[(int) (((b * c + k) * h + i) * w + j)] += (float) Math.cos(2 * Math.PI * (fx * j / w + fy * i / h) + ph);
        }
        return Tensor.ofFloats(new long[] {n, c, h, w}, v);
    }

    Graph graph(int opset, long[] s, boolean keep) {
        Graph g = Ort.graph(opset);
        Value x = g.addInput("x", f32(s));
        long[] o = keep ? new long[] {s[0], 1, s[2], s[3]} : new long[] {s[0], s[2], s[3]};
        g.addOutput(Ort.node(g, "ArgMax", Attrs.builder().put("axis", 1L).put("keepdims", keep ? 1L : 0L).build(), ValueType.of(DType.INT64, o), x));
        return g;
    }

    @Test void agreesOnSmoothMaps() {
        long[][] shapes = {{1, 5, 64, 64}, {2, 3, 80, 96}, {1, 19, 128, 100}};
        for (long[] s : shapes) for (int opset : new int[] {11, 13}) for (boolean keep : new boolean[] {true, false}) {
            Graph g = graph(opset, s, keep);
            Tensor x = smooth(s[0], s[1], s[2], s[3]);
            Tensor exact = Ort.run(g, Map.of("x", x)).values().iterator().next();
            PassContext ctx = Ort.ctx();
            assertTrue(new FusedArgmax().run(g, ctx));
            assertEquals(1, Ort.count(g, "ArgMax"));
            assertEquals(2, Ort.count(g, "Resize"));
            Tensor got = Ort.run(g, Map.of("x", x)).values().iterator().next();
            assertEquals(java.util.Arrays.toString(exact.shape()), java.util.Arrays.toString(got.shape()));
            double agree = FusedArgmax.agreement(exact.toLongs(), got.toLongs());
            // onnxruntime computes what the rewrite means (the Java model of it), up to float rounding at ties
            int c = (int) s[1], h = (int) s[2], w = (int) s[3];
            float[] xv = x.toFloats();
            long[] sim = new long[(int) (s[0] * h * w)];
            for (int b = 0; b < s[0]; b++)
                System.arraycopy(FusedArgmax.simulate(java.util.Arrays.copyOfRange(xv, b * c * h * w, (b + 1) * c * h * w), c, h, w, 0.5), 0, sim, b * h * w, h * w);
            double model = FusedArgmax.agreement(sim, got.toLongs());
            System.out.printf("fused-argmax %s: agreement with exact %.4f, with the model %.5f%n", java.util.Arrays.toString(s), agree, model);
            assertTrue(model > 0.999, "onnxruntime vs model " + model);
            assertTrue(agree > 0.85, "agreement " + agree);
            assertTrue(ctx.log().toString().contains("pixel agreement"), ctx.log().toString());
        }
    }

    @Test void optInAndScaleOption() {
        assertTrue(PortablePasses.isOptIn("fused-argmax"));
        assertTrue(PortablePasses.defaults().stream().noneMatch(p -> p.name().equals("fused-argmax")));
        Graph g = graph(13, new long[] {1, 4, 64, 64}, true);
        new FusedArgmax(PortableOptions.DEFAULT.withArgmaxScale(0.25)).run(g, Ort.ctx());
        assertTrue(g.dump().contains("[1, 4, 16, 16]"), g.dump());
    }

    @Test void unchangedOnSmallMaps() {
        var log = Ort.assertUnchanged(graph(13, new long[] {1, 3, 8, 8}, true), new FusedArgmax());
        assertTrue(log.toString().contains("smaller"), log.toString());
    }
}
