package dev.onnxport.ir.ops;

import dev.onnxport.ir.ConversionException;
import dev.onnxport.ir.DType;
import dev.onnxport.ir.Dim;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.ir.ValueType;
import dev.onnxport.ir.ops.ShapeOpsMath.Inputs;
import dev.onnxport.ir.ops.ShapeOpsMath.PadSpec;
import dev.onnxport.ir.ops.ShapeOpsMath.SliceSpec;
import dev.onnxport.ir.ops.ShapeOpsMath.SymInt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.onnxport.ir.ops.ShapeOpsMath.anon;

/**
 * Shape inference and constant evaluation for the shape family: Reshape, Flatten, Squeeze, Unsqueeze, Transpose,
 * Concat, Split, Slice, Expand, Tile, Pad, Shape, Size, ConstantOfShape, Range, Identity, Compress, EyeLike, Trilu,
 * CenterCropPad. Every opset form (attributes that became inputs) is read; evaluators are exact for every element
 * type (data is moved as bytes; integer arithmetic is done in 64 bits).
 */
final class ShapeOps {
    private ShapeOps() {}

    static void register(OpRegistry r) {
        r.register("Reshape", ShapeOps::reshape, ShapeOps::evalReshape);
        r.register("Flatten", ShapeOps::flatten, ShapeOps::evalFlatten);
        r.register("Squeeze", ShapeOps::squeeze, ShapeOps::evalSqueeze);
        r.register("Unsqueeze", ShapeOps::unsqueeze, ShapeOps::evalUnsqueeze);
        r.register("Transpose", ShapeOps::transpose, (n, in) -> List.of(ShapeOpsKernels.transpose(in.get(0), ShapeOpsMath.perm(n, in.get(0).rank()))));
        r.register("Concat", ShapeOps::concat, ShapeOps::evalConcat);
        r.register("Split", ShapeOps::split, ShapeOps::evalSplit);
        r.register("Slice", ShapeOps::slice, ShapeOps::evalSlice);
        r.register("Expand", ShapeOps::expand, ShapeOps::evalExpand);
        r.register("Tile", ShapeOps::tile, (n, in) -> List.of(ShapeOpsKernels.tile(in.get(0), ShapeOpsMath.tileRepeats(n, Inputs.of(in), in.get(0).rank()))));
        r.register("Pad", ShapeOps::pad, ShapeOps::evalPad);
        r.register("Shape", ShapeOps::shape, ShapeOps::evalShape);
        r.register("Size", n -> List.of(ValueType.of(DType.INT64)), (n, in) -> List.of(Tensor.scalarLong(in.get(0).numel())));
        r.register("ConstantOfShape", ShapeOps::constantOfShape, ShapeOps::evalConstantOfShape);
        r.register("Range", ShapeOps::range, ShapeOps::evalRange);
        r.register("Compress", ShapeOps::compress, ShapeOps::evalCompress);
        r.register("EyeLike", ShapeOps::eyeLike, ShapeOps::evalEyeLike);
        r.register("Trilu", n -> Shapes.sameAsInput(n, 0), ShapeOps::evalTrilu);
        r.register("CenterCropPad", ShapeOps::centerCropPad, ShapeOps::evalCenterCropPad);
    }

    private static ValueType unknownShape(Value like) { return new ValueType(like.dtype(), null); }

    private static List<Dim> dims(Shape s) { return new ArrayList<>(s.dims()); }

    // ------------------------------------------------------------------------------------------------ Reshape

    static List<ValueType> reshape(Node n) {
        Value x = n.input(0);
        boolean allowZero = n.attrs().getInt("allowzero", 0) != 0;
        List<SymInt> target;
        if (n.input(1) == null && n.attrs().has("shape")) {
            target = new ArrayList<>();
            for (long v : n.attrs().getInts("shape")) target.add(SymInt.of(v));
        } else target = ShapeOpsMath.symbolicInts(n.input(1));
        if (target == null) return List.of(unknownShape(x));
        return List.of(new ValueType(x.dtype(), Shape.of(ShapeOpsMath.reshapeDims(x.shape(), target, allowZero))));
    }

    static List<Tensor> evalReshape(Node n, List<Tensor> in) {
        Tensor x = in.get(0);
        long[] t = in.size() > 1 && in.get(1) != null ? in.get(1).toLongs() : n.attrs().getInts("shape");
        List<SymInt> target = new ArrayList<>();
        for (long v : t) target.add(SymInt.of(v));
        Shape s = Shape.of(ShapeOpsMath.reshapeDims(Shape.of(x.shape()), target, n.attrs().getInt("allowzero", 0) != 0));
        return List.of(x.reshape(s.toArray()));
    }

    // ------------------------------------------------------------------------------------------------ Flatten

    static int flattenAxis(Node n, int rank) {
        long a = n.attrs().getInt("axis", 1);
        if (a < 0) a += rank;
        if (a < 0 || a > rank) throw new ConversionException("Flatten: axis " + n.attrs().getInt("axis", 1) + " out of range for rank " + rank);
        return (int) a;
    }

    static List<ValueType> flatten(Node n) {
        Value x = n.input(0);
        Shape s = Shapes.requireShape(x);
        int a = flattenAxis(n, s.rank());
        return List.of(new ValueType(x.dtype(), Shape.of(List.of(ShapeOpsMath.product(s.dims().subList(0, a)),
                ShapeOpsMath.product(s.dims().subList(a, s.rank()))))));
    }

    static List<Tensor> evalFlatten(Node n, List<Tensor> in) {
        Tensor x = in.get(0);
        long[] s = x.shape();
        int a = flattenAxis(n, s.length);
        long p = 1;
        for (int i = 0; i < a; i++) p *= s[i];
        return List.of(x.reshape(new long[] {p, restProduct(s, a)}));
    }

    private static long restProduct(long[] s, int a) {
        long q = 1;
        for (int i = a; i < s.length; i++) q *= s[i];
        return q;
    }

    // ------------------------------------------------------------------------------------------------ Squeeze / Unsqueeze

    /** Output dims of Squeeze(in) by the axes (null: every known 1). */
    static List<Dim> squeezeDims(Shape s, long[] axes) {
        List<Dim> out = new ArrayList<>();
        if (axes == null) {
            for (Dim d : s.dims()) if (!(d.isKnown() && d.value() == 1)) out.add(d);
            return out;
        }
        int[] ax = ShapeOpsMath.normAxes(axes, s.rank());
        boolean[] drop = new boolean[s.rank()];
        for (int a : ax) {
            Dim d = s.dim(a);
            if (d.isKnown() && d.value() != 1) throw new ConversionException("Squeeze: axis " + a + " has size " + d.value() + ", not 1");
            drop[a] = true;
        }
        for (int i = 0; i < s.rank(); i++) if (!drop[i]) out.add(s.dim(i));
        return out;
    }

    static List<ValueType> squeeze(Node n) {
        Value x = n.input(0);
        if (x.shape() == null || !ShapeOpsMath.axesKnown(n, 1)) return List.of(unknownShape(x));
        return List.of(new ValueType(x.dtype(), Shape.of(squeezeDims(x.shape(), ShapeOpsMath.axesParam(n, 1)))));
    }

    static List<Tensor> evalSqueeze(Node n, List<Tensor> in) {
        Tensor x = in.get(0);
        long[] axes = ShapeOpsMath.axesParam(n, Inputs.of(in), 1);
        return List.of(x.reshape(Shape.of(squeezeDims(Shape.of(x.shape()), axes)).toArray()));
    }

    static List<Dim> unsqueezeDims(Shape s, long[] axes) {
        int r = s.rank() + axes.length;
        int[] ax = ShapeOpsMath.normAxes(axes, r);
        boolean[] ins = new boolean[r];
        for (int a : ax) ins[a] = true;
        List<Dim> out = new ArrayList<>();
        int k = 0;
        for (int i = 0; i < r; i++) out.add(ins[i] ? Dim.of(1) : s.dim(k++));
        return out;
    }

    static List<ValueType> unsqueeze(Node n) {
        Value x = n.input(0);
        if (x.shape() == null || !ShapeOpsMath.axesKnown(n, 1)) return List.of(unknownShape(x));
        long[] axes = ShapeOpsMath.axesParam(n, 1);
        if (axes == null) throw new ConversionException("Unsqueeze: axes are required");
        return List.of(new ValueType(x.dtype(), Shape.of(unsqueezeDims(x.shape(), axes))));
    }

    static List<Tensor> evalUnsqueeze(Node n, List<Tensor> in) {
        Tensor x = in.get(0);
        long[] axes = ShapeOpsMath.axesParam(n, Inputs.of(in), 1);
        if (axes == null) throw new ConversionException("Unsqueeze: axes are required");
        return List.of(x.reshape(Shape.of(unsqueezeDims(Shape.of(x.shape()), axes)).toArray()));
    }

    // ------------------------------------------------------------------------------------------------ Transpose

    static List<ValueType> transpose(Node n) {
        Value x = n.input(0);
        if (x.shape() == null) return List.of(unknownShape(x));
        return List.of(new ValueType(x.dtype(), x.shape().permute(ShapeOpsMath.perm(n, x.shape().rank()))));
    }

    // ------------------------------------------------------------------------------------------------ Concat

    static List<ValueType> concat(Node n) {
        List<Shape> shapes = new ArrayList<>();
        DType dt = null;
        for (Value v : n.inputs()) {
            if (v == null) continue;
            dt = dt == null ? v.dtype() : dt;
            shapes.add(Shapes.requireShape(v));
        }
        if (shapes.isEmpty()) throw new ConversionException("Concat: no inputs");
        int r = shapes.get(0).rank();
        if (r == 0) throw new ConversionException("Concat: inputs of rank 0 cannot be concatenated");
        int axis = Shapes.axis(ShapeOpsMath.concatAxis(n), r);
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < r; i++) {
            if (i == axis) {
                long k = 0;
                List<Dim> syms = new ArrayList<>();
                for (Shape s : shapes) {
                    if (s.rank() != r) throw new ConversionException("Concat: inputs differ in rank");
                    Dim d = s.dim(i);
                    if (d.isKnown()) k += d.value(); else syms.add(d);
                }
                out.add(syms.isEmpty() ? Dim.of(k) : syms.size() == 1 && k == 0 ? syms.get(0) : anon());
            } else {
                Dim best = null;
                for (Shape s : shapes) {
                    if (s.rank() != r) throw new ConversionException("Concat: inputs differ in rank");
                    Dim d = s.dim(i);
                    if (best == null || (!best.isKnown() && (d.isKnown() || ShapeOpsMath.named(d)))) best = d;
                    else if (best.isKnown() && d.isKnown() && best.value() != d.value())
                        throw new ConversionException("Concat: inputs differ in dim " + i + " (" + best + " vs " + d + ")");
                }
                out.add(best);
            }
        }
        return List.of(new ValueType(dt, Shape.of(out)));
    }

    static List<Tensor> evalConcat(Node n, List<Tensor> in) {
        List<Tensor> ts = new ArrayList<>();
        for (Tensor t : in) if (t != null) ts.add(t);
        if (ts.get(0).rank() == 0) throw new ConversionException("Concat: rank 0");
        return List.of(ShapeOpsKernels.concat(ts, Shapes.axis(ShapeOpsMath.concatAxis(n), ts.get(0).rank())));
    }

    // ------------------------------------------------------------------------------------------------ Split

    static int splitAxis(Node n, int rank) { return Shapes.axis(n.attrs().getInt("axis", 0), rank); }

    static List<ValueType> split(Node n) {
        Value x = n.input(0);
        int k = n.outputs().size();
        List<ValueType> r = new ArrayList<>();
        if (x.shape() == null) {
            for (int i = 0; i < k; i++) r.add(unknownShape(x));
            return r;
        }
        Shape s = x.shape();
        int axis = splitAxis(n, s.rank());
        Dim d = s.dim(axis);
        long[] sizes = ShapeOpsMath.splitSizes(n, d.isKnown() ? d.value() : -1);
        for (int i = 0; i < k; i++) {
            Dim od = sizes != null ? Dim.of(sizes[i]) : k == 1 ? d : anon();
            r.add(new ValueType(x.dtype(), s.withDim(axis, od)));
        }
        return r;
    }

    static List<Tensor> evalSplit(Node n, List<Tensor> in) {
        Tensor x = in.get(0);
        long[] s = x.shape();
        int axis = splitAxis(n, s.length);
        long[] sizes = ShapeOpsMath.splitSizes(n, Inputs.of(in), s[axis]);
        List<Tensor> r = new ArrayList<>();
        long off = 0;
        for (long sz : sizes) {
            long[] start = new long[s.length], step = new long[s.length], count = s.clone();
            Arrays.fill(step, 1);
            start[axis] = off;
            count[axis] = sz;
            r.add(ShapeOpsKernels.slice(x, start, step, count));
            off += sz;
        }
        return r;
    }

    // ------------------------------------------------------------------------------------------------ Slice

    private static final long BIG = 1L << 40;

    static List<ValueType> slice(Node n) {
        Value x = n.input(0);
        if (x.shape() == null) return List.of(unknownShape(x));
        Shape s = x.shape();
        int r = s.rank();
        SliceSpec sp = ShapeOpsMath.sliceSpec(n, r);
        List<Dim> out = dims(s);
        if (sp == null) {
            long[] axes = n.input(3) != null ? ShapeOpsMath.knownInts(n.input(3)) : null;
            if (n.input(3) == null && n.input(1) != null && n.input(1).shape() != null && n.input(1).shape().isStatic()) {
                axes = new long[(int) n.input(1).shape().numel()];
                for (int i = 0; i < axes.length; i++) axes[i] = i;
            }
            if (axes == null) for (int i = 0; i < r; i++) out.set(i, anon());
            else for (int a : ShapeOpsMath.normAxes(axes, r)) out.set(a, anon());
            return List.of(new ValueType(x.dtype(), Shape.of(out)));
        }
        int[] ax = ShapeOpsMath.normAxes(sp.axes(), r);
        for (int i = 0; i < ax.length; i++) {
            Dim d = s.dim(ax[i]);
            long st = sp.starts()[i], en = sp.ends()[i], stp = sp.steps()[i];
            if (d.isKnown()) out.set(ax[i], Dim.of(ShapeOpsMath.sliceAxis(d.value(), st, en, stp)[2]));
            else if ((stp == 1 && st == 0 && en >= BIG) || (stp == -1 && st == -1 && en <= -BIG)) out.set(ax[i], d);
            else out.set(ax[i], anon());
        }
        return List.of(new ValueType(x.dtype(), Shape.of(out)));
    }

    static List<Tensor> evalSlice(Node n, List<Tensor> in) {
        Tensor x = in.get(0);
        SliceSpec sp = ShapeOpsMath.sliceSpec(n, Inputs.of(in));
        long[][] f = ShapeOpsMath.sliceFull(sp, x.shape());
        return List.of(ShapeOpsKernels.slice(x, f[0], f[1], f[2]));
    }

    // ------------------------------------------------------------------------------------------------ Expand / Tile

    static List<ValueType> expand(Node n) {
        Value x = n.input(0);
        List<SymInt> t = ShapeOpsMath.symbolicInts(n.input(1));
        if (x.shape() == null || t == null) return List.of(unknownShape(x));
        List<Dim> td = new ArrayList<>();
        for (SymInt v : t) td.add(v.toDim());
        return List.of(new ValueType(x.dtype(), Shapes.broadcast(x.shape(), Shape.of(td))));
    }

    static List<Tensor> evalExpand(Node n, List<Tensor> in) {
        Tensor x = in.get(0);
        Shape out = Shapes.broadcast(Shape.of(x.shape()), Shape.of(in.get(1).toLongs()));
        return List.of(ShapeOpsKernels.expand(x, out.toArray()));
    }

    static List<ValueType> tile(Node n) {
        Value x = n.input(0);
        if (x.shape() == null) return List.of(unknownShape(x));
        List<SymInt> reps;
        if (ShapeOpsMath.tileV1(n)) {
            long[] k = ShapeOpsMath.tileRepeats(n, Inputs.of(n), x.shape().rank());
            reps = k == null ? null : Arrays.stream(k).mapToObj(SymInt::of).toList();
        } else reps = ShapeOpsMath.symbolicInts(n.input(1));
        Shape s = x.shape();
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < s.rank(); i++) {
            Dim d = s.dim(i);
            SymInt k = reps == null || reps.size() != s.rank() ? SymInt.unknown() : reps.get(i);
            if (k.known() && d.isKnown()) out.add(Dim.of(d.value() * k.value()));
            else if (k.known() && k.value() == 1) out.add(d);
            else if (k.known() && k.value() == 0) out.add(Dim.of(0));
            else if (d.isKnown() && d.value() == 1) out.add(k.toDim());
            else out.add(anon());
        }
        return List.of(new ValueType(x.dtype(), Shape.of(out)));
    }

    // ------------------------------------------------------------------------------------------------ Pad

    static List<ValueType> pad(Node n) {
        Value x = n.input(0);
        if (x.shape() == null) return List.of(unknownShape(x));
        Shape s = x.shape();
        int r = s.rank();
        PadSpec p = ShapeOpsMath.padSpec(n, r);
        List<Dim> out = dims(s);
        if (p == null) {
            long[] axes = n.input(3) != null ? ShapeOpsMath.knownInts(n.input(3)) : null;
            if (axes == null) for (int i = 0; i < r; i++) out.set(i, anon());
            else for (int a : ShapeOpsMath.normAxes(axes, r)) out.set(a, anon());
            return List.of(new ValueType(x.dtype(), Shape.of(out)));
        }
        for (int i = 0; i < r; i++) {
            long add = p.pads()[i] + p.pads()[r + i];
            Dim d = s.dim(i);
            if (d.isKnown()) {
                if (d.value() + add < 0) throw new ConversionException("Pad: negative output size on axis " + i);
                out.set(i, Dim.of(d.value() + add));
            } else if (add != 0) out.set(i, anon());
        }
        return List.of(new ValueType(x.dtype(), Shape.of(out)));
    }

    static List<Tensor> evalPad(Node n, List<Tensor> in) {
        Tensor x = in.get(0);
        PadSpec p = ShapeOpsMath.padSpec(n, Inputs.of(in), x.rank());
        return List.of(ShapeOpsKernels.pad(x, p.pads(), p.mode(), p.value()));
    }

    // ------------------------------------------------------------------------------------------------ Shape

    static List<ValueType> shape(Node n) {
        Value x = n.input(0);
        if (x.shape() == null) return List.of(new ValueType(DType.INT64, Shape.of(List.of(anon()))));
        int[] se = ShapeOpsMath.shapeRange(n, x.shape().rank());
        return List.of(ValueType.of(DType.INT64, se[1] - se[0]));
    }

    static List<Tensor> evalShape(Node n, List<Tensor> in) {
        long[] s = in.get(0).shape();
        int[] se = ShapeOpsMath.shapeRange(n, s.length);
        long[] v = Arrays.copyOfRange(s, se[0], se[1]);
        return List.of(Tensor.ofLongs(new long[] {v.length}, v));
    }

    // ------------------------------------------------------------------------------------------------ ConstantOfShape

    static Tensor constantOfShapeValue(Node n) {
        Tensor v = n.attrs().getTensor("value");
        if (v == null) return Tensor.scalarFloat(0f);
        if (v.numel() != 1) throw new ConversionException("ConstantOfShape: value must have one element");
        return v;
    }

    static List<ValueType> constantOfShape(Node n) {
        DType dt = constantOfShapeValue(n).dtype();
        List<SymInt> t = ShapeOpsMath.symbolicInts(n.input(0));
        if (t == null) return List.of(new ValueType(dt, null));
        List<Dim> out = new ArrayList<>();
        for (SymInt v : t) {
            if (v.known() && v.value() < 0) throw new ConversionException("ConstantOfShape: negative dim " + v.value());
            out.add(v.toDim());
        }
        return List.of(new ValueType(dt, Shape.of(out)));
    }

    static List<Tensor> evalConstantOfShape(Node n, List<Tensor> in) {
        return List.of(ShapeOpsKernels.fill(constantOfShapeValue(n), in.get(0).toLongs()));
    }

    // ------------------------------------------------------------------------------------------------ Range

    static List<ValueType> range(Node n) {
        DType dt = n.input(0).dtype();
        Tensor a = n.constInput(0), b = n.constInput(1), c = n.constInput(2);
        if (a != null && b != null && c != null) return List.of(ValueType.of(dt, ShapeOpsMath.rangeCount(a, b, c)));
        return List.of(new ValueType(dt, Shape.of(List.of(anon()))));
    }

    static List<Tensor> evalRange(Node n, List<Tensor> in) {
        Tensor a = in.get(0), b = in.get(1), c = in.get(2);
        long cnt = ShapeOpsMath.rangeCount(a, b, c);
        if (cnt > ShapeOpsKernels.MAX_EVAL_ELEMENTS) return null;
        DType dt = a.dtype();
        long[] shape = {cnt};
        if (dt.isFloat()) {
            double[] v = new double[(int) cnt];
            if (dt == DType.FLOAT64) {
                double s = a.getDouble(0), d = c.getDouble(0);
                for (int i = 0; i < cnt; i++) v[i] = s + i * d;
            } else {
                // float32 arithmetic, as the runtimes compute it
                float s = (float) a.getDouble(0), d = (float) c.getDouble(0);
                for (int i = 0; i < cnt; i++) v[i] = s + i * d;
            }
            return List.of(Tensor.fromDoubles(dt, shape, v));
        }
        long s = a.getLong(0), d = c.getLong(0);
        long[] v = new long[(int) cnt];
        for (int i = 0; i < cnt; i++) v[i] = s + i * d;
        return List.of(Tensor.fromLongs(dt, shape, v));
    }

    // ------------------------------------------------------------------------------------------------ Compress

    static long compressCount(Tensor cond, long dim) {
        long k = 0, n = Math.min(cond.numel(), dim < 0 ? cond.numel() : dim);
        for (long i = 0; i < n; i++) if (cond.getLong(i) != 0) k++;
        return k;
    }

    static List<ValueType> compress(Node n) {
        Value x = n.input(0);
        Tensor c = n.constInput(1);
        if (!n.attrs().has("axis")) {
            Dim d = c == null ? anon() : Dim.of(compressCount(c, x.shape() != null && x.shape().isStatic() ? x.shape().numel() : -1));
            return List.of(new ValueType(x.dtype(), Shape.of(List.of(d))));
        }
        if (x.shape() == null) return List.of(unknownShape(x));
        int a = Shapes.axis(n.attrs().getInt("axis", 0), x.shape().rank());
        Dim ad = x.shape().dim(a);
        Dim d = c == null ? anon() : Dim.of(compressCount(c, ad.isKnown() ? ad.value() : -1));
        return List.of(new ValueType(x.dtype(), x.shape().withDim(a, d)));
    }

    static List<Tensor> evalCompress(Node n, List<Tensor> in) {
        Tensor x = in.get(0), c = in.get(1);
        if (!n.attrs().has("axis")) x = x.reshape(new long[] {x.numel()});
        int a = n.attrs().has("axis") ? Shapes.axis(n.attrs().getInt("axis", 0), x.rank()) : 0;
        long[] s = x.shape();
        long lim = Math.min(c.numel(), s[a]);
        List<Long> keep = new ArrayList<>();
        for (long i = 0; i < lim; i++) if (c.getLong(i) != 0) keep.add(i);
        long[] os = s.clone();
        os[a] = keep.size();
        long[][] maps = new long[s.length][];
        maps[a] = keep.stream().mapToLong(Long::longValue).toArray();
        return List.of(ShapeOpsKernels.axisMapGather(x, os, ShapeOpsKernels.identity(s.length), maps, null));
    }

    // ------------------------------------------------------------------------------------------------ EyeLike / Trilu

    static DType eyeLikeType(Node n) {
        long dt = n.attrs().getInt("dtype", 0);
        return dt == 0 ? n.input(0).dtype() : DType.fromOnnx((int) dt);
    }

    static List<ValueType> eyeLike(Node n) {
        Value x = n.input(0);
        DType dt = eyeLikeType(n);
        if (x.shape() != null && x.shape().rank() != 2) throw new ConversionException("EyeLike: input must be 2-D");
        return List.of(new ValueType(dt, x.shape()));
    }

    /** The EyeLike result for a static [rows, cols] shape. */
    static Tensor eye(DType dt, long rows, long cols, long k) {
        double[] v = new double[Math.toIntExact(rows * cols)];
        for (long i = 0; i < rows; i++) {
            long j = i + k;
            if (j >= 0 && j < cols) v[(int) (i * cols + j)] = 1;
        }
        return Tensor.fromDoubles(dt, new long[] {rows, cols}, v);
    }

    static List<Tensor> evalEyeLike(Node n, List<Tensor> in) {
        long[] s = in.get(0).shape();
        DType dt = n.attrs().getInt("dtype", 0) == 0 ? in.get(0).dtype() : DType.fromOnnx((int) n.attrs().getInt("dtype", 0));
        return List.of(eye(dt, s[0], s[1], n.attrs().getInt("k", 0)));
    }

    /** True where Trilu keeps element (i, j): j - i >= k (upper) or j - i <= k (lower). */
    static boolean triluKeeps(boolean upper, long i, long j, long k) { return upper ? j - i >= k : j - i <= k; }

    static List<Tensor> evalTrilu(Node n, List<Tensor> in) {
        Tensor x = in.get(0);
        long k = in.size() > 1 && in.get(1) != null ? in.get(1).getLong(0) : 0;
        boolean upper = n.attrs().getInt("upper", 1) != 0;
        long[] s = x.shape();
        if (s.length < 2) throw new ConversionException("Trilu: input rank must be >= 2");
        long rows = s[s.length - 2], cols = s[s.length - 1];
        long[] idx = new long[Math.toIntExact(x.numel())];
        for (int f = 0; f < idx.length; f++) {
            long j = f % cols, i = (f / cols) % rows;
            idx[f] = triluKeeps(upper, i, j, k) ? f : -1;
        }
        return List.of(ShapeOpsKernels.gatherFlat(x, s, idx, null));
    }

    // ------------------------------------------------------------------------------------------------ CenterCropPad

    static int[] centerCropAxes(Node n, int rank) {
        long[] axes = n.attrs().getInts("axes");
        if (axes == null) return ShapeOpsKernels.identity(rank);
        return ShapeOpsMath.normAxes(axes, rank);
    }

    static List<ValueType> centerCropPad(Node n) {
        Value x = n.input(0);
        if (x.shape() == null) return List.of(unknownShape(x));
        Shape s = x.shape();
        int[] ax = centerCropAxes(n, s.rank());
        List<SymInt> t = ShapeOpsMath.symbolicInts(n.input(1));
        List<Dim> out = dims(s);
        for (int i = 0; i < ax.length; i++) out.set(ax[i], t == null || t.size() != ax.length ? anon() : t.get(i).toDim());
        return List.of(new ValueType(x.dtype(), Shape.of(out)));
    }

    static List<Tensor> evalCenterCropPad(Node n, List<Tensor> in) {
        Tensor x = in.get(0);
        long[] s = x.shape(), t = in.get(1).toLongs();
        int[] ax = centerCropAxes(n, s.length);
        long[] os = s.clone();
        long[][] maps = new long[s.length][];
        for (int i = 0; i < ax.length; i++) {
            int a = ax[i];
            os[a] = t[i];
            long[] cp = ShapeOpsMath.centerCropPad(s[a], t[i]);
            maps[a] = new long[(int) t[i]];
            for (int o = 0; o < t[i]; o++) {
                long src = o + cp[0] - cp[1];
                maps[a][o] = src >= 0 && src < s[a] ? src : -1;
            }
        }
        return List.of(ShapeOpsKernels.axisMapGather(x, os, ShapeOpsKernels.identity(s.length), maps, null));
    }
}
