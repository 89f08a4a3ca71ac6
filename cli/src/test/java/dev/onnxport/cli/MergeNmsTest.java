package dev.onnxport.cli;

import dev.onnxport.backends.runtime.OrtRunner;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.onnxport.cli.CliRun.run;
import static dev.onnxport.cli.TestModels.attrs;
import static dev.onnxport.cli.TestModels.f32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The NMS part merged behind a detector-like model gives what the plain Java NMS gives on the detector's outputs. */
class MergeNmsTest {
    static final int B = 2, N = 150, C = 4, K = 10;
    static final float STRIDE = 64f;

    /**
     * A YOLO-like head: features [B, N, 4 + C] -> boxes = features[..., :4] * 64 (cx, cy, w, h), scores =
     * transpose(sigmoid(features[..., 4:]), [0, 2, 1]) [B, C, N], and objectness = max over classes [B, N].
     */
    static Path detector(Path file, int opset) throws Exception {
        return new TestModels("detector", opset)
                .input("features", DType.FLOAT32, B, N, 4 + C)
                .constant("starts_box", Tensor.ofLongs(new long[] {1}, 0)).constant("ends_box", Tensor.ofLongs(new long[] {1}, 4))
                .constant("starts_cls", Tensor.ofLongs(new long[] {1}, 4)).constant("ends_cls", Tensor.ofLongs(new long[] {1}, 4 + C))
                .constant("axis2", Tensor.ofLongs(new long[] {1}, 2)).constant("stride", Tensor.scalarFloat(STRIDE))
                .node("slice_box", "Slice", null, "raw_boxes", f32(B, N, 4), "features", "starts_box", "ends_box", "axis2")
                .node("scale_box", "Mul", null, "boxes", f32(B, N, 4), "raw_boxes", "stride")
                .node("slice_cls", "Slice", null, "logits", f32(B, N, C), "features", "starts_cls", "ends_cls", "axis2")
                .node("sigmoid", "Sigmoid", null, "probs", f32(B, N, C), "logits")
                .node("to_bcn", "Transpose", attrs("perm", new long[] {0, 2, 1}), "scores", f32(B, C, N), "probs")
                .node("objectness", "ReduceMax", attrs("axes", new long[] {2}, "keepdims", 0), "objectness", f32(B, N), "probs")
                .output("boxes", "objectness", "scores")
                .write(file);
    }

    @Test
    void nmsBehindADetectorMatchesTheReference(@TempDir Path dir) throws Exception {
        Path det = detector(dir.resolve("det.onnx"), 11);
        Path nms = dir.resolve("nms.onnx");
        float iou = 0.45f, score = 0.6f;
        assertEquals(0, run("make", "nms", "--batches", "" + B, "--classes", "" + C, "--boxes", "" + N, "--max-output", "" + K,
                "--iou", "" + iou, "--score", "" + score, "--box-format", "cxcywh", "-q", "-o", nms.toString()).code());
        Path merged = dir.resolve("det_nms.onnx");
        CliRun.Result r = run("merge", det.toString(), nms.toString(), "--connect", "boxes:boxes,scores:scores", "-o", merged.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals("", r.err(), "no name of the NMS part collides with the detector's");
        assertTrue(r.out().contains("wrote " + merged) && r.out().contains("opset 11"), r.out());

        // features: centres in [0, 100) and sides in [5, 35) after the x64 scale; logits in [-4, 4)
        Random rnd = new Random(2024);
        float[] feats = new float[B * N * (4 + C)];
        float[][][] boxes = new float[B][N][4];
        float[][][] scores = new float[B][C][N];
        for (int b = 0; b < B; b++)
            for (int n = 0; n < N; n++) {
                int base = (b * N + n) * (4 + C);
                float[] raw = {rnd.nextFloat() * 100 / STRIDE, rnd.nextFloat() * 100 / STRIDE, (5 + rnd.nextFloat() * 30) / STRIDE,
                        (5 + rnd.nextFloat() * 30) / STRIDE};
                for (int j = 0; j < 4; j++) {
                    feats[base + j] = raw[j];
                    boxes[b][n][j] = raw[j] * STRIDE;
                }
                for (int c = 0; c < C; c++) {
                    float logit = rnd.nextFloat() * 8 - 4;
                    feats[base + 4 + c] = logit;
                    scores[b][c][n] = (float) (1 / (1 + Math.exp(-logit)));
                }
            }
        List<NmsReference.Kept> want = NmsReference.nms(boxes, scores, "cxcywh", K, iou, score);
        MakeNmsTest.assertMeaningful(scores, want, score, K);

        byte[] model = Files.readAllBytes(merged);
        Map<String, Tensor> feed = Map.of("features", Tensor.ofFloats(new long[] {B, N, 4 + C}, feats));
        try (OrtRunner ort = new OrtRunner(model)) {
            assertEquals(List.of("features"), ort.inputNames());
            assertEquals(List.of("objectness", "selected_boxes", "selected_scores", "selected_classes", "selected_batch_index"),
                    ort.outputNames(), "the detector's unconnected output stays, then the part's");
            float[] obj = ort.run(feed).get("objectness").toFloats();
            for (int b = 0; b < B; b++)
                for (int n = 0; n < N; n++) {
                    float m = 0;
                    for (int c = 0; c < C; c++) m = Math.max(m, scores[b][c][n]);
                    assertEquals(m, obj[b * N + n], 1e-6f);
                }
        }
        MakeNmsTest.check(model, feed, want);
    }

    @Test
    void aPartWrittenAtAHigherOpsetJoinsAtThatOpset(@TempDir Path dir) throws Exception {
        // every detector op reads the same at opset 13 (Slice, Mul, Sigmoid, Transpose, ReduceMax only gained types)
        Path det = detector(dir.resolve("det11.onnx"), 11);
        Path nms = dir.resolve("nms13.onnx");
        assertEquals(0, run("make", "nms", "--batches", "" + B, "--classes", "" + C, "--boxes", "" + N, "--max-output", "3",
                "--box-format", "cxcywh", "--opset", "13", "-q", "-o", nms.toString()).code());
        Path merged = dir.resolve("m.onnx");
        CliRun.Result r = run("merge", det.toString(), nms.toString(), "--connect", "boxes:boxes", "--connect", "scores:scores",
                "-o", merged.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("opset 13"), r.out());
        try (OrtRunner ort = new OrtRunner(Files.readAllBytes(merged))) {
            Tensor y = ort.run(Map.of("features", Tensor.ofFloats(new long[] {B, N, 4 + C}, TestModels.random(new Random(1), B * N * (4 + C), -1, 1))))
                    .get("selected_classes");
            assertTrue(y.numel() > 0 && y.numel() <= (long) B * C * 3, "" + y.numel());
        }
    }
}
