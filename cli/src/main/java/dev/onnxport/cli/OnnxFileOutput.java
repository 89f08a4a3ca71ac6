package dev.onnxport.cli;

import dev.onnxport.backends.onnx.OnnxBackend;
import dev.onnxport.backends.onnx.OnnxOptions;
import dev.onnxport.ir.Graph;
import dev.onnxport.schemas.onnx.OnnxProto.ModelProto;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Writes one generated ONNX model (make, merge) atomically, and prints what was written. */
final class OnnxFileOutput {
    private OnnxFileOutput() {}

    /** Serializes g, writes it to file (all or nothing) and, unless quiet, prints a summary. */
    static void write(Graph g, OnnxOptions opts, Path file, boolean quiet, PrintWriter out) {
        if (file.getFileName() == null) throw CliException.usage("-o '" + file + "' is not a file name");
        if (Files.isDirectory(file)) throw CliException.usage("-o '" + file + "' is a folder; give a file name");
        byte[] bytes;
        try {
            bytes = OnnxBackend.emit(g, opts);
        } catch (RuntimeException e) {
            throw CliException.failed("cannot write the model: " + e.getMessage(), e);
        }
        Path dir = file.toAbsolutePath().getParent();
        String name = file.getFileName().toString();
        try {
            OutputWriter.commit(dir, List.of(OutputWriter.bytes(name, bytes)));
        } catch (IOException e) {
            throw CliException.failed("cannot write '" + file + "' (nothing was written): " + e, e);
        }
        if (quiet) return;
        ModelInfo info;
        try {
            info = OnnxInspector.inspect(ModelProto.parseFrom(bytes), file.toString(), bytes.length);
        } catch (IOException e) {
            out.println("wrote " + file);
            return;
        }
        out.println("wrote " + file + " (" + ModelInfo.kb(info.sizeBytes) + ", " + info.nodeCount + " nodes, opset "
                + info.opsets.getOrDefault("", 0L) + ")");
        int w = 0;
        for (ModelInfo.TensorDesc t : info.inputs) w = Math.max(w, t.name().length());
        for (ModelInfo.TensorDesc t : info.outputs) w = Math.max(w, t.name().length());
        for (ModelInfo.TensorDesc t : info.inputs) out.println(line("input ", t, w));
        for (ModelInfo.TensorDesc t : info.outputs) out.println(line("output", t, w));
        out.flush();
    }

    private static String line(String kind, ModelInfo.TensorDesc t, int w) {
        return String.format(Locale.ROOT, "  %s %-" + Math.max(1, w) + "s  %s %s", kind, t.name(), t.dtype(), t.shapeText());
    }
}
