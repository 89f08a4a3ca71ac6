package dev.onnxport.cli;

import dev.onnxport.backends.runtime.OrtRunner;
import dev.onnxport.frontends.onnx.OnnxFrontend;
import dev.onnxport.ir.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.onnxport.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MakeNmsTest {
    static final int B = 2, C = 3, N = 200, K = 12;
    static final float IOU = 0.4f, SCORE = 0.25f;

    /** Runs an NMS model in onnxruntime and checks every output row against the reference. */
    static void check(byte[] model, Map<String, Tensor> feed, List<NmsReference.Kept> want) {
        Map<String, Tensor> got;
        try (OrtRunner ort = new OrtRunner(model)) {
            assertEquals(List.of("selected_boxes", "selected_scores", "selected_classes", "selected_batch_index"),
                    ort.outputNames().stream().filter(n -> n.startsWith("selected_")).toList());
            got = ort.run(feed);
        }
        int m = want.size();
        assertArrayEquals(new long[] {m, 4}, got.get("selected_boxes").shape());
        assertArrayEquals(new long[] {m}, got.get("selected_scores").shape());
        float[] boxes = got.get("selected_boxes").toFloats(), scores = got.get("selected_scores").toFloats();
        long[] classes = got.get("selected_classes").toLongs(), batch = got.get("selected_batch_index").toLongs();
        for (int i = 0; i < m; i++) {
            NmsReference.Kept k = want.get(i);
            assertEquals(k.batch(), batch[i], "row " + i + " batch");
            assertEquals(k.cls(), classes[i], "row " + i + " class");
            assertEquals(k.score(), scores[i], 1e-6f, "row " + i + " score");
            for (int j = 0; j < 4; j++) assertEquals(k.coords()[j], boxes[4 * i + j], 1e-4f, "row " + i + " coord " + j);
        }
    }

    /** The reference keeps fewer boxes than pass the score threshold (IoU suppression happens) and fills K somewhere. */
    static void assertMeaningful(float[][][] scores, List<NmsReference.Kept> want, Float thr, int k) {
        long above = 0;
        for (float[][] x : scores) for (float[] y : x) for (float v : y) if (thr == null || v > thr) above++;
        assertTrue(want.size() < above, "suppression happened");
        boolean full = false;
        for (int b = 0; b < scores.length; b++)
            for (int c = 0; c < scores[b].length; c++) {
                int bb = b, cc = c;
                if (want.stream().filter(x -> x.batch() == bb && x.cls() == cc).count() == k) full = true;
            }
        assertTrue(full, "some class reached --max-output");
        for (int b = 0; b < scores.length; b++) {
            int bb = b;
            assertTrue(want.stream().anyMatch(x -> x.batch() == bb), "every batch keeps boxes");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"xyxy", "yxyx", "cxcywh"})
    void everyBatchAndClassMatchesThePlainJavaNms(String format, @TempDir Path dir) throws Exception {
        Path f = dir.resolve("nms.onnx");
        CliRun.Result r = run("make", "nms", "--batches", "" + B, "--classes", "" + C, "--boxes", "" + N, "--max-output", "" + K,
                "--iou", "" + IOU, "--score", "" + SCORE, "--box-format", format, "-o", f.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("wrote " + f) && r.out().contains("opset 11"), r.out());
        assertTrue(r.out().matches("(?s).*output selected_boxes\\s+float32 \\[num_selected,4\\].*"), r.out());
        assertEquals(11, OnnxFrontend.load(f).graph().opset());

        Random rnd = new Random(7 + format.hashCode());
        float[][][] boxes = NmsReference.boxes(rnd, B, N, format);
        float[][][] scores = NmsReference.scores(rnd, B, C, N);
        List<NmsReference.Kept> want = NmsReference.nms(boxes, scores, format, K, IOU, SCORE);
        assertMeaningful(scores, want, SCORE, K);
        check(Files.readAllBytes(f), Map.of("boxes", Tensor.ofFloats(new long[] {B, N, 4}, NmsReference.flat(boxes)),
                "scores", Tensor.ofFloats(new long[] {B, C, N}, NmsReference.flat(scores))), want);
    }

    @Test
    void dynamicDimsNoScoreThresholdAndOpset13(@TempDir Path dir) throws Exception {
        // IoU threshold 0: any overlap suppresses, so every box edge matters (a wrong cxcywh conversion shows)
        Path f = dir.resolve("nms13.onnx");
        CliRun.Result r = run("make", "nms", "--batches", "batch", "--classes", "2", "--boxes", "n", "--max-output", "" + K,
                "--iou", "0", "--box-format", "cxcywh", "--opset", "13", "-q", "-o", f.toString());
        assertEquals(0, r.code(), r.toString());
        assertEquals("", r.out());
        assertEquals(13, OnnxFrontend.load(f).graph().opset());
        Random rnd = new Random(99);
        int b = 3, n = 40;
        float[][][] boxes = NmsReference.boxes(rnd, b, n, "cxcywh");
        float[][][] scores = NmsReference.scores(rnd, b, 2, n);
        List<NmsReference.Kept> want = NmsReference.nms(boxes, scores, "cxcywh", K, 0f, null);
        assertMeaningful(scores, want, null, K);
        check(Files.readAllBytes(f), Map.of("boxes", Tensor.ofFloats(new long[] {b, n, 4}, NmsReference.flat(boxes)),
                "scores", Tensor.ofFloats(new long[] {b, 2, n}, NmsReference.flat(scores))), want);
    }

    @Test
    void cxcywhCornersAreExact(@TempDir Path dir) throws Exception {
        // with IoU threshold 0 any overlap suppresses: B and C end 0.2 short of A's bottom and right edges (kept), D and
        // E overlap them by 0.2 (suppressed by A); a corner off by 0.2 in any direction changes the result
        Path f = dir.resolve("edges.onnx");
        assertEquals(0, run("make", "nms", "--classes", "1", "--boxes", "5", "--max-output", "5", "--iou", "0",
                "--box-format", "cxcywh", "-q", "-o", f.toString()).code());
        float[][][] boxes = {{{10, 10, 10, 10}, {10, 20.2f, 10, 10}, {20.2f, 10, 10, 10}, {10, 19.8f, 10, 10}, {19.8f, 10, 10, 10}}};
        float[][][] scores = {{{0.9f, 0.8f, 0.7f, 0.6f, 0.5f}}};
        List<NmsReference.Kept> want = NmsReference.nms(boxes, scores, "cxcywh", 5, 0f, null);
        assertEquals(List.of(0, 1, 2), want.stream().map(NmsReference.Kept::box).toList(), "A, B and C by hand");
        check(Files.readAllBytes(f), Map.of("boxes", Tensor.ofFloats(new long[] {1, 5, 4}, NmsReference.flat(boxes)),
                "scores", Tensor.ofFloats(new long[] {1, 1, 5}, NmsReference.flat(scores))), want);
    }

    @Test
    void badOptionsAreUsageErrorsAndWriteNothing(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("x.onnx");
        for (String[] bad : List.of(
                new String[] {"--max-output", "0"},
                new String[] {"--max-output", "3", "--iou", "1.5"},
                new String[] {"--max-output", "3", "--box-format", "xywh"},
                new String[] {"--max-output", "3", "--opset", "10"})) {
            String[] args = new String[6 + bad.length + 2];
            System.arraycopy(new String[] {"make", "nms", "--classes", "2", "--boxes", "10"}, 0, args, 0, 6);
            System.arraycopy(bad, 0, args, 6, bad.length);
            args[args.length - 2] = "-o";
            args[args.length - 1] = f.toString();
            CliRun.Result r = run(args);
            assertEquals(2, r.code(), String.join(" ", bad) + "\n" + r);
            assertTrue(r.err().startsWith("onnxport: error: "), r.err());
        }
        assertFalse(Files.exists(f));
    }
}
