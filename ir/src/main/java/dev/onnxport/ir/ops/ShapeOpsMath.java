package dev.onnxport.ir.ops;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Parameter logic of the shape family shared by shape inference, constant evaluation and the backends: how each
 * opset form of Reshape/Slice/Pad/Split/Squeeze/Unsqueeze/... reads its parameters, ONNX's clamping rules, and a
 * small symbolic evaluator for the integer shape subgraphs of real exports (Shape -> Gather -> Unsqueeze ->
 * Concat -> Reshape), so that symbolic dims survive a Reshape whose shape is computed at run time.
 */
public final class ShapeOpsMath {
    private ShapeOpsMath() {}

    /** An element of an integer shape vector: a known value (possibly negative, e.g. -1) or a symbolic dim. */
    public record SymInt(long value, Dim sym) {
        public static SymInt of(long v) { return new SymInt(v, null); }

        public static SymInt of(Dim d) { return d.isKnown() ? of(d.value()) : new SymInt(0, d); }

        public static SymInt unknown() { return new SymInt(0, anon()); }

        public boolean known() { return sym == null; }

        /** As a dim: known non-negative values, or the symbol (anonymous for unknown or negative values). */
        public Dim toDim() { return known() ? (value >= 0 ? Dim.of(value) : anon()) : sym; }

        @Override public String toString() { return known() ? Long.toString(value) : sym.toString(); }
    }

    /** An unnamed symbolic dim (never identified with another one). */
    public static Dim anon() { return Dim.sym(""); }

    /** True for a named symbolic dim (two such dims with the same name are the same size). */
    public static boolean named(Dim d) {
        return d instanceof Dim.Sym s && s.name() != null && !s.name().isEmpty();
    }

    /** Where parameter inputs come from: a node's (constant) values, or the tensors an evaluator was given. */
    public interface Inputs {
        boolean has(int i);

        /** Integer values of input i, or null when absent or not known before run time. */
        long[] ints(int i);

        /** Constant data of input i, or null. */
        Tensor tensor(int i);

        static Inputs of(Node n) {
            return new Inputs() {
                public boolean has(int i) { return n.input(i) != null; }
                public long[] ints(int i) { return knownInts(n.input(i)); }
                public Tensor tensor(int i) { return n.constInput(i); }
            };
        }

        static Inputs of(List<Tensor> ts) {
            return new Inputs() {
                public boolean has(int i) { return i < ts.size() && ts.get(i) != null; }
                public long[] ints(int i) { return has(i) ? ts.get(i).toLongs() : null; }
                public Tensor tensor(int i) { return has(i) ? ts.get(i) : null; }
            };
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Symbolic evaluation of small integer vectors

    /** The elements of a rank-0/1 integer value, tracking symbolic dims through shape subgraphs; null if unknown. */
    public static List<SymInt> symbolicInts(Value v) {
        List<SymInt> r = sym(v, 0);
        if (r != null) return r;
        return anonymousOfLength(v);
    }

    /** Only the fully known case: the values, or null. */
    public static long[] knownInts(Value v) {
        List<SymInt> s = sym(v, 0);
        if (s == null) return null;
        long[] r = new long[s.size()];
        for (int i = 0; i < r.length; i++) {
            if (!s.get(i).known()) return null;
            r[i] = s.get(i).value();
        }
        return r;
    }

    private static List<SymInt> anonymousOfLength(Value v) {
        if (v == null || v.shape() == null || v.shape().rank() > 1 || !v.shape().isStatic()) return null;
        long n = v.shape().numel();
        if (n > 64) return null;
        List<SymInt> r = new ArrayList<>();
        for (int i = 0; i < n; i++) r.add(SymInt.unknown());
        return r;
    }

    private static List<SymInt> symOrAnon(Value v, int depth) {
        List<SymInt> r = sym(v, depth);
        return r != null ? r : anonymousOfLength(v);
    }

    private static List<SymInt> sym(Value v, int depth) {
        if (v == null || depth > 24) return null;
        Tensor c = v.constant();
        if (c != null) {
            if (!(c.dtype().isInteger() || c.dtype() == DType.BOOL) || c.rank() > 1 || c.numel() > 64) return null;
            List<SymInt> r = new ArrayList<>();
            for (long x : c.toLongs()) r.add(SymInt.of(x));
            return r;
        }
        Node p = v.producer();
        if (p == null || !p.domain().isEmpty() || p.outputs().size() < 1 || p.output(0) != v) return null;
        try {
            switch (p.opType()) {
                case "Shape": {
                    Shape s = p.input(0) == null ? null : p.input(0).shape();
                    if (s == null) return null;
                    int[] se = shapeRange(p, s.rank());
                    List<SymInt> r = new ArrayList<>();
                    for (int i = se[0]; i < se[1]; i++) r.add(SymInt.of(s.dim(i)));
                    return r;
                }
                case "Size": {
                    Shape s = p.input(0) == null ? null : p.input(0).shape();
                    if (s == null) return null;
                    Dim d = product(s.dims());
                    return List.of(SymInt.of(d));
                }
                case "Identity":
                case "Squeeze":
                case "Unsqueeze":
                case "Reshape":
                case "Flatten":
                    return sym(p.input(0), depth + 1);
                case "Cast": {
                    long to = p.attrs().getInt("to", 0);
                    DType t;
                    try { t = DType.fromOnnx((int) to); } catch (IllegalArgumentException e) { return null; }
                    if (!t.isInteger()) return null;
                    return sym(p.input(0), depth + 1);
                }
                case "Concat": {
                    List<SymInt> r = new ArrayList<>();
                    for (Value in : p.inputs()) {
                        if (in == null) continue;
                        List<SymInt> part = symOrAnon(in, depth + 1);
                        if (part == null) return null;
                        r.addAll(part);
                    }
                    return r;
                }
                case "Gather": {
                    if (p.attrs().getInt("axis", 0) != 0) return null;
                    List<SymInt> data = sym(p.input(0), depth + 1);
                    Tensor idx = p.constInput(1);
                    if (data == null || idx == null || idx.rank() > 1) return null;
                    List<SymInt> r = new ArrayList<>();
                    for (long i : idx.toLongs()) {
                        long j = i < 0 ? i + data.size() : i;
                        if (j < 0 || j >= data.size()) return null;
                        r.add(data.get((int) j));
                    }
                    return r;
                }
                case "Slice": {
                    List<SymInt> data = sym(p.input(0), depth + 1);
                    if (data == null) return null;
                    SliceSpec sp = sliceSpec(p, 1);
                    if (sp == null) return null;
                    long[] n = sliceAxis(data.size(), sp.starts[0], sp.ends[0], sp.steps[0]);
                    List<SymInt> r = new ArrayList<>();
                    for (long k = 0; k < n[2]; k++) r.add(data.get((int) (n[0] + k * sp.steps[0])));
                    return r;
                }
                case "Add":
                case "Sub":
                case "Mul":
                case "Div":
                case "Max":
                case "Min": {
                    if (p.inputs().size() != 2) return null;
                    List<SymInt> a = symOrAnon(p.input(0), depth + 1), b = symOrAnon(p.input(1), depth + 1);
                    if (a == null || b == null) return null;
                    int n = Math.max(a.size(), b.size());
                    if ((a.size() != n && a.size() != 1) || (b.size() != n && b.size() != 1)) return null;
                    List<SymInt> r = new ArrayList<>();
                    for (int i = 0; i < n; i++) r.add(arith(p.opType(), a.get(a.size() == 1 ? 0 : i), b.get(b.size() == 1 ? 0 : i)));
                    return r;
                }
                default:
                    return null;
            }
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static SymInt arith(String op, SymInt a, SymInt b) {
        if (a.known() && b.known()) {
            long x = a.value(), y = b.value();
            return switch (op) {
                case "Add" -> SymInt.of(x + y);
                case "Sub" -> SymInt.of(x - y);
                case "Mul" -> SymInt.of(x * y);
                case "Div" -> y == 0 ? SymInt.unknown() : SymInt.of(x / y);
                case "Max" -> SymInt.of(Math.max(x, y));
                default -> SymInt.of(Math.min(x, y));
            };
        }
        switch (op) {
            case "Add": if (b.known() && b.value() == 0) return a; if (a.known() && a.value() == 0) return b; break;
            case "Sub": if (b.known() && b.value() == 0) return a; break;
            case "Mul": if (b.known() && b.value() == 1) return a; if (a.known() && a.value() == 1) return b; break;
            case "Div": if (b.known() && b.value() == 1) return a; break;
            default: if (!a.known() && !b.known() && named(a.sym()) && a.sym().equals(b.sym())) return a;
        }
        return SymInt.unknown();
    }

    /** [start, end) of Shape's start/end attributes (opset 15), clamped to [0, rank]. */
    public static int[] shapeRange(Node n, int rank) {
        long start = n.attrs().getInt("start", 0), end = n.attrs().getInt("end", rank);
        if (start < 0) start += rank;
        if (end < 0) end += rank;
        start = Math.max(0, Math.min(rank, start));
        end = Math.max(start, Math.min(rank, end));
        return new int[] {(int) start, (int) end};
    }

    /** Product of dims: known when all are; the one named symbol when the rest multiply to 1; else anonymous. */
    public static Dim product(List<Dim> dims) {
        long k = 1;
        Dim symbol = null;
        int syms = 0;
        for (Dim d : dims) {
            if (d.isKnown()) k *= d.value();
            else { syms++; symbol = d; }
        }
        if (syms == 0) return Dim.of(k);
        if (k == 0) return Dim.of(0);
        if (syms == 1 && k == 1) return symbol;
        return anon();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Reshape

    /** Output dims of Reshape(in, target) with ONNX's 0 (copy, unless allowzero) and -1 (inferred) rules. */
    public static List<Dim> reshapeDims(Shape in, List<SymInt> target, boolean allowZero) {
        List<Dim> out = new ArrayList<>();
        int infer = -1;
        for (int i = 0; i < target.size(); i++) {
            SymInt t = target.get(i);
            if (!t.known()) { out.add(t.sym()); continue; }
            long v = t.value();
            if (v == 0 && !allowZero) {
                if (in == null) out.add(anon());
                else if (i >= in.rank()) throw new ConversionException("Reshape: 0 at position " + i + " copies a dim the input does not have");
                else out.add(in.dim(i));
            } else if (v == -1) {
                if (infer >= 0) throw new ConversionException("Reshape: more than one -1 in the shape");
                infer = i;
                out.add(null);
            } else if (v < 0) {
                throw new ConversionException("Reshape: invalid dim " + v);
            } else out.add(Dim.of(v));
        }
        if (infer >= 0) out.set(infer, inferDim(in, out, infer));
        else if (in != null && in.isStatic() && allStatic(out) && Shape.of(out).numel() != in.numel())
            throw new ConversionException("Reshape: cannot reshape " + in + " (" + in.numel() + " elements) to " + out);
        return out;
    }

    private static boolean allStatic(List<Dim> ds) {
        for (Dim d : ds) if (!d.isKnown()) return false;
        return true;
    }

    private static Dim inferDim(Shape in, List<Dim> out, int skip) {
        if (in == null) return anon();
        long kin = 1;
        List<Dim> syms = new ArrayList<>();
        for (Dim d : in.dims()) {
            if (d.isKnown()) kin *= d.value();
            else if (named(d)) syms.add(d);
            else return kin == 0 ? Dim.of(0) : anon();
        }
        long kout = 1;
        for (int i = 0; i < out.size(); i++) {
            if (i == skip) continue;
            Dim d = out.get(i);
            if (d.isKnown()) kout *= d.value();
            else if (named(d) && syms.remove(d)) continue;
            else return anon();
        }
        if (kout == 0) {
            if (kin == 0) return anon();
            throw new ConversionException("Reshape: cannot infer -1 next to a 0 dim");
        }
        if (syms.isEmpty()) {
            if (kin % kout != 0) throw new ConversionException("Reshape: " + in + " does not divide into " + out);
            return Dim.of(kin / kout);
        }
        if (syms.size() == 1 && kin == kout) return syms.get(0);
        return anon();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Axes lists

    /** Normalises axes against rank (negative count from the end); throws on repeats or out of range. */
    public static int[] normAxes(long[] axes, int rank) {
        int[] r = new int[axes.length];
        boolean[] seen = new boolean[Math.max(rank, 0)];
        for (int i = 0; i < axes.length; i++) {
            int a = Shapes.axis(axes[i], rank);
            if (seen[a]) throw new ConversionException("axis " + axes[i] + " repeated");
            seen[a] = true;
            r[i] = a;
        }
        return r;
    }

    /**
     * The axes of Squeeze/Unsqueeze/ReduceX-like ops: the 'axes' attribute (before opset 13) or input 1; null when
     * absent (meaning "all" for Squeeze); throws when the input is computed at run time (see {@link #axesKnown}).
     */
    public static long[] axesParam(Node n, int inputIndex) { return axesParam(n, Inputs.of(n), inputIndex); }

    public static long[] axesParam(Node n, Inputs in, int inputIndex) {
        if (n.attrs().has("axes")) return n.attrs().getInts("axes");
        if (!in.has(inputIndex)) return null;
        long[] k = in.ints(inputIndex);
        if (k == null) throw new ConversionException("axes (input " + inputIndex + ") must be a constant");
        return k;
    }

    /** False when the axes are given by a value computed at run time. */
    public static boolean axesKnown(Node n, int inputIndex) {
        if (n.attrs().has("axes")) return true;
        Value v = n.input(inputIndex);
        return v == null || knownInts(v) != null;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Slice

    /** Slice parameters as given (not normalised): starts/ends/axes/steps, each of equal length. */
    public record SliceSpec(long[] starts, long[] ends, long[] axes, long[] steps) {}

    /**
     * Slice's parameters from attributes (before opset 10) or constant inputs; null when some is computed at run
     * time. With {@code rank} >= 0, missing axes default to 0..n-1.
     */
    public static SliceSpec sliceSpec(Node n, int rank) { return sliceSpec(n, Inputs.of(n)); }

    public static SliceSpec sliceSpec(Node n, Inputs in) {
        long[] starts, ends, axes, steps;
        if (n.attrs().has("starts")) {
            starts = n.attrs().getInts("starts");
            ends = n.attrs().getInts("ends");
            axes = n.attrs().getInts("axes");
            steps = null;
        } else {
            starts = in.ints(1);
            ends = in.ints(2);
            if (starts == null || ends == null) return null;
            axes = null;
            steps = null;
            if (in.has(3)) { axes = in.ints(3); if (axes == null) return null; }
            if (in.has(4)) { steps = in.ints(4); if (steps == null) return null; }
        }
        if (ends == null || starts.length != ends.length) throw new ConversionException("Slice: starts and ends differ in length");
        if (axes == null) {
            axes = new long[starts.length];
            for (int i = 0; i < axes.length; i++) axes[i] = i;
        }
        if (steps == null) { steps = new long[starts.length]; Arrays.fill(steps, 1); }
        if (axes.length != starts.length || steps.length != starts.length) throw new ConversionException("Slice: parameter lengths differ");
        for (long s : steps) if (s == 0) throw new ConversionException("Slice: step 0");
        return new SliceSpec(starts, ends, axes, steps);
    }

    /**
     * ONNX's clamping for one sliced axis of size dim: {effective start, effective end, count}. For a negative step,
     * the end may be -1 (meaning "through index 0").
     */
    public static long[] sliceAxis(long dim, long start, long end, long step) {
        if (step == 0) throw new ConversionException("Slice: step 0");
        if (start < 0) start += dim;
        if (end < 0) end += dim;
        if (step > 0) {
            start = clamp(start, 0, dim);
            end = clamp(end, 0, dim);
        } else {
            start = clamp(start, 0, dim - 1);
            end = clamp(end, -1, dim - 1);
        }
        long count;
        if (step > 0) count = end > start ? (end - start + step - 1) / step : 0;
        else count = start > end ? (start - end + (-step) - 1) / (-step) : 0;
        return new long[] {start, end, Math.max(0, count)};
    }

    private static long clamp(long v, long lo, long hi) { return Math.max(lo, Math.min(hi, v)); }

    /** Full-rank normalised slice: per axis {start, step, count}; unsliced axes are {0, 1, dim}. Needs static dims. */
    public static long[][] sliceFull(SliceSpec sp, long[] shape) {
        int r = shape.length;
        long[] start = new long[r], step = new long[r], count = shape.clone();
        Arrays.fill(step, 1);
        int[] ax = normAxes(sp.axes(), r);
        for (int i = 0; i < ax.length; i++) {
            long[] s = sliceAxis(shape[ax[i]], sp.starts()[i], sp.ends()[i], sp.steps()[i]);
            start[ax[i]] = s[0];
            step[ax[i]] = sp.steps()[i];
            count[ax[i]] = s[2];
        }
        return new long[][] {start, step, count};
    }

    // ---------------------------------------------------------------------------------------------------------
    // Pad

    /** Pad's parameters: full-rank pads (before[r] then after[r]), mode and the constant value (or null = zero). */
    public record PadSpec(long[] pads, String mode, Tensor value) {}

    /** Pad's parameters from attributes (before opset 11) or constant inputs; null when pads/axes are computed at run time. */
    public static PadSpec padSpec(Node n, int rank) { return padSpec(n, Inputs.of(n), rank); }

    public static PadSpec padSpec(Node n, Inputs in, int rank) {
        String mode = n.attrs().getString("mode", "constant");
        long[] pads;
        Tensor value = null;
        if (n.attrs().has("pads") || n.attrs().has("paddings")) {
            pads = n.attrs().has("pads") ? n.attrs().getInts("pads") : n.attrs().getInts("paddings");
            float v = n.attrs().getFloat("value", 0f);
            value = Tensor.scalarFloat(v);
        } else {
            pads = in.ints(1);
            if (pads == null) return null;
            value = in.tensor(2); // null: zero, or a run-time value the backend reads from the input
            if (in.has(3)) {
                long[] axes = in.ints(3);
                if (axes == null) return null;
                int[] ax = normAxes(axes, rank);
                if (pads.length != 2 * ax.length) throw new ConversionException("Pad: " + pads.length + " pads for " + ax.length + " axes");
                long[] full = new long[2 * rank];
                for (int i = 0; i < ax.length; i++) {
                    full[ax[i]] = pads[i];
                    full[rank + ax[i]] = pads[ax.length + i];
                }
                pads = full;
            }
        }
        if (pads.length != 2 * rank) throw new ConversionException("Pad: " + pads.length + " pads for rank " + rank);
        return new PadSpec(pads, mode, value);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Split

    /** Split sizes along an axis of size dim for a node with k outputs; null when given by a run-time input. */
    public static long[] splitSizes(Node n, long dim) { return splitSizes(n, Inputs.of(n), dim); }

    public static long[] splitSizes(Node n, Inputs in, long dim) {
        int k = n.outputs().size();
        long[] split = null;
        if (n.attrs().has("split")) split = n.attrs().getInts("split");
        else if (in.has(1)) {
            split = in.ints(1);
            if (split == null) return null;
        }
        if (split != null) {
            if (split.length != k) throw new ConversionException("Split: " + split.length + " sizes for " + k + " outputs");
            if (dim >= 0) {
                long s = 0;
                for (long x : split) s += x;
                if (s != dim) throw new ConversionException("Split: sizes " + Arrays.toString(split) + " do not add up to " + dim);
            }
            return split;
        }
        if (dim < 0) return null;
        long[] r = new long[k];
        if (n.attrs().has("num_outputs")) {
            long chunk = (dim + k - 1) / k;
            long left = dim;
            for (int i = 0; i < k; i++) { r[i] = Math.min(chunk, left); left -= r[i]; }
        } else {
            if (dim % k != 0) throw new ConversionException("Split: dim " + dim + " does not split evenly into " + k);
            Arrays.fill(r, dim / k);
        }
        return r;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Concat / Tile (opset 1 forms)

    /** Concat's axis: required since opset 4, default 1 before. */
    public static long concatAxis(Node n) {
        if (n.attrs().has("axis")) return n.attrs().getInt("axis", 1);
        if (n.opset() > 0 && n.opset() < 4) return 1;
        throw new ConversionException("Concat: attribute 'axis' is required");
    }

    /** True for Tile-1's form (input, tiles, axis): a scalar repeat count for one axis. */
    public static boolean tileV1(Node n) { return n.inputCount() >= 3 && n.input(2) != null; }

    /** Tile's full repeats vector, or null when computed at run time. */
    public static long[] tileRepeats(Node n, Inputs in, int rank) {
        if (!tileV1(n)) return in.ints(1);
        long[] tiles = in.ints(1), axis = in.ints(2);
        if (tiles == null || axis == null) return null;
        long[] r = new long[rank];
        Arrays.fill(r, 1);
        r[Shapes.axis(axis[0], rank)] = tiles[0];
        return r;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Range

    /** Number of elements of Range(start, limit, delta), ONNX's max(ceil((limit - start) / delta), 0). */
    public static long rangeCount(Tensor start, Tensor limit, Tensor delta) {
        if (start.dtype().isFloat()) {
            double s = start.getDouble(0), l = limit.getDouble(0), d = delta.getDouble(0);
            if (d == 0) throw new ConversionException("Range: delta 0");
            return Math.max(0, (long) Math.ceil((l - s) / d));
        }
        long s = start.getLong(0), l = limit.getLong(0), d = delta.getLong(0);
        if (d == 0) throw new ConversionException("Range: delta 0");
        long diff = l - s;
        long q = diff / d;
        if (diff % d != 0 && ((diff < 0) == (d < 0))) q++;
        return Math.max(0, q);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Transpose

    /** Transpose's perm (default: reversed axes), validated. */
    public static int[] perm(Node n, int rank) {
        long[] p = n.attrs().getInts("perm");
        int[] r = new int[rank];
        if (p == null) {
            for (int i = 0; i < rank; i++) r[i] = rank - 1 - i;
            return r;
        }
        if (p.length != rank) throw new ConversionException("Transpose: perm " + Arrays.toString(p) + " for rank " + rank);
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < rank; i++) {
            long a = p[i] < 0 ? p[i] + rank : p[i];
            if (a < 0 || a >= rank || seen[(int) a]) throw new ConversionException("Transpose: invalid perm " + Arrays.toString(p));
            seen[(int) a] = true;
            r[i] = (int) a;
        }
        return r;
    }

    // ---------------------------------------------------------------------------------------------------------
    // CenterCropPad

    /** Per-axis {crop start, pad before} for CenterCropPad from size in to size out (after ONNX's reference). */
    public static long[] centerCropPad(long in, long out) {
        if (in > out) return new long[] {(in - out) / 2, 0};
        if (in < out) return new long[] {0, (out - in) / 2};
        return new long[] {0, 0};
    }
}
