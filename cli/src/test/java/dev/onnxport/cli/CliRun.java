package dev.onnxport.cli;

import dev.onnxport.backends.onnx.OnnxBackend;
import dev.onnxport.backends.onnx.OnnxOptions;
import dev.onnxport.ir.Attrs;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Test helpers: run the CLI in-process, build small models. */
final class CliRun {
    private CliRun() {}

    record Result(int code, String out, String err) {
        @Override public String toString() { return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err; }
    }

    static Result run(String... args) {
        StringWriter o = new StringWriter(), e = new StringWriter();
        int code = Main.execute(new PrintWriter(o, true), new PrintWriter(e, true), args);
        return new Result(code, o.toString(), e.toString());
    }

    /** x float32[shape] -> Relu -> y, as an ONNX file. */
    static Path reluModel(Path file, List<Dim> shape) throws IOException {
        Graph g = new Graph("relu");
        g.opsets().put("", 17);
        ValueType t = new ValueType(DType.FLOAT32, Shape.of(shape));
        Value x = g.addInput("x", t);
        Node n = g.addNodeExact("", "Relu", "relu_node", List.of(x), Attrs.EMPTY, 17, List.of("y"));
        n.output().setType(t);
        g.addOutput(n.output());
        Files.createDirectories(file.toAbsolutePath().getParent());
        OnnxBackend.emit(g, OnnxOptions.DEFAULT, file);
        return file;
    }

    static Path reluModel(Path file, long... dims) throws IOException {
        return reluModel(file, Shape.of(dims).dims());
    }

    /** The names of the entries in dir (empty when it does not exist). */
    static List<String> list(Path dir) throws IOException {
        if (!Files.exists(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
