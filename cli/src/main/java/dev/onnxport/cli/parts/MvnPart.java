package dev.onnxport.cli.parts;

import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Value;

import java.util.List;

/**
 * MeanVarianceNormalization over the given axes, for the mvn-decompose pass to rewrite as ReduceMean / Sub / Mul /
 * Sqrt / Add / Div: y = (x - mean(x)) / (sqrt(mean((x - mean(x))^2)) + 1e-9), as ONNX defines it. Input {@code x},
 * output {@code y} of the same shape.
 */
public final class MvnPart {
    public record Options(List<Dim> shape, long[] axes, int opset) {}

    public static final String PASS = "mvn-decompose";

    private MvnPart() {}

    public static Graph build(Options o) {
        int rank = o.shape().size();
        if (o.axes().length == 0) throw new IllegalArgumentException("--axes is empty");
        long[] axes = o.axes().clone();
        for (int i = 0; i < axes.length; i++) {
            if (axes[i] < -rank || axes[i] >= rank) throw new IllegalArgumentException("--axes " + axes[i] + " is outside a rank-" + rank + " shape");
            if (axes[i] < 0) axes[i] += rank;
            for (int j = 0; j < i; j++) if (axes[j] == axes[i]) throw new IllegalArgumentException("--axes names axis " + axes[i] + " twice");
        }
        PartGraph p = new PartGraph("mvn", o.opset());
        Value x = p.input("x", DType.FLOAT32, o.shape());
        Value y = p.op("MeanVarianceNormalization", "mvn", List.of(x), Attrs.builder().put("axes", axes).build(),
                PartGraph.type(DType.FLOAT32, o.shape()));
        p.output(y, "y");
        return p.g;
    }
}
