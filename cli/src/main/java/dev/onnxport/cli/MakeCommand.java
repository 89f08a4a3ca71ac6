package dev.onnxport.cli;

import dev.onnxport.backends.onnx.OnnxOptions;
import dev.onnxport.cli.parts.NmsPart;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code onnxport make PART ... -o FILE}: writes a small ONNX model that does one job (a "part"). */
@Command(name = "make", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Generates an ONNX part: a small model that does one job, to use alone or to join behind another "
                + "model with 'onnxport merge'."},
        subcommands = {MakeCommand.Nms.class},
        footerHeading = "%nExit codes:%n",
        footer = {"  0  success", "  1  the part could not be written", "  2  bad usage (e.g. an option out of range)"})
final class MakeCommand implements Runnable {
    @picocli.CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing part: use one of "
                + String.join(", ", spec.subcommands().keySet()) + " (see --help)");
    }

    /** A dim given as a size ("8") or a name for a size known only at run time ("batch"). */
    static final class DimConverter implements ITypeConverter<Dim> {
        @Override public Dim convert(String v) {
            if (v.matches("\\d+")) {
                long n = Long.parseLong(v);
                if (n < 1) throw new CommandLine.TypeConversionException("'" + v + "' is not a positive size");
                return Dim.of(n);
            }
            if (v.matches("[A-Za-z_][A-Za-z0-9_]*")) return Dim.sym(v);
            throw new CommandLine.TypeConversionException("'" + v + "' is neither a size nor a dim name");
        }
    }

    /** What every part shares: the output file, the opset, --quiet. */
    abstract static class Part extends BaseCommand {
        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "The ONNX file to write (default: ${DEFAULT-VALUE}).")
        Path output;

        @Option(names = {"-q", "--quiet"}, description = "Print nothing on success.")
        boolean quiet;

        /** The lowest and highest opset this part can be written at. */
        abstract int minOpset();

        int maxOpset() { return 22; }

        abstract Integer opsetOption();

        abstract Graph build(int opset);

        @Override public Integer call() {
            int opset = opsetOption() == null ? minOpset() : opsetOption();
            if (opset < minOpset() || opset > maxOpset())
                throw new CommandLine.ParameterException(spec.commandLine(), "--opset " + opset + " is outside " + minOpset() + ".." + maxOpset());
            Graph g;
            try {
                g = build(opset);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            OnnxFileOutput.write(g, OnnxOptions.DEFAULT, output, quiet, out());
            return ExitCodes.OK;
        }
    }

    @Command(name = "nms", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
            description = {"Batched multi-class non-maximum suppression (ONNX NonMaxSuppression with its box-format conversion).",
                    "Inputs: boxes float32 [B,N,4] (in --box-format), scores float32 [B,C,N].",
                    "Outputs, M = boxes kept over all batches and classes (dynamic, at most B*C*K), rows ordered by batch, "
                            + "then class, then descending score:",
                    "  selected_boxes        float32 [M,4]  the kept boxes, in --box-format",
                    "  selected_scores       float32 [M]    their scores for the class they were kept for",
                    "  selected_classes      int64   [M]    that class",
                    "  selected_batch_index  int64   [M]    the batch each one comes from",
                    "Per batch and class, boxes scoring above --score are taken by descending score; each removes the later ones "
                            + "whose IoU with it exceeds --iou; at most K are kept per class."},
            footer = {"", "Example:", "  onnxport make nms --batches 1 --classes 80 --boxes 8400 --max-output 100 --iou 0.45 --score 0.25 "
                    + "--box-format cxcywh -o nms.onnx"})
    static final class Nms extends Part {
        @Option(names = "--batches", paramLabel = "B", defaultValue = "1", converter = DimConverter.class,
                description = "Batch size, or a name for a dynamic one (default: ${DEFAULT-VALUE}).")
        Dim batches;

        @Option(names = "--classes", paramLabel = "C", required = true, converter = DimConverter.class,
                description = "Number of classes (or a name: dynamic).")
        Dim classes;

        @Option(names = "--boxes", paramLabel = "N", required = true, converter = DimConverter.class,
                description = "Boxes per image (or a name: dynamic).")
        Dim boxes;

        @Option(names = "--max-output", paramLabel = "K", required = true, description = "Most boxes kept per batch and class.")
        long maxOutput;

        @Option(names = "--iou", paramLabel = "T", defaultValue = "0.5",
                description = "IoU above which a box is suppressed, in [0,1] (default: ${DEFAULT-VALUE}).")
        float iou;

        @Option(names = "--score", paramLabel = "S", description = "Keep only boxes scoring above S (default: no threshold).")
        Float score;

        @Option(names = "--box-format", paramLabel = "xyxy|yxyx|cxcywh", defaultValue = "xyxy",
                description = "Layout of a box: xyxy (x1,y1,x2,y2: PyTorch), yxyx (y1,x1,y2,x2: ONNX, TensorFlow) or cxcywh "
                        + "(centre x, centre y, width, height: YOLO). Default: ${DEFAULT-VALUE}.")
        NmsPart.BoxFormat format;

        @Option(names = "--opset", paramLabel = "N", description = "Opset to write, 11..22 (default: 11).")
        Integer opset;

        Nms() { output = Path.of("nms.onnx"); }

        @Override int minOpset() { return 11; }

        @Override Integer opsetOption() { return opset; }

        @Override Graph build(int opset) {
            return NmsPart.build(new NmsPart.Options(batches, classes, boxes, maxOutput, iou, score, format, opset));
        }
    }
}
