package dev.onnxport.cli.parts;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Value;

import java.util.List;

/**
 * GridSample (4-D, bilinear or nearest, zeros or border padding) as a node of opset 16, for the gridsample-decompose
 * pass to rewrite into opset-11 primitives: input {@code x} [N, C, H, W], {@code grid} [N, Ho, Wo, 2] (x, y in
 * [-1, 1]), output {@code y} [N, C, Ho, Wo]. Shapes must be static (the decomposition needs them).
 */
public final class GridSamplePart {
    public enum Mode { bilinear, nearest }

    public enum Padding { zeros, border }

    public record Options(long[] inputShape, long outHeight, long outWidth, Mode mode, Padding padding, boolean alignCorners, int opset) {}

    /** The pass that rewrites the op this part writes. */
    public static final String PASS = "gridsample-decompose";

    private GridSamplePart() {}

    public static Graph build(Options o) {
        long[] s = o.inputShape();
        if (s.length != 4) throw new IllegalArgumentException("--input-shape must be N,C,H,W");
        for (long d : s) if (d < 1) throw new IllegalArgumentException("--input-shape dims must be positive");
        if (o.outHeight() < 1 || o.outWidth() < 1) throw new IllegalArgumentException("--output-size must be positive");
        PartGraph p = new PartGraph("gridsample", o.opset());
        Value x = p.input("x", DType.FLOAT32, Shape.of(s).dims());
        Value grid = p.input("grid", DType.FLOAT32, Shape.of(s[0], o.outHeight(), o.outWidth(), 2).dims());
        Attrs a = Attrs.builder().put("mode", o.mode().name()).put("padding_mode", o.padding().name())
                .put("align_corners", o.alignCorners() ? 1L : 0L).build();
        Value y = p.opsAt("", 16, "GridSample", "grid_sample", List.of(x, grid), a, List.of("y"),
                List.of(PartGraph.type(DType.FLOAT32, Dim.of(s[0]), Dim.of(s[1]), Dim.of(o.outHeight()), Dim.of(o.outWidth())))).get(0);
        p.output(y, "y");
        return p.g;
    }
}
