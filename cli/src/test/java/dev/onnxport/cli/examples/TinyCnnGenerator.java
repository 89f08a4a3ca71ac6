package dev.onnxport.cli.examples;

import dev.onnxport.backends.onnx.OnnxBackend;
import dev.onnxport.backends.onnx.OnnxOptions;
import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * Generates examples/tiny_cnn.onnx, the README's example model: a tiny image classifier with seeded random weights.
 *
 * <pre>
 * image float32[1,3,32,32]
 *   -> Conv 3->8 3x3 pad 1 -> Relu -> MaxPool 2x2
 *   -> Conv 8->8 3x3 pad 1 -> Relu -> GlobalAveragePool -> Flatten
 *   -> Gemm 8->10 -> Softmax -> probabilities float32[1,10]
 * </pre>
 *
 * Run once from the repository root (the output is deterministic; the worktree's module classes go first on the
 * class path so that stale snapshot jars in ~/.m2 do not shadow them):
 * <pre>
 * mvn -q -o test-compile -pl cli -am
 * mvn -q -o dependency:build-classpath -pl cli -Dmdep.outputFile=target/cp.txt
 * CP=cli/target/test-classes:cli/target/classes; for m in schemas ir frontends passes backends; do CP=$CP:$m/target/classes; done
 * java -cp "$CP:$(cat cli/target/cp.txt)" dev.onnxport.cli.examples.TinyCnnGenerator examples/tiny_cnn.onnx
 * </pre>
 */
public final class TinyCnnGenerator {
    public static final long SEED = 20240601L;
    public static final int OPSET = 17;

    private TinyCnnGenerator() {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "examples/tiny_cnn.onnx");
        if (out.getParent() != null) Files.createDirectories(out.getParent());
        byte[] bytes = OnnxBackend.emit(build(), new OnnxOptions(null, "onnxport TinyCnnGenerator"));
        Files.write(out, bytes);
        System.out.println("wrote " + out + " (" + bytes.length + " bytes)");
    }

    public static Graph build() {
        Random rnd = new Random(SEED);
        Graph g = new Graph("tiny_cnn");
        g.opsets().put("", OPSET);
        Value image = g.addInput("image", ValueType.of(DType.FLOAT32, 1, 3, 32, 32));

        Value w1 = g.addConstant("conv1.weight", weights(rnd, new long[] {8, 3, 3, 3}, 3 * 9));
        Value b1 = g.addConstant("conv1.bias", weights(rnd, new long[] {8}, 10));
        Node conv1 = node(g, "Conv", "conv1", List.of(image, w1, b1), convAttrs(), f32(1, 8, 32, 32));
        Node relu1 = node(g, "Relu", "relu1", List.of(conv1.output()), Attrs.EMPTY, f32(1, 8, 32, 32));
        Node pool1 = node(g, "MaxPool", "pool1", List.of(relu1.output()),
                Attrs.builder().put("kernel_shape", new long[] {2, 2}).put("strides", new long[] {2, 2}).build(), f32(1, 8, 16, 16));

        Value w2 = g.addConstant("conv2.weight", weights(rnd, new long[] {8, 8, 3, 3}, 8 * 9));
        Value b2 = g.addConstant("conv2.bias", weights(rnd, new long[] {8}, 10));
        Node conv2 = node(g, "Conv", "conv2", List.of(pool1.output(), w2, b2), convAttrs(), f32(1, 8, 16, 16));
        Node relu2 = node(g, "Relu", "relu2", List.of(conv2.output()), Attrs.EMPTY, f32(1, 8, 16, 16));
        Node gap = node(g, "GlobalAveragePool", "gap", List.of(relu2.output()), Attrs.EMPTY, f32(1, 8, 1, 1));
        Node flat = node(g, "Flatten", "flatten", List.of(gap.output()), Attrs.builder().put("axis", 1L).build(), f32(1, 8));

        Value wf = g.addConstant("fc.weight", weights(rnd, new long[] {10, 8}, 8));
        Value bf = g.addConstant("fc.bias", weights(rnd, new long[] {10}, 10));
        Node fc = node(g, "Gemm", "fc", List.of(flat.output(), wf, bf), Attrs.builder().put("transB", 1L).build(), f32(1, 10));
        Node sm = g.addNodeExact("", "Softmax", "softmax", List.of(fc.output()), Attrs.builder().put("axis", 1L).build(), OPSET,
                List.of("probabilities"));
        sm.output().setType(f32(1, 10));
        g.addOutput(sm.output());
        return g;
    }

    private static Attrs convAttrs() {
        return Attrs.builder().put("kernel_shape", new long[] {3, 3}).put("pads", new long[] {1, 1, 1, 1}).build();
    }

    private static Node node(Graph g, String op, String name, List<Value> ins, Attrs a, ValueType t) {
        Node n = g.addNodeExact("", op, name, ins, a, OPSET, List.of(name + "_out"));
        n.output().setType(t);
        return n;
    }

    private static ValueType f32(long... dims) { return ValueType.of(DType.FLOAT32, dims); }

    /** Uniform(-1,1) * sqrt(3 / fanIn) (He-like scale), rounded to 1/1024 so the values print exactly. */
    private static Tensor weights(Random rnd, long[] shape, int fanIn) {
        float[] v = new float[(int) Tensor.numel(shape)];
        double scale = Math.sqrt(3.0 / fanIn);
        for (int i = 0; i < v.length; i++) v[i] = Math.round((rnd.nextDouble() * 2 - 1) * scale * 1024) / 1024f;
        return Tensor.ofFloats(shape, v);
    }
}
