package dev.onnxport.cli;

import dev.onnxport.backends.onnx.OnnxOptions;
import dev.onnxport.frontends.onnx.OnnxFrontend;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.Graph;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** {@code onnxport merge A.onnx B.onnx --connect a_out:b_in,... -o merged.onnx}. */
@Command(name = "merge", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
        description = {"Joins two ONNX models into one: B's inputs named in --connect read A's outputs.",
                "A keeps every name. B keeps its names except those A already uses, which get the prefix (all of B's names with "
                        + "--prefix). Inputs: A's, then B's unconnected ones. Outputs: A's unconnected ones, then B's. "
                        + "Each opset is the higher of the two; a node whose op changed in between is an error."},
        footerHeading = "%nExit codes:%n",
        footer = {"  0  success",
                "  1  the models cannot be joined at one opset, or the output cannot be written",
                "  2  bad usage or unreadable input: missing or corrupt model, unknown output or input in --connect,",
                "     element types or static dims that do not match",
                "",
                "Example:",
                "  onnxport make nms --classes 80 --boxes 8400 --max-output 100 -o nms.onnx",
                "  onnxport merge detector.onnx nms.onnx --connect boxes:boxes,scores:scores -o detector_nms.onnx"})
final class MergeCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "A", description = "The first model (its outputs feed B).")
    Path first;

    @Parameters(index = "1", paramLabel = "B", description = "The second model.")
    Path second;

    @Option(names = "--connect", paramLabel = "A_OUT:B_IN", split = ",",
            description = "Feeds B's input B_IN from A's output A_OUT (repeatable or comma-separated). A connected output of A "
                    + "is no longer a graph output.")
    List<String> connect = new ArrayList<>();

    @Option(names = "--prefix", paramLabel = "P", arity = "0..1", fallbackValue = "b_",
            description = "Prefixes all of B's names with P (b_ when P is left out). Without --prefix only the names A already "
                    + "uses get the prefix b_.")
    String prefix;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", defaultValue = "merged.onnx", description = "The file to write (default: ${DEFAULT-VALUE}).")
    Path output;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing on success.")
    boolean quiet;

    @Override public Integer call() {
        List<ModelMerger.Connection> pairs = new ArrayList<>();
        for (String c : connect) {
            int i = c.indexOf(':');
            if (i <= 0 || i == c.length() - 1 || c.indexOf(':', i + 1) >= 0)
                throw new CommandLine.ParameterException(spec.commandLine(), "--connect '" + c + "' is not A_OUT:B_IN");
            pairs.add(new ModelMerger.Connection(c.substring(0, i), c.substring(i + 1)));
        }
        if (prefix != null && prefix.isEmpty()) throw new CommandLine.ParameterException(spec.commandLine(), "--prefix is empty");
        Graph a = load(first), b = load(second);
        ModelMerger.Result r;
        try {
            r = ModelMerger.merge(a, b, pairs, prefix == null ? "b_" : prefix, prefix != null);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage(), e);
        } catch (ModelMerger.MergeOpsetException e) {
            throw CliException.failed(e.getMessage(), e);
        } catch (ConversionException e) {
            throw CliException.failed("cannot merge: " + e.getMessage(), e);
        }
        r.graph().topoSort();
        if (!quiet && !r.renamedValues().isEmpty() && prefix == null) {
            StringBuilder sb = new StringBuilder("onnxport: note: names of B that A already uses were prefixed:");
            for (Map.Entry<String, String> e : r.renamedValues().entrySet()) sb.append(' ').append(e.getKey()).append("->").append(e.getValue());
            err().println(sb);
        }
        OnnxFileOutput.write(r.graph(), OnnxOptions.DEFAULT, output, quiet, out());
        return ExitCodes.OK;
    }

    private static Graph load(Path p) {
        if (!Files.isRegularFile(p)) throw CliException.usage("file '" + p + "': not found");
        try {
            return OnnxFrontend.load(p).graph();
        } catch (ConversionException e) {
            throw CliException.usage(e.getMessage(), e);
        } catch (RuntimeException e) {
            throw CliException.usage("file '" + p + "': cannot read the model: " + e, e);
        }
    }
}
