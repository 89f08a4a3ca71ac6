package dev.onnxport.backends.tflite;

import dev.onnxport.backends.tflite.TfliteIndexEmit.T;
import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Layout;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ops.Shapes;
import tflite.BuiltinOperator;
import tflite.BuiltinOptions;
import tflite.DepthToSpaceOptions;
import tflite.OneHotOptions;
import tflite.ReverseSequenceOptions;
import tflite.SpaceToDepthOptions;
import tflite.WhereOptions;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** TFLite lowerings for the index family (Resize and Upsample live in {@link TfliteIndexResize}). */
final class TfliteIndexOps {
    private TfliteIndexOps() {}

    /** Above this many update rows, a scatter with reduction mul/max/min and run-time indices is refused. */
    static final int MAX_SERIAL_SCATTER_ROWS = 64;

    static void register(TfliteOps r) {
        r.register("Gather", TfliteIndexOps::gather);
        r.register("GatherElements", TfliteIndexOps::gatherElements);
        r.register("GatherND", TfliteIndexOps::gatherNd);
        r.register("ScatterND", TfliteIndexOps::scatterNd);
        r.register("ScatterElements", TfliteIndexOps::scatterElements);
        r.register("Scatter", TfliteIndexOps::scatterElements);
        r.register("OneHot", TfliteIndexOps::oneHot);
        r.register("ReverseSequence", TfliteIndexOps::reverseSequence);
        r.register("NonZero", TfliteIndexOps::nonZero);
        r.register("DepthToSpace", (n, c) -> spaceDepth(n, c, true));
        r.register("SpaceToDepth", (n, c) -> spaceDepth(n, c, false));
        r.register("Resize", TfliteIndexResize::lower);
        r.register("Upsample", TfliteIndexResize::lower);
        r.register("MaxUnpool", TfliteIndexUnpool::lower);
    }

    // ------------------------------------------------------------------ helpers

    static int[] normalized(Tensor idx, long dim) {
        long[] v = idx.toLongs();
        int[] o = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            long j = v[i] < 0 ? v[i] + dim : v[i];
            if (j < 0 || j >= dim) throw new ConversionException("index " + v[i] + " out of range for dimension " + dim);
            o[i] = (int) j;
        }
        return o;
    }

    /** Index tensor (int32) of node input i wrapped against dim: folded when constant, FLOOR_MOD otherwise. */
    static T indices(TfliteIndexEmit e, Node n, int i, long dim) {
        Tensor ci = n.constInput(i);
        if (ci != null) return e.i32(ci.shape(), normalized(ci, dim));
        return e.wrapIndices(e.in(n, i), dim);
    }

    /** Index tensor whose last axis holds coordinates into dims, wrapped per component. */
    static T ndIndices(TfliteIndexEmit e, Node n, int i, long[] dims) {
        Tensor ci = n.constInput(i);
        if (ci != null) {
            long[] v = ci.toLongs();
            int[] o = new int[v.length];
            for (int k = 0; k < v.length; k++) {
                long d = dims[k % dims.length];
                long j = v[k] < 0 ? v[k] + d : v[k];
                if (j < 0 || j >= d) throw new ConversionException("index " + v[k] + " out of range for dimension " + d);
                o[k] = (int) j;
            }
            return e.i32(ci.shape(), o);
        }
        return e.wrapIndices(e.in(n, i), dims);
    }

    static long[] append(long[] s, long last) {
        long[] o = Arrays.copyOf(s, s.length + 1);
        o[s.length] = last;
        return o;
    }

    /** Constant int32 [S..., hi-lo] holding, for every position of shape S, its coordinates lo..hi-1. */
    static Tensor coordGrid(long[] s, int lo, int hi) {
        long n = Tensor.numel(s);
        int w = hi - lo;
        int[] v = new int[Math.toIntExact(n * w)];
        long[] m = new long[s.length];
        for (long f = 0; f < n; f++) {
            long g = f;
            for (int i = s.length - 1; i >= 0; i--) { m[i] = g % s[i]; g /= s[i]; }
            for (int k = 0; k < w; k++) v[Math.toIntExact(f * w + k)] = (int) m[lo + k];
        }
        return Tensor.ofInts(append(s, w), v);
    }

    /**
     * Full coordinates [S..., r] for an elementwise op along axis: every coordinate is the position's own except
     * the axis one, which comes from idx (int32, shape S).
     */
    static T elementCoords(TfliteIndexEmit e, T idx, int axis) {
        long[] s = idx.shape();
        int r = s.length;
        List<T> parts = new ArrayList<>();
        if (axis > 0) parts.add(e.constant(coordGrid(s, 0, axis)));
        parts.add(e.reshape(idx, append(s, 1)));
        if (axis < r - 1) parts.add(e.constant(coordGrid(s, axis + 1, r)));
        return e.concat(parts, r, null);
    }

    static Tensor elementCoordsConst(Tensor idx, int axis, long dim) {
        long[] s = idx.shape();
        int r = s.length;
        int[] iv = normalized(idx, dim);
        int[] full = Tensor.numel(s) == 0 ? new int[0] : coordGrid(s, 0, r).toInts();
        for (int f = 0; f < iv.length; f++) full[f * r + axis] = iv[f];
        return Tensor.ofInts(append(s, r), full);
    }

    // ------------------------------------------------------------------ Gather

    static void gather(Node n, LowerContext c) {
        TfliteIndexEmit e = new TfliteIndexEmit(c, n);
        T data = e.in(n, 0);
        int axis = Shapes.axis(n.attrs().getInt("axis", 0), data.rank());
        T idx = indices(e, n, 1, data.shape()[axis]);
        T out = e.out(n, 0);
        if (idx.rank() == 0) {
            // a scalar index drops the axis: gather one row, then reshape away the kept unit axis
            T g = e.gather(data, e.reshape(idx, new long[] {1}), axis);
            e.reshape(g, out.shape(), out);
        } else {
            e.gather(data, idx, axis, out);
        }
    }

    // ------------------------------------------------------------------ GatherElements

    static void gatherElements(Node n, LowerContext c) {
        TfliteIndexEmit e = new TfliteIndexEmit(c, n);
        T data = e.in(n, 0);
        int r = data.rank();
        int axis = Shapes.axis(n.attrs().getInt("axis", 0), r);
        Tensor ci = n.constInput(1);
        T coords = ci != null ? e.constant(elementCoordsConst(ci, axis, data.shape()[axis]))
                : elementCoords(e, e.wrapIndices(e.in(n, 1), data.shape()[axis]), axis);
        e.gatherNd(data, coords, e.out(n, 0));
    }

    // ------------------------------------------------------------------ GatherND

    static void gatherNd(Node n, LowerContext c) {
        TfliteIndexEmit e = new TfliteIndexEmit(c, n);
        T data = e.in(n, 0);
        long[] is = c.shape(n.input(1));
        int b = (int) n.attrs().getInt("batch_dims", 0);
        int m = (int) is[is.length - 1];
        T idx = ndIndices(e, n, 1, Arrays.copyOfRange(data.shape(), b, b + m));
        if (b > 0) {
            long[] lead = Arrays.copyOf(is, is.length - 1);
            T grid = e.constant(coordGrid(lead, 0, b));
            idx = e.concat(List.of(grid, idx), is.length - 1, null);
        }
        e.gatherNd(data, idx, e.out(n, 0));
    }

    // ------------------------------------------------------------------ ScatterND / ScatterElements

    static void scatterNd(Node n, LowerContext c) {
        TfliteIndexEmit e = new TfliteIndexEmit(c, n);
        T data = e.in(n, 0);
        long[] is = c.shape(n.input(1));
        int m = (int) is[is.length - 1];
        T idx = ndIndices(e, n, 1, Arrays.copyOf(data.shape(), m));
        T upd = e.in(n, 2);
        Tensor ci = n.constInput(1);
        boolean unique = ci != null && uniqueRows(ci.toLongs(), m, data.shape());
        String red = n.attrs().getString("reduction", "none");
        if (ci != null && !unique && red.equals("none")) {
            long rows = Tensor.numel(is) / Math.max(m, 1);
            long[] slice = Arrays.copyOfRange(data.shape(), m, data.rank());
            int[] keep = lastWins(ci.toLongs(), m, data.shape());
            int[] kept = keptIndices(ci.toLongs(), m, data.shape(), keep);
            idx = e.i32(new long[] {keep.length, m}, kept);
            upd = e.gather(e.reshape(upd, concatShape(rows, slice)), e.i32s(keep), 0);
            unique = true;
        }
        scatterInto(e, data, idx, upd, red, unique, e.out(n, 0));
    }

    /** Rows of a constant index list that survive "last write wins" (ONNX's order for repeated indices). */
    static int[] lastWins(long[] idx, int m, long[] dims) {
        java.util.Map<List<Long>, Integer> last = new java.util.HashMap<>();
        int rows = m == 0 ? 0 : idx.length / m;
        for (int r = 0; r < rows; r++) last.put(row(idx, r, m, dims), r);
        return last.values().stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    static int[] keptIndices(long[] idx, int m, long[] dims, int[] keep) {
        int[] o = new int[keep.length * m];
        for (int k = 0; k < keep.length; k++) {
            List<Long> row = row(idx, keep[k], m, dims);
            for (int j = 0; j < m; j++) o[k * m + j] = Math.toIntExact(row.get(j));
        }
        return o;
    }

    static List<Long> row(long[] idx, int r, int m, long[] dims) {
        List<Long> row = new ArrayList<>();
        for (int k = 0; k < m; k++) {
            long v = idx[r * m + k];
            row.add(v < 0 ? v + dims[k] : v);
        }
        return row;
    }

    static void scatterElements(Node n, LowerContext c) {
        TfliteIndexEmit e = new TfliteIndexEmit(c, n);
        T data = e.in(n, 0);
        int r = data.rank();
        int axis = Shapes.axis(n.attrs().getInt("axis", 0), r);
        long dim = data.shape()[axis];
        Tensor ci = n.constInput(1);
        long[] is = c.shape(n.input(1));
        long k = Tensor.numel(is);
        T coords;
        boolean unique = false;
        T upd = e.reshape(e.in(n, 2), new long[] {k});
        String red = n.opType().equals("Scatter") ? "none" : n.attrs().getString("reduction", "none");
        if (ci != null) {
            Tensor full = elementCoordsConst(ci, axis, dim);
            long[] fl = full.toLongs();
            unique = uniqueRows(fl, r, data.shape());
            coords = e.constant(full.reshape(new long[] {k, r}));
            if (!unique && red.equals("none")) {
                int[] keep = lastWins(fl, r, data.shape());
                coords = e.i32(new long[] {keep.length, r}, keptIndices(fl, r, data.shape(), keep));
                upd = e.gather(upd, e.i32s(keep), 0);
                unique = true;
            }
        } else {
            coords = e.reshape(elementCoords(e, e.wrapIndices(e.in(n, 1), dim), axis), new long[] {k, r});
        }
        scatterInto(e, data, coords, upd, red, unique, e.out(n, 0));
    }

    static boolean uniqueRows(long[] idx, int m, long[] dims) {
        Set<List<Long>> seen = new HashSet<>();
        for (int r = 0; r * m < idx.length; r++) {
            List<Long> row = new ArrayList<>();
            for (int k = 0; k < m; k++) {
                long v = idx[r * m + k];
                row.add(v < 0 ? v + dims[k] : v);
            }
            if (!seen.add(row)) return false;
        }
        return true;
    }

    static T ones(TfliteIndexEmit e, DType dt, long[] shape) {
        double[] v = new double[Math.toIntExact(Tensor.numel(shape))];
        Arrays.fill(v, 1);
        return e.constant(Tensor.fromDoubles(dt, shape, v));
    }

    /**
     * out = data with updates written at idx (int32 coordinates, last axis m) under reduction. TFLite's
     * SCATTER_ND scatters into zeros and sums duplicates: "none" selects the scattered values where a mask
     * scatter is positive, "add" adds the scatter to data, and mul/max/min combine slice by slice (one row at a
     * time when rows may repeat, else in one step).
     */
    static void scatterInto(TfliteIndexEmit e, T data, T idx, T upd, String reduction, boolean unique, T out) {
        long[] ds = data.shape();
        DType dt = data.dt();
        if (dt == DType.BOOL || dt == DType.INT16 || dt == DType.UINT16) {
            // as int32: exact, and on bools add/mul/max/min become or/and/or/and like numpy's
            T wide = e.temp(DType.INT32, out.shape());
            scatterInto(e, e.cast(data, DType.INT32), idx, e.cast(upd, DType.INT32), reduction, unique, wide);
            e.cast(wide, dt, out);
            return;
        }
        switch (dt) {
            case FLOAT32, INT32, INT64, UINT8, INT8 -> { }
            default -> throw new ConversionException("TFLite SCATTER_ND does not support " + dt + " data");
        }
        T zeroI = e.scalarI32(0);
        switch (reduction) {
            case "none" -> {
                T count = e.scatterNd(idx, ones(e, DType.INT32, upd.shape()), ds);
                T scattered = e.scatterNd(idx, upd, ds);
                e.select(e.less(zeroI, count), scattered, data, out);
            }
            case "add" -> e.add(data, e.scatterNd(idx, upd, ds), out);
            case "mul", "max", "min" -> {
                if (unique) {
                    T count = e.scatterNd(idx, ones(e, DType.INT32, upd.shape()), ds);
                    T val = e.scatterNd(idx, upd, ds);
                    e.select(e.less(zeroI, count), combine(e, reduction, data, val), data, out);
                    return;
                }
                long[] is = idx.shape();
                int m = (int) is[is.length - 1];
                long rows = Tensor.numel(is) / Math.max(m, 1);
                if (rows > MAX_SERIAL_SCATTER_ROWS)
                    throw new ConversionException("scatter with reduction '" + reduction + "' and " + rows + " run-time index rows (more than "
                            + MAX_SERIAL_SCATTER_ROWS + ") cannot be expressed in TFLite, which only scatter-adds");
                long[] slice = Arrays.copyOfRange(ds, m, ds.length);
                T idx2 = e.reshape(idx, new long[] {rows, m});
                T upd2 = e.reshape(upd, concatShape(rows, slice));
                T cur = data;
                for (int k = 0; k < rows; k++) {
                    T row = e.i32s(k);
                    T ik = e.gather(idx2, row, 0);
                    T uk = e.gather(upd2, row, 0);
                    T count = e.scatterNd(ik, ones(e, DType.INT32, uk.shape()), ds);
                    T val = e.scatterNd(ik, uk, ds);
                    cur = e.select(e.less(zeroI, count), combine(e, reduction, cur, val), cur, k == rows - 1 ? out : null);
                }
                if (rows == 0) e.reshape(data, ds, out);
            }
            default -> throw new ConversionException("unknown reduction '" + reduction + "'");
        }
    }

    static long[] concatShape(long first, long[] rest) {
        long[] o = new long[rest.length + 1];
        o[0] = first;
        System.arraycopy(rest, 0, o, 1, rest.length);
        return o;
    }

    static T combine(TfliteIndexEmit e, String reduction, T a, T b) {
        return switch (reduction) {
            case "mul" -> e.mul(a, b);
            case "max" -> e.maximum(a, b);
            case "min" -> e.minimum(a, b);
            default -> throw new IllegalStateException(reduction);
        };
    }

    // ------------------------------------------------------------------ OneHot

    static void oneHot(Node n, LowerContext c) {
        TfliteIndexEmit e = new TfliteIndexEmit(c, n);
        T out = e.out(n, 0);
        int axis = Math.toIntExact(n.attrs().getInt("axis", -1));
        if (axis < 0) axis += out.rank();
        long depth = out.shape()[axis];
        DType vt = out.dt();
        switch (vt) {
            case FLOAT32, INT32, INT64, INT8, UINT8, BOOL -> { }
            default -> throw new ConversionException("TFLite ONE_HOT does not support " + vt + " values");
        }
        T idx;
        Tensor ci = n.constInput(0);
        if (ci != null) {
            long[] v = ci.toLongs();
            int[] o = new int[v.length];
            for (int i = 0; i < v.length; i++) {
                long j = v[i] < 0 ? v[i] + depth : v[i];
                o[i] = j < 0 || j >= depth ? -1 : (int) j;
            }
            idx = e.i32(ci.shape(), o);
        } else {
            T raw = e.in(n, 0);
            T i = raw.dt() == DType.INT32 ? raw : e.cast(raw, DType.INT32);
            // ONNX wraps negative indices once (-depth..-1); others outside [0, depth) give all off_value
            T zero = e.scalarI32(0);
            T wrapped = e.add(i, e.scalarI32(Math.toIntExact(depth)));
            T neg = e.less(i, zero);
            idx = e.select(neg, wrapped, i, null);
        }
        T off, on;
        Tensor cv = n.constInput(2);
        if (cv != null) {
            off = e.constant(Tensor.fromDoubles(vt, new long[0], new double[] {cv.getDouble(0)}));
            on = e.constant(Tensor.fromDoubles(vt, new long[0], new double[] {cv.getDouble(1)}));
            if (!vt.isFloat()) {
                off = e.constant(Tensor.fromLongs(vt, new long[0], new long[] {cv.getLong(0)}));
                on = e.constant(Tensor.fromLongs(vt, new long[0], new long[] {cv.getLong(1)}));
            }
        } else {
            // GATHER (unlike UNPACK) takes every value type in TFLite 2.6
            T values = e.in(n, 2);
            off = e.reshape(e.gather(values, e.i32s(0), 0), new long[0]);
            on = e.reshape(e.gather(values, e.i32s(1), 0), new long[0]);
        }
        T d = e.scalarI32(Math.toIntExact(depth));
        final int ax = axis;
        e.emit(BuiltinOperator.ONE_HOT, 1, new T[] {idx, d, on, off}, out, vt, out.shape(), BuiltinOptions.OneHotOptions,
                fb -> OneHotOptions.createOneHotOptions(fb, ax));
    }

    // ------------------------------------------------------------------ ReverseSequence

    static void reverseSequence(Node n, LowerContext c) {
        TfliteIndexEmit e = new TfliteIndexEmit(c, n);
        T x = e.in(n, 0);
        T out = e.out(n, 0);
        boolean widen = x.dt() == DType.BOOL;
        switch (x.dt()) {
            case FLOAT32, INT16, INT32, INT64, UINT8 -> { }
            default -> { if (!widen) throw new ConversionException("TFLite REVERSE_SEQUENCE does not support " + x.dt() + " data"); }
        }
        int t = Shapes.axis(n.attrs().getInt("time_axis", 0), x.rank());
        int b = Shapes.axis(n.attrs().getInt("batch_axis", 1), x.rank());
        T lens = e.in(n, 1);
        if (lens.dt() != DType.INT32 && lens.dt() != DType.INT64) lens = e.cast(lens, DType.INT32);
        T src = widen ? e.cast(x, DType.INT32) : x;
        T r = e.emit(BuiltinOperator.REVERSE_SEQUENCE, 1, new T[] {src, lens}, widen ? null : out, src.dt(), x.shape(), BuiltinOptions.ReverseSequenceOptions,
                fb -> ReverseSequenceOptions.createReverseSequenceOptions(fb, t, b));
        if (widen) e.cast(r, x.dt(), out);
    }

    // ------------------------------------------------------------------ NonZero

    static void nonZero(Node n, LowerContext c) {
        TfliteIndexEmit e = new TfliteIndexEmit(c, n);
        Value xv = n.input(0);
        T x = e.in(n, 0);
        int r = x.rank();
        T cond = x;
        if (x.dt() != DType.BOOL) {
            switch (x.dt()) {
                case FLOAT32, INT32, INT64, UINT8, INT8 -> { }
                default -> throw new ConversionException("NonZero of " + x.dt() + " cannot be compared in TFLite");
            }
            cond = e.compare(BuiltinOperator.NOT_EQUAL, x, e.scalar(x.dt(), 0));
        }
        // WHERE yields the coordinates [count, rank] (count known only at run time); ONNX wants [rank, count]
        var os = n.output(0).shape();
        long count = os != null && os.dim(1).isKnown() ? os.dim(1).value() : 1;
        T coords = e.temp(DType.INT64, new long[] {count, r});
        c.op(BuiltinOperator.WHERE, 1, new int[] {cond.id()}, new int[] {coords.id()}, BuiltinOptions.WhereOptions,
                fb -> { WhereOptions.startWhereOptions(fb); return WhereOptions.endWhereOptions(fb); });
        T out = new T(c.out(n, 0), DType.INT64, new long[] {r, count});
        e.transpose(coords, new int[] {1, 0}, out);
    }

    // ------------------------------------------------------------------ DepthToSpace / SpaceToDepth

    static void spaceDepth(Node n, LowerContext c, boolean d2s) {
        TfliteIndexEmit e = new TfliteIndexEmit(c, n);
        T x = e.in(n, 0);
        if (x.rank() != 4) throw new ConversionException("expected a 4-D input");
        T finalOut = e.out(n, 0);
        boolean widen = x.dt() == DType.BOOL || x.dt() == DType.INT16 || x.dt() == DType.UINT16;
        if (widen) x = e.cast(x, DType.INT32);
        switch (x.dt()) {
            case FLOAT32, UINT8, INT8, INT32, INT64 -> { }
            default -> throw new ConversionException("TFLite " + (d2s ? "DEPTH_TO_SPACE" : "SPACE_TO_DEPTH") + " does not support " + x.dt());
        }
        int b = Math.toIntExact(n.attrs().requireInt("blocksize"));
        String mode = n.attrs().getString("mode", "DCR");
        boolean nhwc = Layout.isNhwc(n);
        T out = widen ? e.temp(DType.INT32, finalOut.shape()) : finalOut;
        T h = nhwc ? x : e.transpose(x, new int[] {0, 2, 3, 1});
        if (d2s && mode.equals("CRD")) {
            int cOut = (int) (h.shape()[3] / ((long) b * b));
            int[] perm = new int[cOut * b * b];
            for (int i = 0; i < b; i++) for (int j = 0; j < b; j++) for (int cc = 0; cc < cOut; cc++)
                perm[(i * b + j) * cOut + cc] = cc * b * b + i * b + j;
            h = e.gather(h, e.i32s(perm), 3);
        }
        long[] s = h.shape();
        long[] os = d2s ? new long[] {s[0], s[1] * b, s[2] * b, s[3] / ((long) b * b)} : new long[] {s[0], s[1] / b, s[2] / b, s[3] * b * b};
        boolean permAfter = !d2s && mode.equals("CRD");
        T dest = nhwc && !permAfter ? out : null;
        int ver = x.dt() == DType.INT8 ? 2 : 1;
        T y = d2s
                ? e.emit(BuiltinOperator.DEPTH_TO_SPACE, ver, new T[] {h}, dest, x.dt(), os, BuiltinOptions.DepthToSpaceOptions,
                        fb -> DepthToSpaceOptions.createDepthToSpaceOptions(fb, b))
                : e.emit(BuiltinOperator.SPACE_TO_DEPTH, ver, new T[] {h}, dest, x.dt(), os, BuiltinOptions.SpaceToDepthOptions,
                        fb -> SpaceToDepthOptions.createSpaceToDepthOptions(fb, b));
        if (permAfter) {
            int cIn = (int) s[3];
            int[] perm = new int[cIn * b * b];
            for (int i = 0; i < b; i++) for (int j = 0; j < b; j++) for (int cc = 0; cc < cIn; cc++)
                perm[cc * b * b + i * b + j] = (i * b + j) * cIn + cc;
            y = e.gather(y, e.i32s(perm), 3, nhwc ? out : null);
        }
        if (!nhwc) e.transpose(y, new int[] {0, 3, 1, 2}, out);
        if (widen) e.cast(out, finalOut.dt(), finalOut);
    }
}
