package dev.onnxport.cli;

import dev.onnxport.cli.check.Checker;
import dev.onnxport.cli.check.Npy;
import dev.onnxport.ir.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code onnxport check MODEL.onnx CONVERTED ...}: per-layer error of a converted model against its ONNX source. */
@Command(name = "check", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
        description = {"Runs the ONNX model in onnxruntime and the converted model (.tflite in the TFLite 2.6 interpreter, .onnx in "
                + "onnxruntime) on the same inputs and compares every intermediate tensor, in graph order: max abs error, mean abs "
                + "error, RMSE, cosine similarity, pass/fail against the tolerance.",
                "Which converted tensor carries which ONNX tensor (and in which axis order) is read from the onnxport_provenance "
                        + "metadata that onnxport writes into every converted file. ONNX tensors with no counterpart (folded, fused) are "
                        + "listed as 'not mapped'. The first failing layer is shown with the errors of its inputs."},
        footerHeading = "%nExit codes:%n",
        footer = {"  0  every model output is within tolerance",
                "  1  some model output is out of tolerance (or not produced)",
                "  2  bad usage or unreadable file (missing, corrupt, not onnxport's, unknown",
                "     input name, symbolic input dims without --input-shape)",
                "",
                "Examples:",
                "  onnxport check model.onnx out/model_float32.tflite",
                "  onnxport check model.onnx out/model_float32.tflite --inputs image=img.npy --report out/check",
                "  onnxport check model.onnx out/model.onnx --input-shape x:1,3,224,224 --atol 1e-3"})
final class CheckCommand extends BaseCommand {
    enum Color { auto, always, never }

    @Parameters(index = "0", paramLabel = "MODEL", description = "The ONNX source model (.onnx).")
    Path model;

    @Parameters(index = "1", paramLabel = "CONVERTED", description = "The converted model written by onnxport (.tflite or .onnx).")
    Path converted;

    @Option(names = "--inputs", paramLabel = "NAME=FILE.npy", description = "Feeds ONNX input NAME from a NumPy .npy file (repeatable); "
            + "other inputs get seeded random values: floats in [0,1), integers 0 or 1.")
    List<String> inputFiles = new ArrayList<>();

    @Option(names = "--images", paramLabel = "DIR", description = "Feeds the first rank-4 float input from the images in DIR "
            + "(png/jpg/bmp/gif, by file name; they fill the batch), resized to the input's size, RGB, (pixel/255 - mean) / std.")
    Path images;

    @Option(names = "--mean", paramLabel = "MEAN", split = ",", description = "--images: per-channel mean (default 0).")
    float[] mean = new float[0];

    @Option(names = "--std", paramLabel = "STD", split = ",", description = "--images: per-channel std (default 1).")
    float[] std = new float[0];

    @Option(names = "--input-shape", paramLabel = "NAME:DIMS", converter = ConvertCommand.InputShapeConverter.class,
            description = "Shape of a random input with symbolic dims, e.g. x:1,3,224,224 (repeatable). Without it a symbolic input "
                    + "takes the converted model's static input shape.")
    List<ConvertCommand.InputShapeArg> inputShapes = new ArrayList<>();

    @Option(names = "--batch", paramLabel = "N", description = "Sets symbolic dim 0 of the inputs, as convert --batch does.")
    Integer batch;

    @Option(names = "--atol", paramLabel = "A", defaultValue = "1e-4", description = "Absolute tolerance (default ${DEFAULT-VALUE}).")
    double atol;

    @Option(names = "--rtol", paramLabel = "R", defaultValue = "0",
            description = "Relative tolerance: an element passes when |ref - got| <= atol + rtol * |ref| (default ${DEFAULT-VALUE}).")
    double rtol;

    @Option(names = "--min-cosine", paramLabel = "C", defaultValue = "0.98",
            description = "Quantized files (int8/uint8 tensors: --int8, --dynamic-range, --to edgetpu): the cosine similarity every "
                    + "model output must reach; --atol/--rtol do not apply to them (default ${DEFAULT-VALUE}).")
    double minCosine;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "Seed of the random inputs (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--report", paramLabel = "DIR", description = "Also writes DIR/report.json, report.csv and report.html "
            + "(self-contained, with a plot of the error per layer).")
    Path report;

    @Option(names = "--chunk", paramLabel = "N", defaultValue = "64",
            description = "Tensors fetched per run, at most about 128 MB of them (memory stays bounded: each chunk is compared, "
                    + "then dropped). Default ${DEFAULT-VALUE}.")
    int chunk;

    @Option(names = "--failures-only", description = "Print only failing tensors and model outputs in the table.")
    boolean failuresOnly;

    @Option(names = "--color", paramLabel = "auto|always|never", defaultValue = "auto",
            description = "Colour the table: auto (when stdout is a terminal), always, never.")
    Color color;

    @Override public Integer call() {
        if (atol < 0 || rtol < 0 || Double.isNaN(atol) || Double.isNaN(rtol)) throw usageError("--atol and --rtol must be >= 0");
        if (chunk < 1) throw usageError("--chunk must be >= 1");
        if (batch != null && batch < 1) throw usageError("--batch " + batch + " is not a positive size");
        requireFile(model);
        requireFile(converted);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (ConvertCommand.InputShapeArg a : inputShapes) {
            if (shapes.put(a.name(), a.dims()) != null) throw usageError("--input-shape is given twice for '" + a.name() + "'");
        }
        Map<String, Tensor> given = new LinkedHashMap<>();
        for (String spec : inputFiles) {
            int eq = spec.indexOf('=');
            if (eq <= 0 || eq == spec.length() - 1) throw usageError("--inputs '" + spec + "' is not NAME=FILE.npy");
            String name = spec.substring(0, eq);
            Path f = Path.of(spec.substring(eq + 1));
            requireFile(f);
            try {
                if (given.put(name, Npy.read(f)) != null) throw usageError("--inputs is given twice for '" + name + "'");
            } catch (IOException | IllegalArgumentException e) {
                throw CliException.usage("file '" + f + "': " + e.getMessage(), e);
            }
        }
        if (images != null && !Files.isDirectory(images)) throw CliException.usage("--images '" + images + "': not a folder");
        if ((mean.length > 0 || std.length > 0) && images == null) throw usageError("--mean and --std apply to --images only");
        for (float x : std) if (!(x > 0)) throw usageError("--std values must be > 0");
        if (!(minCosine >= -1 && minCosine <= 1)) throw usageError("--min-cosine must be in [-1, 1]");
        Checker.Options o = new Checker.Options(atol, rtol, seed, shapes, batch, given, chunk, 128L << 20, images, mean, std)
                .withQuant(minCosine, null, null);
        boolean col = color == Color.always || color == Color.auto && System.console() != null;
        Checker.Result r = run(out(), err(), model, converted, o, report, col, failuresOnly, false);
        return r.passed() ? ExitCodes.OK : ExitCodes.FAILED;
    }

    private CommandLine.ParameterException usageError(String msg) { return new CommandLine.ParameterException(spec.commandLine(), msg); }

    static void requireFile(Path f) {
        if (!Files.exists(f)) throw CliException.usage("file '" + f + "': not found");
        if (!Files.isRegularFile(f)) throw CliException.usage("file '" + f + "': not a regular file");
        if (!Files.isReadable(f)) throw CliException.usage("file '" + f + "': not readable");
    }

    /** True when onnxruntime (Java classes and native library) can be used. */
    static String ortProblem() {
        try {
            Class.forName("ai.onnxruntime.OrtEnvironment").getMethod("getEnvironment").invoke(null);
            return null;
        } catch (ClassNotFoundException | NoClassDefFoundError e) {
            return "onnxruntime is not on the classpath; bin/onnxport expects it next to the jar in cli/target/lib/ "
                    + "(made by `mvn -q -DskipTests package`)";
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            return "onnxruntime cannot start: " + c;
        }
    }

    /**
     * Runs the check, prints the table (or with brief, only the verdict and the first failure), writes the report
     * files when reportDir is set; usage problems become exit-2 CliExceptions.
     */
    static Checker.Result run(PrintWriter out, PrintWriter err, Path model, Path converted, Checker.Options o, Path reportDir,
                              boolean color, boolean failuresOnly, boolean brief) {
        String ort = ortProblem();
        if (ort != null) throw CliException.usage(ort);
        boolean tty = System.console() != null;
        Checker.Progress progress = tty ? new Bar(err) : null;
        Checker.Result r;
        try {
            r = Checker.check(model, converted, o, progress);
        } catch (Checker.UsageException e) {
            throw CliException.usage(e.getMessage(), e);
        } finally {
            if (progress instanceof Bar b) b.clear();
        }
        for (String w : r.warnings()) err.println("onnxport: warning: " + w);
        boolean random = r.samplesLabel() == null && r.imageInput() == null && o.given().isEmpty();
        boolean calibrated = r.rows().stream().anyMatch(x -> x.quant() != null && x.quant().quantized());
        if (r.quantized() && random && calibrated)
            err.println("onnxport: warning: '" + converted + "' is quantized and the inputs are random: values outside the range it was "
                    + "calibrated on saturate; give --images DIR with the calibration's --mean/--std (or convert --int8 --check, "
                    + "which uses the calibration images)");
        if (r.quantized())
            out.println("quantized file: quantization error per layer (dequantized values vs the float model; pass: cosine >= "
                    + CheckReport.thr(o.minCosine()) + " for every model output, mean over " + r.samples() + " sample" + (r.samples() == 1 ? "" : "s")
                    + "; --atol/--rtol do not apply)");
        if (!brief) {
            out.println("check " + model + " (onnxruntime) vs " + converted + " (" + r.runtime() + ")");
            List<String> ins = new ArrayList<>();
            for (Map.Entry<String, long[]> e : r.inputShapes().entrySet())
                ins.add(e.getKey() + " " + java.util.Arrays.toString(e.getValue()).replace(" ", "")
                        + (r.samplesLabel() != null ? "" : o.given().containsKey(e.getKey()) ? " (given)" : r.imageInput() != null && r.imageInput().equals(e.getKey())
                        ? " (images from " + o.images() + ")" : " (random, seed " + o.seed() + ")"));
            out.println("inputs: " + String.join(", ", ins) + (r.samplesLabel() != null ? ": " + r.samplesLabel() : ""));
            out.print(CheckReport.text(r, color, failuresOnly));
        } else {
            if (r.samplesLabel() != null) out.println("inputs: " + r.samplesLabel());
            if (r.firstFail() != null) out.print(CheckReport.firstFailure(r, r.firstFail(), color));
            out.println(CheckReport.verdict(r, color));
        }
        if (reportDir != null) {
            try {
                List<Path> files = CheckReport.write(r, reportDir);
                out.println("report: " + String.join(", ", files.stream().map(Path::toString).toList()));
            } catch (IOException e) {
                throw CliException.failed("cannot write the report to '" + reportDir + "': " + e, e);
            }
        }
        out.flush();
        return r;
    }

    /** A progress bar on stderr (used only when attached to a terminal). */
    static final class Bar implements Checker.Progress {
        private final PrintWriter err;
        private final long start = System.nanoTime();
        private boolean shown;

        Bar(PrintWriter err) { this.err = err; }

        @Override public void update(int done, int total) {
            if (total <= 0) return;
            // only long runs: nothing during the first half second
            if (!shown && System.nanoTime() - start < 500_000_000L) return;
            int w = 30, k = (int) ((long) done * w / total);
            err.print("\rcomparing [" + "#".repeat(k) + ".".repeat(w - k) + "] " + done + "/" + total + " tensors");
            err.flush();
            shown = true;
        }

        void clear() {
            if (!shown) return;
            err.print("\r" + " ".repeat(60) + "\r");
            err.flush();
        }
    }
}
