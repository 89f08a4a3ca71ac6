package dev.onnxport.cli;

import dev.onnxport.backends.Pipelines;
import dev.onnxport.backends.onnx.OnnxOptions;
import dev.onnxport.cli.parts.Atan2Part;
import dev.onnxport.cli.parts.GridSamplePart;
import dev.onnxport.cli.parts.InversePart;
import dev.onnxport.cli.parts.MedianPart;
import dev.onnxport.cli.parts.MvnPart;
import dev.onnxport.cli.parts.NmsPart;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.passes.Pass;
import dev.onnxport.passes.PassContext;
import dev.onnxport.passes.PassManager;
import dev.onnxport.passes.PassOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** {@code onnxport make PART ... -o FILE}: writes a small ONNX model that does one job (a "part"). */
@Command(name = "make", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Generates an ONNX part: a small model that does one job, to use alone or to join behind another "
                + "model with 'onnxport merge'."},
        subcommands = {MakeCommand.Nms.class, MakeCommand.Median.class, MakeCommand.Atan2.class, MakeCommand.GridSample.class,
                MakeCommand.Inverse.class, MakeCommand.Mvn.class},
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

    /** A comma-separated list of dims: "2,7,5" or "batch,7,5". */
    static final class DimsConverter implements ITypeConverter<List<Dim>> {
        @Override public List<Dim> convert(String v) {
            List<Dim> r = new ArrayList<>();
            if (v.isBlank()) return r;
            for (String d : v.split(",", -1)) r.add(new DimConverter().convert(d.strip()));
            return r;
        }
    }

    /** What every part shares: the output file, the opset, extra passes, --quiet. */
    abstract static class Part extends BaseCommand {
        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "The ONNX file to write (default: ${DEFAULT-VALUE}).")
        Path output;

        @Option(names = "--pass", paramLabel = "NAME", split = ",",
                description = "Also runs this pass on the part (repeatable or comma-separated; see 'onnxport passes'), e.g. "
                        + "atan-family to lower Atan for a target without it.")
        List<String> extraPasses = new ArrayList<>();

        @Option(names = {"-q", "--quiet"}, description = "Print nothing on success.")
        boolean quiet;

        /** The lowest opset this part can be written at. */
        abstract int minOpset();

        int maxOpset() { return 22; }

        abstract Integer opsetOption();

        abstract Graph build(int opset);

        /** The pass that turns the part's op into the ops it is written with, or null. */
        String requiredPass() { return null; }

        /** The op (domain-qualified) that {@link #requiredPass()} rewrites. */
        String replacedOp() { return null; }

        @Override public Integer call() {
            int opset = opsetOption() == null ? minOpset() : opsetOption();
            if (opset < minOpset() || opset > maxOpset())
                throw new CommandLine.ParameterException(spec.commandLine(), "--opset " + opset + " is outside " + minOpset() + ".." + maxOpset());
            List<String> names = new ArrayList<>();
            if (requiredPass() != null) names.add(requiredPass());
            for (String n : extraPasses) if (!names.contains(n)) names.add(n);
            List<Pass> passes = PassCatalog.instances(names, "--pass");
            Graph g;
            try {
                g = build(opset);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            if (!passes.isEmpty()) runPasses(g, passes);
            OnnxFileOutput.write(g, OnnxOptions.DEFAULT, output, quiet, out());
            return ExitCodes.OK;
        }

        private void runPasses(Graph g, List<Pass> passes) {
            List<Pass> all = new ArrayList<>(passes);
            all.addAll(Pipelines.cleanup());
            PassContext ctx = PassContext.standard(new PassOptions("nchw"));
            try {
                new PassManager(all, 8).run(g, ctx);
            } catch (ConversionException e) {
                throw CliException.failed("cannot make the part: " + e.getMessage(), e);
            }
            if (requiredPass() != null) {
                for (Node n : g.nodes()) {
                    if (n.qualifiedOp().equals(replacedOp()))
                        throw CliException.failed(requiredPass() + " left node '" + n.name() + "' (" + n.qualifiedOp() + ")"
                                + (ctx.log().isEmpty() ? "" : ": " + String.join("; ", ctx.log())), null);
                }
            }
            // a domain no node uses any more is not declared
            Set<String> used = new HashSet<>();
            for (Node n : g.nodes()) used.add(n.domain());
            g.opsets().keySet().removeIf(d -> !d.isEmpty() && !used.contains(d));
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

    @Command(name = "median", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
            description = {"The median of x over one axis, by TopK (the smallest half, sorted; its last value).",
                    "Input: x float32 --shape. Outputs: values float32 (the shape without the axis, or with size 1 there with "
                            + "--keepdims) and, in lower mode, indices int64: where the median lies along the axis."},
            footer = {"", "Example:", "  onnxport make median --shape batch,9,16 --axis 1 -o median.onnx"})
    static final class Median extends Part {
        @Option(names = "--shape", paramLabel = "DIMS", required = true, converter = DimsConverter.class,
                description = "Shape of x, e.g. 2,9,16 (names for dynamic dims; the axis needs a size).")
        List<Dim> shape;

        @Option(names = "--axis", paramLabel = "A", defaultValue = "-1", description = "The axis (negative counts from the end; default: ${DEFAULT-VALUE}).")
        int axis;

        @Option(names = "--keepdims", description = "Keep the axis with size 1.")
        boolean keepdims;

        @Option(names = "--mode", paramLabel = "lower|mean", defaultValue = "lower",
                description = "For an even count: lower (the lower middle value, as torch.median) or mean (the mean of the two, as "
                        + "numpy.median). Default: ${DEFAULT-VALUE}.")
        MedianPart.Mode mode;

        @Option(names = "--opset", paramLabel = "N", description = "Opset to write, 11..22 (default: 11).")
        Integer opset;

        Median() { output = Path.of("median.onnx"); }

        @Override int minOpset() { return 11; }

        @Override Integer opsetOption() { return opset; }

        @Override Graph build(int opset) { return MedianPart.build(new MedianPart.Options(shape, axis, keepdims, mode, opset)); }
    }

    @Command(name = "atan2", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
            description = {"atan2(y, x) elementwise, from Atan(y / x) and the quadrant picked with Where (ONNX has no Atan2).",
                    "Inputs: y, x float32 --shape. Output: angle float32 in [-pi, pi]. Signed zeros are not told apart "
                            + "(atan2(-0, -1) gives pi) and atan2 of two infinities is NaN. --pass atan-family also lowers Atan."},
            footer = {"", "Example:", "  onnxport make atan2 --shape batch,2 -o atan2.onnx"})
    static final class Atan2 extends Part {
        @Option(names = "--shape", paramLabel = "DIMS", required = true, converter = DimsConverter.class,
                description = "Shape of y, x and the angle, e.g. 4,16 or n (names for dynamic dims).")
        List<Dim> shape;

        @Option(names = "--opset", paramLabel = "N", description = "Opset to write, 11..22 (default: 11; Equal takes float from 11).")
        Integer opset;

        Atan2() { output = Path.of("atan2.onnx"); }

        @Override int minOpset() { return 11; }

        @Override Integer opsetOption() { return opset; }

        @Override Graph build(int opset) { return Atan2Part.build(new Atan2Part.Options(shape, opset)); }
    }

    @Command(name = "gridsample", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
            description = {"GridSample (4-D, bilinear or nearest, zeros or border padding) written without GridSample: the "
                    + "gridsample-decompose pass turns it into opset-11 primitives (Gather arithmetic).",
                    "Inputs: x float32 [N,C,H,W], grid float32 [N,Ho,Wo,2] (x, y in [-1, 1]). Output: y float32 [N,C,Ho,Wo]. "
                            + "Shapes are static."},
            footer = {"", "Example:", "  onnxport make gridsample --input-shape 1,3,32,32 --output-size 16,16 --mode bilinear -o gs.onnx"})
    static final class GridSample extends Part {
        @Option(names = "--input-shape", paramLabel = "N,C,H,W", required = true, converter = DimsConverter.class, description = "Shape of x.")
        List<Dim> inputShape;

        @Option(names = "--output-size", paramLabel = "HO,WO", required = true, converter = DimsConverter.class,
                description = "Height and width of the grid and of y.")
        List<Dim> outSize;

        @Option(names = "--mode", paramLabel = "bilinear|nearest", defaultValue = "bilinear", description = "Interpolation (default: ${DEFAULT-VALUE}).")
        GridSamplePart.Mode mode;

        @Option(names = "--padding", paramLabel = "zeros|border", defaultValue = "zeros",
                description = "Values outside the image: zeros, or the nearest border pixel (default: ${DEFAULT-VALUE}).")
        GridSamplePart.Padding padding;

        @Option(names = "--align-corners", description = "-1 and 1 are the centres of the corner pixels (default: their outer edges).")
        boolean alignCorners;

        @Option(names = "--opset", paramLabel = "N", description = "Opset to write, 11..22 (default: 11).")
        Integer opset;

        GridSample() { output = Path.of("gridsample.onnx"); }

        @Override int minOpset() { return 11; }

        @Override Integer opsetOption() { return opset; }

        @Override String requiredPass() { return GridSamplePart.PASS; }

        @Override String replacedOp() { return "GridSample"; }

        @Override Graph build(int opset) {
            if (outSize.size() != 2) throw new IllegalArgumentException("--output-size must be HO,WO");
            return GridSamplePart.build(new GridSamplePart.Options(sizes(inputShape, "--input-shape"), sizes(outSize, "--output-size")[0],
                    sizes(outSize, "--output-size")[1], mode, padding, alignCorners, opset));
        }
    }

    @Command(name = "inverse", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
            description = {"The inverse of batched n x n matrices in standard ops (the inverse-decompose pass rewrites com.microsoft "
                    + "Inverse: closed form up to 4x4, unrolled Gauss-Jordan with partial pivoting up to 8x8).",
                    "Input: x float32 [batch..., n, n]. Output: inverse, same shape. A singular matrix gives inf/NaN."},
            footer = {"", "Example:", "  onnxport make inverse --size 3 --batch batch -o inverse.onnx"})
    static final class Inverse extends Part {
        @Option(names = "--size", paramLabel = "n", required = true, description = "Matrix size, 1..8.")
        int size;

        @Option(names = "--batch", paramLabel = "DIMS", defaultValue = "", converter = DimsConverter.class,
                description = "Batch dims before the matrix dims, e.g. 2,5 or batch (default: none).")
        List<Dim> batch;

        @Option(names = "--opset", paramLabel = "N", description = "Opset to write, 11..22 (default: 11).")
        Integer opset;

        Inverse() { output = Path.of("inverse.onnx"); }

        @Override int minOpset() { return 11; }

        @Override Integer opsetOption() { return opset; }

        @Override String requiredPass() { return InversePart.PASS; }

        @Override String replacedOp() { return "com.microsoft.Inverse"; }

        @Override Graph build(int opset) { return InversePart.build(new InversePart.Options(batch, size, opset)); }
    }

    @Command(name = "mvn", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
            description = {"MeanVarianceNormalization written as ReduceMean/Sub/Mul/Sqrt/Add/Div (the mvn-decompose pass): "
                    + "y = (x - mean) / (sqrt(mean((x - mean)^2)) + 1e-9) over --axes.",
                    "Input: x float32 --shape. Output: y, same shape."},
            footer = {"", "Example:", "  onnxport make mvn --shape batch,3,32,32 --axes 0,2,3 -o mvn.onnx"})
    static final class Mvn extends Part {
        @Option(names = "--shape", paramLabel = "DIMS", required = true, converter = DimsConverter.class,
                description = "Shape of x, e.g. 2,3,8,8 (names for dynamic dims).")
        List<Dim> shape;

        @Option(names = "--axes", paramLabel = "A,...", split = ",", defaultValue = "0,2,3",
                description = "The axes to normalize over (default: ${DEFAULT-VALUE}, ONNX's default).")
        long[] axes;

        @Option(names = "--opset", paramLabel = "N", description = "Opset to write, 11..22 (default: 11).")
        Integer opset;

        Mvn() { output = Path.of("mvn.onnx"); }

        @Override int minOpset() { return 11; }

        @Override Integer opsetOption() { return opset; }

        @Override String requiredPass() { return MvnPart.PASS; }

        @Override String replacedOp() { return "MeanVarianceNormalization"; }

        @Override Graph build(int opset) { return MvnPart.build(new MvnPart.Options(shape, axes, opset)); }
    }

    /** The sizes of dims that must be static. */
    static long[] sizes(List<Dim> dims, String option) {
        long[] r = new long[dims.size()];
        for (int i = 0; i < r.length; i++) {
            if (!dims.get(i).isKnown()) throw new IllegalArgumentException(option + ": '" + dims.get(i) + "' must be a size (the part needs static shapes)");
            r[i] = dims.get(i).value();
        }
        return r;
    }
}
