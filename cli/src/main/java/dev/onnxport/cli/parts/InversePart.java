package dev.onnxport.cli.parts;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Value;

import java.util.ArrayList;
import java.util.List;

/**
 * The inverse of batched n x n matrices: a com.microsoft Inverse node for the inverse-decompose pass to rewrite into
 * standard ops (closed form up to 4x4, unrolled Gauss-Jordan elimination with partial pivoting up to 8x8). Input
 * {@code x} [batch..., n, n], output {@code inverse} of the same shape; the batch dims may be symbolic.
 */
public final class InversePart {
    public record Options(List<Dim> batch, int size, int opset) {}

    public static final String PASS = "inverse-decompose";
    public static final int MAX_SIZE = 8;

    private InversePart() {}

    public static Graph build(Options o) {
        if (o.size() < 1 || o.size() > MAX_SIZE) throw new IllegalArgumentException("--size must be 1.." + MAX_SIZE);
        List<Dim> shape = new ArrayList<>(o.batch());
        shape.add(Dim.of(o.size()));
        shape.add(Dim.of(o.size()));
        PartGraph p = new PartGraph("inverse", o.opset());
        Value x = p.input("x", DType.FLOAT32, shape);
        Value inv = p.opsAt("com.microsoft", 1, "Inverse", "inverse", List.of(x), Attrs.EMPTY, List.of("inverse"),
                List.of(PartGraph.type(DType.FLOAT32, shape))).get(0);
        p.output(inv, "inverse");
        return p.g;
    }
}
