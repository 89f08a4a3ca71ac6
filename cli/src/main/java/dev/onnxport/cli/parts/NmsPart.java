package dev.onnxport.cli.parts;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A batched multi-class non-maximum suppression block around ONNX NonMaxSuppression (opset 10+; written at 11+).
 *
 * <p>Inputs: {@code boxes} float32 [B, N, 4] in the chosen box format, {@code scores} float32 [B, C, N].
 * NonMaxSuppression reads corners as y1,x1,y2,x2, so other formats are converted first: xyxy (PyTorch, x1,y1,x2,y2)
 * by a Gather that swaps the coordinates, cxcywh (centre and size) by a MatMul with a constant 4x4 matrix
 * (y1 = cy - h/2, ...). For each batch and class independently, boxes scoring above the score threshold are taken
 * in descending score order and each one removes the later boxes whose IoU with it exceeds the IoU threshold, up to
 * {@code maxOutput} boxes per class.
 *
 * <p>Outputs, M = the number of boxes kept over all batches and classes (dynamic, at most B*C*maxOutput), rows
 * ordered by batch, then class, then descending score:
 * <ul>
 *   <li>{@code selected_boxes} float32 [M, 4]: the kept boxes, in the input's box format</li>
 *   <li>{@code selected_scores} float32 [M]: their scores for the class they were kept for</li>
 *   <li>{@code selected_classes} int64 [M]: that class</li>
 *   <li>{@code selected_batch_index} int64 [M]: the batch each box comes from</li>
 * </ul>
 * A box can be kept for several classes (one row each).
 */
public final class NmsPart {
    public enum BoxFormat {
        xyxy, yxyx, cxcywh;

        public static BoxFormat parse(String s) { return valueOf(s.toLowerCase(Locale.ROOT)); }
    }

    /** The block's parameters; batches, classes and boxes are sizes or symbolic dims; scoreThreshold null: none. */
    public record Options(Dim batches, Dim classes, Dim boxes, long maxOutput, float iouThreshold, Float scoreThreshold,
                          BoxFormat format, int opset) {}

    public static final List<String> OUTPUTS = List.of("selected_boxes", "selected_scores", "selected_classes", "selected_batch_index");

    private NmsPart() {}

    public static Graph build(Options o) {
        if (o.maxOutput() < 1) throw new IllegalArgumentException("--max-output must be at least 1");
        if (!(o.iouThreshold() >= 0 && o.iouThreshold() <= 1)) throw new IllegalArgumentException("--iou must lie in [0, 1]");
        if (o.scoreThreshold() != null && o.scoreThreshold().isNaN()) throw new IllegalArgumentException("--score is NaN");
        PartGraph p = new PartGraph("nms", o.opset());
        Dim b = o.batches(), c = o.classes(), n = o.boxes();
        Value boxes = p.input("boxes", DType.FLOAT32, List.of(b, n, Dim.of(4)));
        Value scores = p.input("scores", DType.FLOAT32, List.of(b, c, n));

        Value corners = switch (o.format()) {
            case yxyx -> boxes;
            case xyxy -> p.op("Gather", "to_yxyx", List.of(boxes, p.ints("xyxy_to_yxyx", 1, 0, 3, 2)),
                    Attrs.builder().put("axis", 2L).build(), PartGraph.type(DType.FLOAT32, b, n, Dim.of(4)));
            case cxcywh -> {
                // rows: cx, cy, w, h; columns: y1, x1, y2, x2
                Value m = p.constant("cxcywh_to_yxyx", Tensor.ofFloats(new long[] {4, 4},
                        0f, 1f, 0f, 1f,
                        1f, 0f, 1f, 0f,
                        0f, -0.5f, 0f, 0.5f,
                        -0.5f, 0f, 0.5f, 0f));
                yield p.op("MatMul", "to_yxyx", PartGraph.type(DType.FLOAT32, b, n, Dim.of(4)), boxes, m);
            }
        };

        List<Value> nmsIn = new ArrayList<>(List.of(corners, scores, p.ints("max_output_boxes_per_class", o.maxOutput()),
                p.floats("iou_threshold", o.iouThreshold())));
        if (o.scoreThreshold() != null) nmsIn.add(p.floats("score_threshold", o.scoreThreshold()));
        Dim m = Dim.sym("num_selected");
        Value selected = p.op("NonMaxSuppression", "selected_indices", nmsIn, Attrs.builder().put("center_point_box", 0L).build(),
                PartGraph.type(DType.INT64, m, Dim.of(3)));

        Attrs axis1 = Attrs.builder().put("axis", 1L).build();
        Value batchIdx = p.op("Gather", "batch_index", List.of(selected, p.scalarInt("col_batch", 0)), axis1, PartGraph.type(DType.INT64, m));
        Value classIdx = p.op("Gather", "class_index", List.of(selected, p.scalarInt("col_class", 1)), axis1, PartGraph.type(DType.INT64, m));
        Value batchBox = p.op("Gather", "batch_box_index", List.of(selected, p.ints("cols_batch_box", 0, 2)), axis1,
                PartGraph.type(DType.INT64, m, Dim.of(2)));
        Value selBoxes = p.op("GatherND", "gather_boxes", PartGraph.type(DType.FLOAT32, m, Dim.of(4)), boxes, batchBox);
        Value selScores = p.op("GatherND", "gather_scores", PartGraph.type(DType.FLOAT32, m), scores, selected);

        p.output(selBoxes, OUTPUTS.get(0));
        p.output(selScores, OUTPUTS.get(1));
        p.output(classIdx, OUTPUTS.get(2));
        p.output(batchIdx, OUTPUTS.get(3));
        return p.g;
    }
}
