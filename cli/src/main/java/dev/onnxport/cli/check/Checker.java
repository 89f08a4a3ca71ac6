package dev.onnxport.cli.check;

import dev.onnxport.backends.check.Compare;
import dev.onnxport.backends.check.Mapped;
import dev.onnxport.backends.check.OnnxTarget;
import dev.onnxport.backends.check.TargetRunner;
import dev.onnxport.backends.check.TfliteTarget;

import dev.onnxport.backends.runtime.OrtRunner;
import dev.onnxport.frontends.onnx.OnnxFrontend;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.passes.InputShapes;
import dev.onnxport.schemas.onnx.OnnxProto.ModelProto;
import dev.onnxport.schemas.onnx.OnnxProto.NodeProto;
import dev.onnxport.schemas.onnx.OnnxProto.ValueInfoProto;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Per-layer comparison of a converted model with its ONNX source: every intermediate tensor of the source (run in
 * onnxruntime with all node outputs exposed) against the target tensor that carries it (by the provenance stored in
 * the converted file), after undoing the recorded axis permutation and dequantizing.
 *
 * <p>Memory stays bounded: the mapped tensors are taken in graph order in chunks (at most {@code chunkTensors}
 * tensors and about {@code chunkBytes} bytes); each chunk is one run of each side, its tensors are compared and
 * dropped before the next chunk runs.
 */
public final class Checker {
    private Checker() {}

    /**
     * @param atol          absolute tolerance
     * @param rtol          relative tolerance (an element passes when |ref - got| <= atol + rtol * |ref|)
     * @param seed          seed of the random inputs
     * @param inputShapes   --input-shape values (ONNX input name to shape)
     * @param batch         --batch, or null
     * @param given         input values given by the user (ONNX input name to tensor, ONNX layout)
     * @param chunkTensors  most tensors fetched per run
     * @param chunkBytes    about the most bytes fetched per run
     * @param images        a folder of images for the first rank-4 float input not given (null: random)
     * @param mean          per-channel mean the images are normalized with: (pixel / 255 - mean) / std
     * @param std           per-channel std
     * @param minCosine     quantized files: the cosine similarity every model output must reach (mean over the samples)
     * @param samples       quantized files: the input sets to run (ONNX input name to tensor, ONNX layout), e.g. the
     *                      calibration images; null: one set made as for a float file (given, images, random)
     * @param samplesLabel  what the samples are, for the report (e.g. "4 of 20 calibration images (coco20)")
     */
    public record Options(double atol, double rtol, long seed, Map<String, long[]> inputShapes, Integer batch,
                          Map<String, Tensor> given, int chunkTensors, long chunkBytes, Path images, float[] mean, float[] std,
                          double minCosine, List<Map<String, Tensor>> samples, String samplesLabel) {
        public static final double DEFAULT_MIN_COSINE = 0.98;

        public Options(double atol, double rtol, long seed, Map<String, long[]> inputShapes, Integer batch,
                       Map<String, Tensor> given, int chunkTensors, long chunkBytes, Path images, float[] mean, float[] std) {
            this(atol, rtol, seed, inputShapes, batch, given, chunkTensors, chunkBytes, images, mean, std, DEFAULT_MIN_COSINE, null, null);
        }

        public static Options defaults() { return of(1e-4, 0, 0, Map.of(), null, Map.of()); }

        public static Options of(double atol, double rtol, long seed, Map<String, long[]> inputShapes, Integer batch, Map<String, Tensor> given) {
            return new Options(atol, rtol, seed, inputShapes, batch, given, 64, 128L << 20, null, new float[0], new float[0]);
        }

        /** These options with the quantization criterion and (when not null) the samples to run a quantized file on. */
        public Options withQuant(double minCosine, List<Map<String, Tensor>> samples, String samplesLabel) {
            return new Options(atol, rtol, seed, inputShapes, batch, given, chunkTensors, chunkBytes, images, mean, std, minCosine, samples, samplesLabel);
        }
    }

    public enum Status { PASS, FAIL, NOT_MAPPED, ERROR }

    /** One ONNX tensor (a node output) in graph order and how its target counterpart compares. */
    public record Row(int index, String node, String opType, String onnxName, List<String> inputs, boolean modelOutput,
                      Status status, String target, String targetOps, long[] shape, int[] perm, Compare.Stats stats, String note,
                      QuantStats.Stats quant) {
        public Row(int index, String node, String opType, String onnxName, List<String> inputs, boolean modelOutput,
                   Status status, String target, String targetOps, long[] shape, int[] perm, Compare.Stats stats, String note) {
            this(index, node, opType, onnxName, inputs, modelOutput, status, target, targetOps, shape, perm, stats, note, null);
        }

        public String shapeText() { return shape == null ? "?" : Arrays.toString(shape).replace(" ", ""); }
    }

    /**
     * @param quantized    the converted file is quantized: rows carry {@link QuantStats.Stats}, a row passes when its
     *                     mean cosine reaches {@code options.minCosine()}, and firstFail is the first layer under it
     * @param samples      input sets run (1 for a float file)
     * @param samplesLabel what they were (null: as the inputs line says)
     * @param largestJump  quantized: the row whose drift (1 - cosine) grew most over its inputs' drift, or null
     */
    public record Result(String onnxFile, String convertedFile, String format, String runtime, Options options,
                         Map<String, long[]> inputShapes, List<Row> rows, List<String> outputs, boolean passed,
                         Row firstFail, List<String> warnings, String imageInput, boolean quantized, int samples,
                         String samplesLabel, Row largestJump) {
        public long count(Status s) { return rows.stream().filter(r -> r.status() == s).count(); }

        public Row row(String onnxName) {
            for (Row r : rows) if (r.onnxName().equals(onnxName)) return r;
            return null;
        }
    }

    /** An ONNX tensor to compare: the node that makes it, its op type, name and the node's inputs. */
    private record Pending(String node, String op, String name, List<String> ins) {}

    /** Bad usage or an unreadable file (exit 2 in the CLI). */
    public static final class UsageException extends RuntimeException {
        public UsageException(String m) { super(m); }

        public UsageException(String m, Throwable cause) { super(m, cause); }
    }

    /** Progress: done of total tensors compared. */
    @FunctionalInterface
    public interface Progress {
        void update(int done, int total);
    }

    /** Opens a converted file as a target by its content (TFLite "TFL3" identifier, else ONNX protobuf). */
    public static TargetRunner openTarget(Path converted) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(converted);
        } catch (IOException e) {
            throw new UsageException("file '" + converted + "': cannot read: " + e.getMessage(), e);
        }
        if (bytes.length >= 8 && bytes[4] == 'T' && bytes[5] == 'F' && bytes[6] == 'L' && bytes[7] == '3') {
            try {
                return new TfliteTarget(bytes);
            } catch (IllegalArgumentException e) {
                throw new UsageException("file '" + converted + "': " + e.getMessage(), e);
            }
        }
        ModelProto m;
        try {
            m = OnnxFrontend.parse(converted);
        } catch (ConversionException e) {
            throw new UsageException("file '" + converted + "': not a TFLite model, and " + e.getMessage(), e);
        }
        Path dir = converted.toAbsolutePath().getParent();
        return new OnnxTarget(m, dir);
    }

    public static Result check(Path onnx, Path converted, Options o, Progress progress) {
        ModelProto src;
        Graph g;
        try {
            src = OnnxFrontend.parse(onnx);
            g = OnnxFrontend.load(onnx).graph();
        } catch (ConversionException e) {
            throw new UsageException("file '" + onnx + "': " + e.getMessage(), e);
        }
        try (TargetRunner target = openTarget(converted)) {
            return check(src, g, onnx, converted, target, o, progress);
        }
    }

    static Result check(ModelProto src, Graph g, Path onnx, Path converted, TargetRunner target, Options o, Progress progress) {
        List<String> warnings = new ArrayList<>();
        if (!target.hasProvenance())
            warnings.add("'" + converted + "' carries no onnxport provenance: tensors are matched by name and assumed to be in ONNX layout");

        boolean quantized = quantized(target);

        // ---- inputs (a quantized file may be run on several input sets, e.g. the calibration images)
        String[] imageInput = new String[1];
        List<Map<String, Tensor>> sets;
        if (quantized && o.samples() != null && !o.samples().isEmpty()) {
            sets = o.samples();
            for (Map<String, Tensor> set : sets)
                for (Value v : g.inputs())
                    if (!set.containsKey(v.name())) throw new UsageException("the samples have no value for input '" + v.name() + "' of '" + onnx + "'");
        } else {
            sets = List.of(inputs(g, target, o, onnx, imageInput));
        }
        Map<String, Tensor> inputs = sets.get(0);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : inputs.entrySet()) shapes.put(e.getKey(), e.getValue().shape());
        List<Map<String, Tensor>> feeds = new ArrayList<>();
        for (Map<String, Tensor> set : sets) feeds.add(targetFeed(set, target, onnx, converted));
        Map<String, Tensor> targetFeed = feeds.get(0);

        // ---- rows in graph order
        Set<String> outputs = new HashSet<>();
        List<String> outputList = new ArrayList<>();
        for (ValueInfoProto vi : src.getGraph().getOutputList()) { outputs.add(vi.getName()); outputList.add(vi.getName()); }
        Map<String, Mapped> byOnnx = new HashMap<>();
        for (Mapped m : target.mapping()) {
            Mapped prev = byOnnx.get(m.onnxName());
            // the first tensor that carries it wins, except that a computed tensor beats a constant and a graph input
            if (prev == null || rank(m) > rank(prev)) byOnnx.put(m.onnxName(), m);
        }
        List<Pending> pending = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        int unnamed = 0;
        for (NodeProto n : src.getGraph().getNodeList()) {
            String nodeName = n.getName().isEmpty() ? n.getOpType() + "#" + unnamed++ : n.getName();
            for (String out : n.getOutputList()) {
                if (out.isEmpty() || !seen.add(out)) continue;
                pending.add(new Pending(nodeName, n.getOpType(), out, n.getInputList()));
            }
        }
        for (String out : outputList) {
            if (seen.add(out)) pending.add(new Pending("", "(graph output)", out, List.of()));
        }

        // why a tensor has no counterpart: folded to a constant, removed identity, or fused into its one consumer
        Set<String> constant = new HashSet<>();
        src.getGraph().getInitializerList().forEach(t -> constant.add(t.getName()));
        Map<String, List<Pending>> consumers = new HashMap<>();
        for (Pending p : pending) {
            boolean allConst = p.op().equals("Constant") || p.op().equals("Shape") || p.op().equals("Size");
            if (!allConst && !p.ins().isEmpty()) {
                allConst = true;
                for (String in : p.ins()) if (!in.isEmpty() && !constant.contains(in)) allConst = false;
            }
            if (allConst && !p.op().startsWith("Random")) constant.add(p.name());
            for (String in : p.ins()) if (!in.isEmpty()) consumers.computeIfAbsent(in, x -> new ArrayList<>()).add(p);
        }

        Row[] rows = new Row[pending.size()];
        List<Integer> todo = new ArrayList<>();
        for (int i = 0; i < pending.size(); i++) {
            Pending p = pending.get(i);
            Mapped m = byOnnx.get(p.name());
            if (m == null) {
                String why = "no tensor of the converted model carries it";
                List<Pending> cons = consumers.getOrDefault(p.name(), List.of());
                java.util.Set<String> consNodes = new java.util.LinkedHashSet<>();
                for (Pending c : cons) consNodes.add(c.node());
                if (constant.contains(p.name())) why = "folded to a constant";
                else if (p.op().equals("Identity") || p.op().equals("Dropout")) why = "removed (" + p.op() + ": same values as its input)";
                else if (consNodes.size() == 1 && byOnnx.containsKey(cons.get(0).name()))
                    why = "fused into " + cons.get(0).op() + " '" + cons.get(0).node() + "'";
                rows[i] = new Row(i, p.node(), p.op(), p.name(), p.ins(), outputs.contains(p.name()), Status.NOT_MAPPED,
                        null, null, null, null, null, why);
            } else {
                todo.add(i);
            }
        }

        // ---- run chunk by chunk
        int done = 0;
        if (progress != null) progress.update(0, todo.size());
        String targetFailure = null;
        {
            int k = 0;
            while (k < todo.size()) {
                List<Integer> chunk = new ArrayList<>();
                long bytes = 0;
                while (k < todo.size() && chunk.size() < Math.max(1, o.chunkTensors())) {
                    Mapped m = byOnnx.get(pending.get(todo.get(k)).name());
                    long b = Math.max(0, m.byteSize());
                    if (!chunk.isEmpty() && bytes + b > o.chunkBytes()) break;
                    bytes += b;
                    chunk.add(todo.get(k++));
                }
                List<String> names = new ArrayList<>();
                List<Mapped> wanted = new ArrayList<>();
                for (int i : chunk) {
                    names.add(pending.get(i).name());
                    Mapped m = byOnnx.get(pending.get(i).name());
                    if (!wanted.contains(m)) wanted.add(m);
                }
                if (quantized) {
                    targetFailure = quantChunk(src, onnx, target, o, sets, feeds, pending, byOnnx, outputs, chunk, names, wanted, rows, targetFailure);
                    done += chunk.size();
                    if (progress != null) progress.update(done, todo.size());
                    continue;
                }
                Map<String, Tensor> ref;
                // one session per chunk that outputs just the chunk's tensors: onnxruntime keeps every graph output
                // of a run alive until the run ends, so a session exposing all of them would hold every intermediate
                try (OrtRunner source = sourceSession(src, names, onnx)) {
                    ref = source.run(inputs, names);
                } catch (ConversionException e) {
                    throw new UsageException("'" + onnx + "' does not run in onnxruntime on these inputs"
                            + (o.given().isEmpty() && o.images() == null ? " (random: floats in [0,1), integers 0 or 1; give real ones with --inputs)" : "")
                            + ": " + e.getMessage(), e);
                }
                Map<Mapped, Tensor> got = Map.of();
                if (targetFailure == null) {
                    try {
                        got = target.run(targetFeed, wanted);
                    } catch (RuntimeException e) {
                        targetFailure = target.runtime() + " failed: " + e.getMessage();
                    }
                }
                for (int i : chunk) {
                    Pending p = pending.get(i);
                    Mapped m = byOnnx.get(p.name());
                    Tensor a = ref.get(p.name()), b = got.get(m);
                    boolean isOut = outputs.contains(p.name());
                    String tops = m.ops();
                    if (a == null) {
                        rows[i] = new Row(i, p.node(), p.op(), p.name(), p.ins(), isOut, Status.ERROR, m.name(), tops, m.shape(), m.perm(), null,
                                "onnxruntime returned no tensor for it");
                    } else if (b == null) {
                        rows[i] = new Row(i, p.node(), p.op(), p.name(), p.ins(), isOut, Status.ERROR, m.name(), tops, a.shape(), m.perm(), null,
                                targetFailure != null ? targetFailure : "the target returned no value for '" + m.name() + "'");
                    } else {
                        String[] note = new String[1];
                        try {
                            Compare.Stats s = Compare.compare(a, b, m.perm(), m.quant(), o.atol(), o.rtol(), note);
                            rows[i] = new Row(i, p.node(), p.op(), p.name(), p.ins(), isOut, s.pass() ? Status.PASS : Status.FAIL, m.name(), tops,
                                    a.shape(), m.perm(), s, note[0]);
                        } catch (Compare.Mismatch e) {
                            rows[i] = new Row(i, p.node(), p.op(), p.name(), p.ins(), isOut, Status.FAIL, m.name(), tops, a.shape(), m.perm(), null,
                                    e.getMessage());
                        }
                    }
                    done++;
                }
                if (progress != null) progress.update(done, todo.size());
            }
        }
        List<Row> all = List.of(rows);
        boolean passed = !outputList.isEmpty();
        for (String out : outputList) {
            Row r = null;
            for (Row x : all) if (x.onnxName().equals(out)) { r = x; break; }
            if (r == null || r.status() != Status.PASS) passed = false;
        }
        Row first = null;
        for (Row r : all) if (r.status() == Status.FAIL || r.status() == Status.ERROR) { first = r; break; }
        return new Result(onnx.toString(), converted.toString(), target.format(), target.runtime(), o, shapes, all, outputList, passed,
                first, warnings, imageInput[0], quantized, sets.size(), quantized && o.samples() != null && !o.samples().isEmpty() ? o.samplesLabel() : null,
                quantized ? largestJump(all) : null);
    }

    /** True when the file holds quantized tensors (int8/uint8/int16 with a scale): full integer, dynamic range, Edge TPU. */
    public static boolean quantized(TargetRunner target) {
        if (target instanceof TfliteTarget t) {
            // also the int8 weights of a dynamic-range file, which no provenance entry names
            for (dev.onnxport.backends.check.TfliteFile.TensorInfo x : t.file().tensors()) {
                if (x.quant() == null || x.quant().scale().length == 0) continue;
                if (x.type() == tflite.TensorType.INT8 || x.type() == tflite.TensorType.UINT8 || x.type() == tflite.TensorType.INT16) return true;
            }
        }
        for (Mapped m : target.mapping()) {
            if (m.quant() == null || m.quant().scale().length == 0 || m.dtype() == null) continue;
            if (m.dtype() == DType.INT8 || m.dtype() == DType.UINT8 || m.dtype() == DType.INT16) return true;
        }
        return false;
    }

    /** One input set in the target's layout; a float value for an integer (quantized) input is quantized with its scale. */
    private static Map<String, Tensor> targetFeed(Map<String, Tensor> inputs, TargetRunner target, Path onnx, Path converted) {
        Map<String, Tensor> targetFeed = new LinkedHashMap<>();
        for (Mapped m : target.inputs()) {
            Tensor t = inputs.get(m.onnxName());
            if (t == null) throw new UsageException("input '" + m.name() + "' of '" + converted + "' comes from no input of '" + onnx + "' (it carries '" + m.onnxName() + "')");
            try {
                t = Compare.toTarget(t, m.perm());
            } catch (Compare.Mismatch e) {
                throw new UsageException("input '" + m.name() + "': " + e.getMessage());
            }
            if (m.dtype() != null && m.dtype() != t.dtype() && target.format().equals("onnx")) t = t.cast(m.dtype());
            else if (m.dtype() != null && t.dtype().isFloat() && (m.dtype() == DType.INT8 || m.dtype() == DType.UINT8 || m.dtype() == DType.INT16)
                    && m.quant() != null && m.quant().scale().length > 0)
                t = QuantStats.quantize(t, m.dtype(), m.quant());
            targetFeed.put(m.name(), t);
        }
        return targetFeed;
    }

    /**
     * Runs one chunk on every input set and fills its rows with quantization statistics; a row passes when its mean
     * cosine reaches o.minCosine(). Returns the target's failure message (kept for the next chunks), or null.
     */
    private static String quantChunk(ModelProto src, Path onnx, TargetRunner target, Options o, List<Map<String, Tensor>> sets,
                                     List<Map<String, Tensor>> feeds, List<Pending> pending, Map<String, Mapped> byOnnx, Set<String> outputs,
                                     List<Integer> chunk, List<String> names, List<Mapped> wanted, Row[] rows, String targetFailure) {
        Map<Integer, QuantStats.Acc> acc = new HashMap<>();
        Map<Integer, String> errors = new HashMap<>(), mismatches = new HashMap<>(), notes = new HashMap<>();
        Map<Integer, long[]> refShape = new HashMap<>();
        try (OrtRunner source = sourceSession(src, names, onnx)) {
            for (int s = 0; s < sets.size(); s++) {
                Map<String, Tensor> ref;
                try {
                    ref = source.run(sets.get(s), names);
                } catch (ConversionException e) {
                    throw new UsageException("'" + onnx + "' does not run in onnxruntime on these inputs: " + e.getMessage(), e);
                }
                Map<Mapped, Tensor> got = Map.of();
                if (targetFailure == null) {
                    try {
                        got = target.run(feeds.get(s), wanted);
                    } catch (RuntimeException e) {
                        targetFailure = target.runtime() + " failed: " + e.getMessage();
                    }
                }
                for (int i : chunk) {
                    if (errors.containsKey(i) || mismatches.containsKey(i)) continue;
                    String name = names.get(chunk.indexOf(i));
                    Mapped m = byOnnx.get(name);
                    Tensor a = ref.get(name), b = got.get(m);
                    if (a == null) errors.put(i, "onnxruntime returned no tensor for it");
                    else if (b == null) errors.put(i, targetFailure != null ? targetFailure : "the target returned no value for '" + m.name() + "'");
                    else {
                        String[] note = new String[1];
                        try {
                            acc.computeIfAbsent(i, x -> new QuantStats.Acc()).add(a, b, m.perm(), m.quant(), !outputs.contains(name), note);
                            refShape.put(i, a.shape());
                            if (note[0] != null) notes.put(i, note[0]);
                        } catch (Compare.Mismatch e) {
                            mismatches.put(i, e.getMessage());
                        }
                    }
                }
            }
        } catch (ConversionException e) {
            throw new UsageException("'" + onnx + "' does not run in onnxruntime on these inputs: " + e.getMessage(), e);
        }
        for (int i : chunk) {
            String name = names.get(chunk.indexOf(i));
            Mapped m = byOnnx.get(name);
            Pending old = pending.get(i);
            boolean isOut = outputs.contains(name);
            if (errors.containsKey(i)) {
                rows[i] = new Row(i, old.node(), old.op(), name, old.ins(), isOut, Status.ERROR, m.name(), m.ops(), m.shape(), m.perm(), null, errors.get(i));
            } else if (mismatches.containsKey(i)) {
                rows[i] = new Row(i, old.node(), old.op(), name, old.ins(), isOut, Status.FAIL, m.name(), m.ops(), m.shape(), m.perm(), null, mismatches.get(i));
            } else {
                QuantStats.Stats q = acc.get(i).stats();
                rows[i] = new Row(i, old.node(), old.op(), name, old.ins(), isOut, q.cosine() >= o.minCosine() ? Status.PASS : Status.FAIL,
                        m.name(), m.ops(), refShape.get(i), m.perm(), q.asCompare(), notes.get(i), q);
            }
        }
        return targetFailure;
    }

    /**
     * The row whose drift (1 - mean cosine) grew most over the drift of its inputs (the nearest compared tensors
     * upstream, through tensors that are not mapped); null when none grew.
     */
    public static Row largestJump(List<Row> rows) {
        Map<String, Row> byName = new HashMap<>();
        for (Row r : rows) byName.put(r.onnxName(), r);
        Row best = null;
        double bestJump = 0;
        for (Row r : rows) {
            if (r.quant() == null) continue;
            double jump = r.quant().drift() - inherited(r, byName, new HashSet<>(), 0);
            if (jump > bestJump) { bestJump = jump; best = r; }
        }
        return best;
    }

    /** The largest drift among r's nearest compared inputs (0 for model inputs and constants). */
    public static double inherited(Row r, Map<String, Row> byName, Set<String> seen, int depth) {
        double d = 0;
        for (String in : r.inputs()) {
            if (in.isEmpty() || !seen.add(in)) continue;
            Row x = byName.get(in);
            if (x == null) continue;
            if (x.quant() != null) d = Math.max(d, x.quant().drift());
            else if (x.status() == Status.NOT_MAPPED && depth < 8) d = Math.max(d, inherited(x, byName, seen, depth + 1));
        }
        return d;
    }

    private static int rank(Mapped m) { return m.ops().equals("input") ? 0 : m.constant() ? 1 : 2; }

    private static OrtRunner sourceSession(ModelProto src, List<String> names, Path onnx) {
        try {
            Path dir = onnx.toAbsolutePath().getParent();
            return new OrtRunner(OrtRunner.exposeOutputs(src, names).toByteArray(), dir);
        } catch (ConversionException e) {
            throw new UsageException("'" + onnx + "' does not load in onnxruntime: " + e.getMessage(), e);
        }
    }

    /**
     * The source inputs (ONNX layout): the given ones, else seeded random values of each input's dtype and shape.
     * Shapes: --input-shape / --batch (symbols bound as convert does), then the given tensor's, then the model's
     * static shape, then the converted model's (its inputs are static when it was converted with fixed shapes).
     */
    static Map<String, Tensor> inputs(Graph g, TargetRunner target, Options o, Path onnx, String[] imageInput) {
        Map<String, long[]> shapes = new LinkedHashMap<>(o.inputShapes());
        for (Map.Entry<String, Tensor> e : o.given().entrySet()) shapes.putIfAbsent(e.getKey(), e.getValue().shape());
        List<String> names = new ArrayList<>();
        for (Value v : g.inputs()) names.add(v.name());
        for (String n : o.given().keySet())
            if (!names.contains(n)) throw new UsageException("--inputs: '" + n + "' is not an input of '" + onnx + "'; inputs are: " + names);
        if (!shapes.isEmpty() || o.batch() != null) {
            try {
                InputShapes.apply(g, shapes, o.batch());
            } catch (ConversionException e) {
                throw new UsageException(e.getMessage(), e);
            }
        }
        Map<String, Mapped> targetInputs = new HashMap<>();
        for (Mapped m : target.inputs()) targetInputs.put(m.onnxName(), m);
        SplittableRandom rnd = new SplittableRandom(o.seed());
        Map<String, Tensor> r = new LinkedHashMap<>();
        boolean imagesUsed = false;
        for (Value v : g.inputs()) {
            Tensor given = o.given().get(v.name());
            DType dt = v.dtype();
            if (given != null) {
                r.put(v.name(), dt != null && given.dtype() != dt ? given.cast(dt) : given);
                continue;
            }
            long[] shape = null;
            Shape s = v.shape();
            if (s != null && s.isStatic()) shape = s.toArray();
            Mapped m = targetInputs.get(v.name());
            if (shape == null && m != null && m.shape() != null && Arrays.stream(m.shape()).allMatch(d -> d >= 0)) {
                long[] t = Compare.unpermute(m.shape(), m.perm());
                if (s == null || s.rank() == t.length) shape = t;
            }
            if (shape == null)
                throw new UsageException("input '" + v.name() + "' has shape " + s + " with unknown dims; give --input-shape " + v.name() + ":d0,d1,...");
            if (dt == null) throw new UsageException("input '" + v.name() + "' has no known element type");
            if (o.images() != null && !imagesUsed && dt.isFloat() && shape.length == 4) {
                try {
                    r.put(v.name(), Images.load(o.images(), shape, dt, o.mean(), o.std()));
                } catch (java.io.IOException | IllegalArgumentException e) {
                    throw new UsageException("--images for input '" + v.name() + "': " + e.getMessage(), e);
                }
                imagesUsed = true;
                imageInput[0] = v.name();
                continue;
            }
            r.put(v.name(), random(dt, shape, rnd));
        }
        if (o.images() != null && !imagesUsed)
            throw new UsageException("--images: the model has no rank-4 float input left to feed them to");
        return r;
    }

    /**
     * Seeded values fitted to the dtype: floats uniform in [0, 1), integers and bools 0 or 1 (valid as token ids,
     * token types, masks and indices into any non-empty axis).
     */
    public static Tensor random(DType dt, long[] shape, SplittableRandom rnd) {
        int n = Math.toIntExact(Tensor.numel(shape));
        if (dt.isFloat()) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) v[i] = rnd.nextDouble();
            return Tensor.fromDoubles(dt, shape, v);
        }
        if (dt == DType.STRING) throw new UsageException("string inputs cannot be generated; give them with --inputs");
        long[] v = new long[n];
        for (int i = 0; i < n; i++) v[i] = rnd.nextInt(2);
        return Tensor.fromLongs(dt, shape, v);
    }
}
