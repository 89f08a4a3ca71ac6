package dev.onnxport.cli;

import dev.onnxport.frontends.onnx.OnnxFrontend;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.schemas.onnx.OnnxProto.ModelProto;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** {@code onnxport inspect FILE [--json]}. */
@Command(name = "inspect", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Shows what a .onnx or .tflite file holds: inputs and outputs (dtype, shape incl. symbolic dims), "
                + "op histogram sorted by count, parameter count, node/operator count; for ONNX also opset imports and producer, "
                + "for TFLite also signature defs, operator versions and min_runtime_version.",
                "The format is taken from the extension (.onnx/.tflite), else from the content."},
        footerHeading = "%nExit codes:%n",
        footer = {"  0  success", "  2  bad usage, or the file is missing, unreadable, corrupt or truncated"})
final class InspectCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "FILE", description = "A .onnx or .tflite file.")
    Path file;

    @Option(names = "--json", description = "Print machine-readable JSON instead of text.")
    boolean json;

    @Override public Integer call() {
        if (!Files.exists(file)) throw CliException.usage("file '" + file + "': not found");
        if (!Files.isRegularFile(file)) throw CliException.usage("file '" + file + "': not a regular file");
        if (!Files.isReadable(file)) throw CliException.usage("file '" + file + "': not readable");
        ModelInfo info = isTflite() ? tflite() : onnx();
        out().print(json ? Json.write(info.json()) + "\n" : info.text());
        out().flush();
        return ExitCodes.OK;
    }

    private boolean isTflite() {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".tflite")) return true;
        if (n.endsWith(".onnx")) return false;
        byte[] head = new byte[8];
        try (InputStream in = Files.newInputStream(file)) {
            int r = in.readNBytes(head, 0, 8);
            return r == 8 && TfliteInspector.looksLikeTflite(head);
        } catch (IOException e) {
            throw CliException.usage("file '" + file + "': cannot read: " + e.getMessage(), e);
        }
    }

    private ModelInfo onnx() {
        try {
            ModelProto m = OnnxFrontend.parse(file);
            return OnnxInspector.inspect(m, file.toString(), Files.size(file));
        } catch (ConversionException e) {
            throw CliException.usage("file '" + file + "': " + e.getMessage(), e);
        } catch (IOException e) {
            throw CliException.usage("file '" + file + "': cannot read: " + e.getMessage(), e);
        }
    }

    private ModelInfo tflite() {
        byte[] bytes;
        try {
            if (Files.size(file) > Integer.MAX_VALUE - 8) throw CliException.usage("file '" + file + "': larger than 2 GB, not a TFLite flatbuffer");
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw CliException.usage("file '" + file + "': cannot read: " + e.getMessage(), e);
        }
        try {
            return TfliteInspector.inspect(bytes, file.toString());
        } catch (IllegalArgumentException e) {
            throw CliException.usage("file '" + file + "': " + e.getMessage(), e);
        }
    }
}
