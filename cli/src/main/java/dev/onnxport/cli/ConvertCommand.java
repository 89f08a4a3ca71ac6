package dev.onnxport.cli;

import dev.onnxport.backends.Pipelines;
import dev.onnxport.backends.onnx.OnnxBackend;
import dev.onnxport.backends.onnx.OnnxOptions;
import dev.onnxport.backends.tflite.TfliteOptions;
import dev.onnxport.cli.check.Checker;
import dev.onnxport.frontends.onnx.OnnxFrontend;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.Graph;
import dev.onnxport.cli.profiles.Profile;
import dev.onnxport.cli.profiles.ProfileCheck;
import dev.onnxport.passes.InputShapes;
import dev.onnxport.passes.PassContext;
import dev.onnxport.passes.PassManager;
import dev.onnxport.passes.PassOptions;
import dev.onnxport.passes.portable.PortableOptions;
import dev.onnxport.schemas.onnx.OnnxProto.ModelProto;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code onnxport convert MODEL --to tflite|onnx ...}. */
@Command(name = "convert", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class, sortOptions = false,
        description = {"Converts an ONNX model to TFLite (float32; float16 with --fp16; full integer with --int8; int8 weights with "
                + "--dynamic-range) or writes it back as ONNX (after constant folding and dead-code removal).",
                "Output names: DIR/<stem>_float32.tflite, DIR/<stem>_float16.tflite, DIR/<stem>_full_integer_quant.tflite, "
                        + "DIR/<stem>_full_integer_quant_with_int16_act.tflite (--int8 --int16-activations), "
                        + "DIR/<stem>_dynamic_range_quant.tflite, DIR/<stem>.onnx. "
                        + "Nothing is written unless every requested file converts; files appear atomically."},
        footerHeading = "%nExit codes:%n",
        footer = {"  0  success",
                "  1  conversion failed: every unsupported node is listed with its name",
                "     and op type; a pass or backend failed; nothing is written;",
                "     with --check: a model output is out of tolerance (files are written)",
                "  2  bad usage or unreadable input: missing, corrupt or truncated model,",
                "     external data missing or outside the model's folder, unknown",
                "     --input-shape name or rank mismatch, bad calibration data (wrong",
                "     shape, empty folder, unreadable image, checksum mismatch)",
                "",
                "Examples:",
                "  onnxport convert model.onnx --to tflite --fp16 -o out",
                "  onnxport convert model.onnx --to tflite --input-shape image:1,3,224,224",
                "  onnxport convert model.onnx --to tflite --int8 --calib coco20 --calib-mean 0.485,0.456,0.406 --calib-std 0.229,0.224,0.225",
                "  onnxport convert model.onnx --to onnx --batch 1 -o cleaned",
                "  onnxport convert model.onnx --to onnx --profile portable-opset11 -o portable"})
final class ConvertCommand extends BaseCommand {
    enum Target { tflite, onnx, edgetpu }

    enum IoLayout { nhwc, nchw }

    /** One --input-shape value. */
    record InputShapeArg(String name, long[] dims) {}

    static final class InputShapeConverter implements ITypeConverter<InputShapeArg> {
        @Override public InputShapeArg convert(String v) {
            int c = v.lastIndexOf(':');
            if (c <= 0 || c == v.length() - 1)
                throw new CommandLine.TypeConversionException("'" + v + "' is not NAME:DIMS (e.g. image:1,3,224,224)");
            try {
                return new InputShapeArg(v.substring(0, c), InputShapes.parseDims(v.substring(c + 1)));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("'" + v + "': " + e.getMessage());
            }
        }
    }

    @Parameters(index = "0", paramLabel = "MODEL", description = "The ONNX model (.onnx; external data is read from its folder).")
    Path model;

    @Option(names = "--to", required = true, paramLabel = "tflite|onnx|edgetpu", description = {"Target format: ${COMPLETION-CANDIDATES}. "
            + "edgetpu writes <stem>_edgetpu_ready.tflite: full integer (as --int8, uint8 I/O unless --io-dtype int8), static shapes, "
            + "ops rewritten into Coral's supported list where they can be, ready for edgetpu_compiler; it prints how many ops would "
            + "map to the Edge TPU and the first that would not."})
    Target to;

    @Option(names = "--fp16", description = "tflite: also write <stem>_float16.tflite (float16 weights, dequantized to float32 at load).")
    boolean fp16;

    @Option(names = {"-o", "--output-dir"}, paramLabel = "DIR", defaultValue = "out",
            description = "Output folder, created if missing (default: ./${DEFAULT-VALUE}).")
    Path outDir;

    @Option(names = "--input-shape", paramLabel = "NAME:DIMS", converter = InputShapeConverter.class,
            description = {"Fixes an input's shape, e.g. image:1,3,224,224 (repeatable). The name must be a graph input and the rank must "
                    + "match. A named symbolic dim fixed this way (e.g. 'N') takes the value in every input and output that uses it."})
    List<InputShapeArg> inputShapes = new ArrayList<>();

    @Option(names = "--pin-input", paramLabel = "NAME=V[,V...]",
            description = {"Replaces an input by a constant (repeatable), e.g. sr=16000 for a model that branches on its sample "
                    + "rate: what depends only on it is folded away (an If on it is inlined). The input leaves the converted model."})
    List<String> pinInputs = new ArrayList<>();

    @Option(names = "--batch", paramLabel = "N",
            description = "Sets dim 0 of every input whose dim 0 is symbolic (inputs with a numeric dim 0, and inputs given "
                    + "--input-shape, are left as they are).")
    Integer batch;

    @Option(names = "--io-layout", paramLabel = "nhwc|nchw", defaultValue = "nhwc",
            description = "tflite: layout of image inputs/outputs: nhwc (channels-last, TFLite's own) or nchw (as in the ONNX model). "
                    + "Default: ${DEFAULT-VALUE}.")
    IoLayout ioLayout;

    @Option(names = "--opset", paramLabel = "N",
            description = "onnx: the default-domain opset to declare (" + OnnxFrontend.MIN_OPSET + ".." + OnnxFrontend.MAX_OPSET
                    + "); nodes are not rewritten, so use it only where they are valid at that opset. Default: the model's.")
    Integer opset;

    @Option(names = "--profile", paramLabel = "NAME",
            description = {"The target profile: what the target reads and the passes it needs (built-in: portable-opset11, barracuda, "
                    + "tflite; or the path of a profile file). onnx: runs its passes, then lists by node name all that it still cannot "
                    + "express (exit 1, nothing written) and writes its opset. tflite: only 'tflite' (the default), whose passes run "
                    + "before the TFLite backend."})
    String profileName;

    @Option(names = "--pass", paramLabel = "NAME", split = ",",
            description = "Also runs this pass (repeatable or comma-separated; see 'onnxport passes'), after the profile's.")
    List<String> extraPasses = new ArrayList<>();

    @Option(names = "--no-pass", paramLabel = "NAME", split = ",",
            description = "Leaves out a pass the profile or the ONNX cleanup would run (repeatable or comma-separated).")
    List<String> noPasses = new ArrayList<>();

    @Option(names = "--dynamic-batch", description = "Runs the opt-in pass dynamic-batch (after the others): inputs whose dim 0 is 1 get a "
            + "symbolic batch and constant Reshape targets that keep dim 0 compute it, so the model runs at any batch. It changes the "
            + "model's input shapes.")
    boolean dynamicBatch;

    @Option(names = "--anti-fusion", description = "mvn-decompose: multiply the squared deviation by 1 so that a runtime's pattern matcher "
            + "does not fuse the decomposition back into one normalization kernel (needs mvn-decompose in the pipeline).")
    boolean antiFusion;

    @Option(names = "--fused-argmax-scale", paramLabel = "S", description = "fused-argmax: the factor (0 < S < 1) the map is resized by "
            + "before the ArgMax (default 0.5; needs --pass fused-argmax).")
    Double fusedArgmaxScale;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing on success (errors still go to stderr).")
    boolean quiet;

    @CommandLine.Mixin
    QuantOptions quant = new QuantOptions();

    @Option(names = "--check", description = "After writing, check each file layer by layer against the ONNX model (as `onnxport check` "
            + "does, with seeded random inputs); exit 1 when a model output is out of tolerance. A quantized file is run on the "
            + "calibration images (--check-images) and judged by the cosine similarity of its dequantized outputs (--check-cosine), "
            + "with the quantization error of every layer in a table.")
    boolean check;

    @Option(names = "--check-atol", paramLabel = "A", defaultValue = "1e-4",
            description = "--check: absolute tolerance (default ${DEFAULT-VALUE}; a float16 file needs about 1e-2).")
    double checkAtol;

    @Option(names = "--check-rtol", paramLabel = "R", defaultValue = "0", description = "--check: relative tolerance (default ${DEFAULT-VALUE}).")
    double checkRtol;

    @Option(names = "--check-cosine", paramLabel = "C", defaultValue = "0.98",
            description = "--check of a quantized file (--int8, --dynamic-range, --to edgetpu): the cosine similarity every model output, "
                    + "dequantized, must reach against the float ONNX model, mean over the images (default ${DEFAULT-VALUE}).")
    double checkCosine;

    @Option(names = "--check-images", paramLabel = "N", defaultValue = "4",
            description = "--check of a quantized file: how many of the calibration images to run it on, evenly spaced (0: all; "
                    + "default ${DEFAULT-VALUE}: TFLite 2.6's int8 kernels are slow).")
    int checkImages;

    @Option(names = "--check-report", paramLabel = "DIR",
            description = "--check: also writes report.json, report.csv and report.html for each checked file into DIR/<file name>/.")
    Path checkReport;

    /** The calibration samples of each calibrated file (by file name), for --check. */
    private final Map<String, List<Map<String, dev.onnxport.ir.Tensor>>> calibSamples = new LinkedHashMap<>();

    /** Initializer bytes above which the ONNX output keeps its weights in {@code <name>.data} (tests lower it). */
    static long externalDataThreshold = OnnxBackend.EXTERNAL_DATA_THRESHOLD;

    /** A converted file, in memory (or, for ONNX models over 1.9 GB of weights, written straight into the staging folder). */
    private record Planned(String name, OutputWriter.Output output, ModelInfo info, String note) {
        Planned(String name, OutputWriter.Output output, ModelInfo info) { this(name, output, info, null); }
    }

    @Override public Integer call() {
        CommandLine.ParseResult pr = spec.commandLine().getParseResult();
        if (to == Target.onnx && fp16) throw usageError("--fp16 applies to --to tflite only");
        if (to == Target.onnx && pr.hasMatchedOption("--io-layout")) throw usageError("--io-layout applies to --to tflite only");
        if (to != Target.onnx && opset != null) throw usageError("--opset applies to --to onnx only");
        if (opset != null && (opset < OnnxFrontend.MIN_OPSET || opset > OnnxFrontend.MAX_OPSET))
            throw usageError("--opset " + opset + " is outside " + OnnxFrontend.MIN_OPSET + ".." + OnnxFrontend.MAX_OPSET);
        if (batch != null && batch < 1) throw usageError("--batch " + batch + " is not a positive size");
        if (to != Target.tflite && (quant.int8 || quant.dynamicRange)) throw usageError((quant.int8 ? "--int8" : "--dynamic-range") + " applies to --to tflite only");
        if (to == Target.edgetpu && fp16) throw usageError("--fp16 applies to --to tflite only");
        if (to == Target.edgetpu && pr.hasMatchedOption("--io-layout") && ioLayout != IoLayout.nhwc) throw usageError("--to edgetpu takes NHWC I/O only");
        if (quant.int16Activations) {
            if (to == Target.edgetpu) throw usageError("--int16-activations does not apply to --to edgetpu (the Edge TPU runs int8 only)");
            if (!quant.int8) throw usageError("--int16-activations selects the 16x8 variant of --int8; add --int8");
            if (pr.hasMatchedOption("--io-dtype") && quant.ioDtype != QuantOptions.IoDtype.FLOAT32)
                throw usageError("--int16-activations takes --io-dtype float32 only");
            if (quant.floatHead)
                throw usageError("--int8-float-head does not apply to --int16-activations (int16 LOGISTIC/SOFTMAX/TANH outputs have 1/32768 steps)");
            if (pr.hasMatchedOption("--calib-method") && quant.calibMethod == dev.onnxport.backends.quant.RangeStats.Method.MSE)
                throw usageError("--calib-method mse does not apply to --int16-activations (its error model is int8's); use minmax or percentile");
            if (!pr.hasMatchedOption("--calib-method")) quant.calibMethod = dev.onnxport.backends.quant.RangeStats.Method.MINMAX;
        }
        boolean calibrated = quant.int8 || to == Target.edgetpu;
        if (!calibrated && quant.anyCalibrationOption(pr)) throw usageError("--calib, --calib-* and --io-dtype apply to --int8 and --to edgetpu only");
        if (!calibrated && !quant.dynamicRange && quant.anyWeightOption(pr))
            throw usageError("--quant-granularity and --fc-per-channel apply to --int8, --dynamic-range and --to edgetpu only");
        if (to == Target.edgetpu && quant.floatHead) throw usageError("--int8-float-head does not apply to --to edgetpu (every op must be integer)");
        if (to == Target.edgetpu && pr.hasMatchedOption("--io-dtype") && quant.ioDtype == QuantOptions.IoDtype.FLOAT32)
            throw usageError("--to edgetpu takes --io-dtype uint8 or int8");
        if (to == Target.edgetpu && !pr.hasMatchedOption("--io-dtype")) quant.ioDtype = QuantOptions.IoDtype.UINT8;
        if (!check && (pr.hasMatchedOption("--check-atol") || pr.hasMatchedOption("--check-rtol") || pr.hasMatchedOption("--check-cosine")
                || pr.hasMatchedOption("--check-images") || pr.hasMatchedOption("--check-report")))
            throw usageError("--check-atol, --check-rtol, --check-cosine, --check-images and --check-report apply to --check only");
        if (!(checkCosine >= -1 && checkCosine <= 1)) throw usageError("--check-cosine must be in [-1, 1]");
        if (checkImages < 0) throw usageError("--check-images must be >= 0 (0: all calibration images)");
        if (checkAtol < 0 || checkRtol < 0 || Double.isNaN(checkAtol) || Double.isNaN(checkRtol))
            throw usageError("--check-atol and --check-rtol must be >= 0");
        if (dynamicBatch && batch != null) throw usageError("--dynamic-batch and --batch contradict each other: one makes dim 0 symbolic, the other fixes it");
        profile = resolveProfile();
        passes = passNames();
        portable = PortableOptions.DEFAULT.withMvnAntiFusion(antiFusion);
        if (antiFusion && !passes.contains("mvn-decompose"))
            throw usageError("--anti-fusion applies to mvn-decompose, which is not in the pipeline (" + String.join(", ", passes)
                    + "); add --pass mvn-decompose");
        if (fusedArgmaxScale != null) {
            if (!passes.contains("fused-argmax")) throw usageError("--fused-argmax-scale applies to fused-argmax, which is opt-in; add --pass fused-argmax");
            try {
                portable = portable.withArgmaxScale(fusedArgmaxScale);
            } catch (IllegalArgumentException e) {
                throw usageError("--fused-argmax-scale " + fusedArgmaxScale + ": the scale must be in (0, 1)");
            }
        }
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (InputShapeArg a : inputShapes) {
            if (shapes.put(a.name(), a.dims()) != null) throw usageError("--input-shape is given twice for '" + a.name() + "'");
        }

        if (!Files.exists(model)) throw CliException.usage("file '" + model + "': not found");
        if (!Files.isRegularFile(model)) throw CliException.usage("file '" + model + "': not a regular file");
        if (!Files.isReadable(model)) throw CliException.usage("file '" + model + "': not readable");
        if (Files.exists(outDir) && !Files.isDirectory(outDir)) throw CliException.usage("output folder '" + outDir + "' exists and is not a folder");
        String stem = stem(model);

        List<Planned> planned = new ArrayList<>();
        if (to == Target.edgetpu) {
            planned.add(edgetpu(stem + "_edgetpu_ready.tflite", shapes));
        } else if (to == Target.tflite) {
            planned.add(tflite(stem + "_float32.tflite", shapes, false));
            if (fp16) planned.add(tflite(stem + "_float16.tflite", shapes, true));
            if (quant.dynamicRange) planned.add(dynamicRange(stem + "_dynamic_range_quant.tflite", shapes));
            if (quant.int8) planned.add(int8(stem + (quant.int16Activations ? "_full_integer_quant_with_int16_act.tflite" : "_full_integer_quant.tflite"), shapes));
        } else {
            String name = stem + ".onnx";
            Path target = outDir.resolve(name);
            try {
                if (Files.exists(target) && Files.isSameFile(target, model))
                    throw CliException.usage("file '" + model + "': the output '" + target + "' would overwrite the input model; choose another -o DIR");
            } catch (IOException e) {
                throw CliException.usage("cannot compare '" + target + "' with the input: " + e.getMessage(), e);
            }
            planned.add(onnx(name, shapes));
        }

        List<Path> written;
        try {
            written = OutputWriter.commit(outDir, planned.stream().map(Planned::output).toList());
        } catch (IOException e) {
            throw CliException.failed("cannot write to '" + outDir + "' (nothing was written): " + e, e);
        }
        if (!quiet) report(planned, written);
        if (!check) return ExitCodes.OK;
        boolean ok = true;
        for (Planned p : planned) {
            Path file = outDir.resolve(p.name());
            Checker.Options o = Checker.Options.of(checkAtol, checkRtol, 0, shapes, batch, Map.of());
            Path rep = checkReport == null ? null : checkReport.resolve(p.name().replaceFirst("\\.(tflite|onnx)$", ""));
            boolean quantized = p.name().endsWith("_quant.tflite") || p.name().endsWith("_edgetpu_ready.tflite");
            if (quantized) {
                // the calibration images (the int8 file's own, or for --dynamic-range alone none: random inputs)
                List<Map<String, dev.onnxport.ir.Tensor>> all = calibSamples.get(p.name());
                if (all == null && !calibSamples.isEmpty()) all = calibSamples.values().iterator().next();
                List<Map<String, dev.onnxport.ir.Tensor>> pick = null;
                String label = null;
                if (all != null && !all.isEmpty()) {
                    int n = checkImages == 0 ? all.size() : Math.min(checkImages, all.size());
                    pick = new ArrayList<>();
                    List<String> idx = new ArrayList<>();
                    for (int k = 0; k < n; k++) {
                        int i = (int) ((long) k * all.size() / n);
                        pick.add(all.get(i));
                        idx.add("#" + i);
                    }
                    String src = quant.calib.isEmpty() ? "coco20" : String.join(", ", quant.calib);
                    label = n + " of " + all.size() + " calibration samples (" + src + (n < all.size() ? "; " + String.join(" ", idx)
                            + "; --check-images N for more, 0 for all" : "") + ")";
                }
                o = o.withQuant(checkCosine, pick, label);
                out().println("check " + file + ":");
                Checker.Result r = CheckCommand.run(out(), err(), model, file, o, rep, System.console() != null, false, false);
                ok &= r.passed();
                continue;
            }
            out().println("check " + file + ":");
            Checker.Result r = CheckCommand.run(out(), err(), model, file, o, rep, System.console() != null, false, true);
            ok &= r.passed();
        }
        return ok ? ExitCodes.OK : ExitCodes.FAILED;
    }

    private CommandLine.ParameterException usageError(String msg) { return new CommandLine.ParameterException(spec.commandLine(), msg); }

    /** The profile in effect (tflite: 'tflite' unless given), or null for a plain --to onnx. */
    private Profile profile;
    /** The passes to run: for onnx the whole pipeline, for tflite those that run before the backend's own. */
    private List<String> passes;
    /** Options of the portable passes (--anti-fusion, --fused-argmax-scale). */
    private PortableOptions portable = PortableOptions.DEFAULT;

    private Profile resolveProfile() {
        if (profileName == null) return to != Target.onnx ? Profile.load("tflite") : null;
        Profile p;
        try {
            p = Profile.load(profileName);
        } catch (IllegalArgumentException e) {
            throw usageError("--profile: " + e.getMessage());
        }
        if (to != Target.onnx && !"tflite".equals(p.target()))
            throw usageError("--profile " + profileName + " describes an ONNX target; use it with --to onnx");
        if (opset != null && p.opset() != null && !opset.equals(p.opset()))
            throw usageError("--opset " + opset + " contradicts --profile " + profileName + ", which writes opset " + p.opset());
        return p;
    }

    private List<String> passNames() {
        List<String> base = new ArrayList<>();
        List<String> fixed = new ArrayList<>();
        if (to == Target.onnx) for (dev.onnxport.passes.Pass p : Pipelines.cleanup()) base.add(p.name());
        else {
            for (dev.onnxport.passes.Pass p : Pipelines.cleanup()) fixed.add(p.name());
            fixed.add("fold-batchnorm");
            for (dev.onnxport.passes.Pass p : dev.onnxport.passes.layout.LayoutPasses.forTflite(PassOptions.DEFAULT)) fixed.add(p.name());
        }
        if (profile != null) base.addAll(profile.passes());
        base.addAll(extraPasses);
        if (dynamicBatch) base.add("dynamic-batch");
        List<String> names = new ArrayList<>();
        for (String n : base) if (!names.contains(n)) names.add(n);
        for (String n : names) if (PassCatalog.byName(n) == null)
            throw usageError((extraPasses.contains(n) ? "--pass" : "profile '" + profile.name() + "'") + ": unknown pass '" + n + "' (see 'onnxport passes')");
        for (String n : noPasses) {
            if (PassCatalog.byName(n) == null) throw usageError("--no-pass: unknown pass '" + n + "' (see 'onnxport passes')");
            if (fixed.contains(n)) throw usageError("--no-pass " + n + ": the TFLite backend always runs it");
            if (!names.remove(n)) throw usageError("--no-pass " + n + ": it is not in the pipeline (" + String.join(", ", names) + ")");
        }
        if (to == Target.onnx && names.contains("layout-nhwc"))
            throw usageError("--pass layout-nhwc: channels-last nodes cannot be written as ONNX; use it with --to tflite");
        return names;
    }

    /** Runs the chosen passes (for onnx always, so that shapes are inferred for the profile check). */
    private void runPasses(Graph g, PassOptions o) {
        if (passes.isEmpty() && to != Target.onnx) return;
        new PassManager(PassCatalog.instances(passes, "--pass", o.portable()), 8).run(g, PassContext.standard(o));
    }

    private boolean warned;

    /** Loads the model afresh (passes change the graph in place) and applies --input-shape/--batch. */
    private Graph load(Map<String, long[]> shapes) {
        Graph g;
        try {
            g = OnnxFrontend.load(model).graph();
        } catch (ConversionException e) {
            throw CliException.usage(e.getMessage(), e);
        } catch (RuntimeException e) {
            throw CliException.usage("file '" + model + "': cannot read the model: " + e, e);
        }
        if (!shapes.isEmpty() || batch != null) {
            List<String> changed;
            try {
                changed = InputShapes.apply(g, shapes, batch);
            } catch (ConversionException e) {
                throw CliException.usage("file '" + model + "': " + e.getMessage(), e);
            }
            if (!warned && !quiet && batch != null && changed.stream().noneMatch(n -> !shapes.containsKey(n))) {
                err().println("onnxport: warning: --batch " + batch + " changed nothing: no input"
                        + (shapes.isEmpty() ? "" : " without --input-shape") + " has a symbolic dim 0");
            }
            warned = true;
        }
        for (String p : pinInputs) {
            int eq = p.indexOf('=');
            if (eq <= 0) throw CliException.usage("--pin-input takes NAME=VALUE[,VALUE...], got '" + p + "'", null);
            try {
                String[] parts = p.substring(eq + 1).split(",");
                double[] vals = new double[parts.length];
                for (int i = 0; i < parts.length; i++) vals[i] = Double.parseDouble(parts[i].strip());
                InputShapes.pin(g, p.substring(0, eq), vals);
            } catch (NumberFormatException e) {
                throw CliException.usage("--pin-input " + p + ": not a number list", e);
            } catch (ConversionException e) {
                throw CliException.usage("file '" + model + "': --pin-input: " + e.getMessage(), e);
            }
        }
        return g;
    }

    private Planned tflite(String name, Map<String, long[]> shapes, boolean half) {
        Graph g = load(shapes);
        byte[] bytes;
        try {
            PassOptions po = new PassOptions(ioLayout.name()).withPortable(portable);
            runPasses(g, po);
            bytes = Pipelines.toTflite(g, new TfliteOptions(half), po, new java.util.HashSet<>(noPasses));
        } catch (ConversionException e) {
            throw CliException.failed("file '" + model + "': " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw CliException.failed("file '" + model + "': TFLite conversion failed: " + e, e);
        }
        return planned(name, bytes);
    }

    private Planned int8(String name, Map<String, long[]> shapes) {
        Graph g = load(shapes);
        byte[] bytes;
        try {
            List<Map<String, dev.onnxport.ir.Tensor>> samples = Int8Convert.samples(g, quant, err(), quiet);
            PassOptions po = new PassOptions(ioLayout.name()).withPortable(portable);
            runPasses(g, po);
            bytes = Int8Convert.convert(model, g, samples, quant, po, new java.util.HashSet<>(noPasses), err(), quiet, false);
            if (check) calibSamples.put(name, samples);
        } catch (dev.onnxport.backends.quant.CalibrationException e) {
            throw CliException.usage("file '" + model + "': --int8: " + e.getMessage(), e);
        } catch (ConversionException e) {
            throw CliException.failed("file '" + model + "': --int8: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw CliException.failed("file '" + model + "': int8 TFLite conversion failed: " + e, e);
        }
        return planned(name, bytes);
    }

    private Planned edgetpu(String name, Map<String, long[]> shapes) {
        Graph g = load(shapes);
        byte[] bytes;
        try {
            List<Map<String, dev.onnxport.ir.Tensor>> samples = Int8Convert.samples(g, quant, err(), quiet);
            PassOptions po = new PassOptions("nhwc").withPortable(portable);
            runPasses(g, po);
            bytes = Int8Convert.convert(model, g, samples, quant, po, new java.util.HashSet<>(noPasses), err(), quiet, true);
            if (check) calibSamples.put(name, samples);
        } catch (dev.onnxport.backends.quant.CalibrationException e) {
            throw CliException.usage("file '" + model + "': --to edgetpu: " + e.getMessage(), e);
        } catch (ConversionException e) {
            throw CliException.failed("file '" + model + "': --to edgetpu: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw CliException.failed("file '" + model + "': Edge TPU conversion failed: " + e, e);
        }
        Planned p = planned(name, bytes);
        return new Planned(p.name(), p.output(), p.info(), dev.onnxport.backends.tflite.EdgeTpuCheck.check(bytes).summary());
    }

    private Planned dynamicRange(String name, Map<String, long[]> shapes) {
        Graph g = load(shapes);
        byte[] bytes;
        try {
            PassOptions po = new PassOptions(ioLayout.name()).withPortable(portable);
            runPasses(g, po);
            bytes = dev.onnxport.backends.quant.Int8Pipeline.dynamicRange(g, po, new java.util.HashSet<>(noPasses), Int8Convert.quantOptions(quant));
        } catch (ConversionException e) {
            throw CliException.failed("file '" + model + "': --dynamic-range: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw CliException.failed("file '" + model + "': dynamic-range TFLite conversion failed: " + e, e);
        }
        return planned(name, bytes);
    }

    private Planned planned(String name, byte[] bytes) {
        ModelInfo info;
        try {
            info = TfliteInspector.inspect(bytes, outDir.resolve(name).toString());
        } catch (IllegalArgumentException e) {
            throw CliException.failed("file '" + model + "': the TFLite emitter produced an unreadable flatbuffer: " + e.getMessage(), e);
        }
        return new Planned(name, OutputWriter.bytes(name, bytes), info);
    }

    private Planned onnx(String name, Map<String, long[]> shapes) {
        Graph g = load(shapes);
        OnnxOptions opts = new OnnxOptions(opset != null ? opset : profile != null ? profile.opset() : null, null);
        Integer source = g.opsets().get("");
        if (opset != null && source != null && opset < source && !quiet)
            err().println("onnxport: warning: --opset " + opset + " is below the model's opset " + source
                    + "; nodes are not rewritten, so ops whose definition changed may not load");
        try {
            // nodes the passes create take the form of the opset the file is written at (e.g. Unsqueeze axes as an
            // attribute below 13); existing nodes keep theirs, and the profile check below names those it cannot read
            runPasses(g, new PassOptions("nchw").withPortable(portable).withTargetOpset(opts.opset() != null ? opts.opset() : 0));
            if (profile != null) {
                List<ProfileCheck.Problem> problems = ProfileCheck.check(g, profile);
                if (!problems.isEmpty()) {
                    StringBuilder sb = new StringBuilder("file '" + model + "': target '" + profile.name() + "' cannot express "
                            + problems.size() + " node" + (problems.size() == 1 ? "" : "s") + " (nothing was written):");
                    for (ProfileCheck.Problem p : problems) sb.append("\n  ").append(p);
                    throw CliException.failed(sb.toString(), null);
                }
            }
            long threshold = externalDataThreshold;
            if (OnnxBackend.initializerBytes(g) > threshold) {
                // too big for one protobuf: the backend writes <name> and <name>.data straight into the staging folder
                OutputWriter.Output out = dir -> {
                    List<String> names = new ArrayList<>();
                    for (Path p : OnnxBackend.emit(g, opts, dir.resolve(name), threshold)) names.add(p.getFileName().toString());
                    return names;
                };
                return new Planned(name, out, null);
            }
            byte[] bytes = OnnxBackend.emit(g, opts);
            ModelInfo info = OnnxInspector.inspect(ModelProto.parseFrom(bytes), outDir.resolve(name).toString(), bytes.length);
            return new Planned(name, OutputWriter.bytes(name, bytes), info);
        } catch (CliException e) {
            throw e;
        } catch (ConversionException e) {
            throw CliException.failed("file '" + model + "': " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw CliException.failed("file '" + model + "': ONNX conversion failed: " + e, e);
        }
    }

    private void report(List<Planned> planned, List<Path> written) {
        for (Planned p : planned) {
            ModelInfo info = p.info();
            Path file = outDir.resolve(p.name());
            if (info == null) {
                try {
                    info = OnnxInspector.inspect(OnnxFrontend.parse(file), file.toString(), Files.size(file));
                } catch (IOException | RuntimeException e) {
                    out().println("wrote " + file);
                    continue;
                }
            }
            String unit = "ONNX".equals(info.format) ? " nodes" : " ops";
            StringBuilder line = new StringBuilder("wrote ").append(file).append(" (").append(ModelInfo.kb(info.sizeBytes)).append(", ")
                    .append(info.nodeCount).append(unit).append(")");
            for (Path w : written) {
                if (w.getFileName().toString().equals(p.name() + ".data")) {
                    try {
                        line.append(" + ").append(outDir.resolve(w.getFileName())).append(" (").append(ModelInfo.kb(Files.size(w))).append(")");
                    } catch (IOException ignored) {
                        // the summary is best effort
                    }
                }
            }
            out().println(line);
            int w = 0;
            for (ModelInfo.TensorDesc t : info.inputs) w = Math.max(w, t.name().length());
            for (ModelInfo.TensorDesc t : info.outputs) w = Math.max(w, t.name().length());
            for (ModelInfo.TensorDesc t : info.inputs) out().println(tensorLine("input ", t, w));
            for (ModelInfo.TensorDesc t : info.outputs) out().println(tensorLine("output", t, w));
            if (p.note() != null) out().println("  " + p.note());
        }
        out().flush();
    }

    private static String tensorLine(String kind, ModelInfo.TensorDesc t, int w) {
        return String.format(Locale.ROOT, "  %s %-" + Math.max(1, w) + "s  %s %s", kind, t.name(), t.dtype(), t.shapeText());
    }

    /** The file name without its .onnx extension (or its last extension). */
    static String stem(Path model) {
        String n = model.getFileName().toString();
        if (n.toLowerCase(Locale.ROOT).endsWith(".onnx")) return n.substring(0, n.length() - 5);
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
