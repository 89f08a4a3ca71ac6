package dev.onnxport.passes.portable;

import dev.onnxport.ir.DType;
import dev.onnxport.ir.Graph;
import dev.onnxport.ir.Node;
import dev.onnxport.ir.Shape;
import dev.onnxport.ir.Tensor;
import dev.onnxport.ir.Value;
import dev.onnxport.passes.PassContext;

/**
 * 4-D GridSample (ONNX opset 16+ and com.microsoft) in bilinear/linear or nearest mode, with zeros or border padding
 * and either align_corners, becomes opset-11 primitives without loops: grid coordinates are denormalized with
 * onnxruntime's formulas, Floor (bilinear) or Round (nearest, half to even like nearbyint) picks the neighbours,
 * their indices are clamped into the image (border padding, as onnxruntime clamps pixel indices) and, for zeros
 * padding, a 0/1 mask (clamped == unclamped) zeroes the weights of neighbours outside. The image is transposed to
 * [N*H*W, C] rows and each neighbour is one Gather of row n*H*W + y*W + x; the weighted sum is transposed back to
 * [N, C, Ho, Wo]. Needs static shapes. Bicubic and reflection padding are left (logged).
 */
public final class GridSampleDecompose extends NodeRewrite {
    @Override public String name() { return "gridsample-decompose"; }

    @Override public String description() { return "rewrite 4-D bilinear/nearest GridSample (zeros/border padding) as Gather arithmetic"; }

    @Override boolean matches(Node n) {
        return n.opType().equals("GridSample") && (n.domain().isEmpty() || n.domain().equals("com.microsoft"));
    }

    @Override boolean rewrite(Graph g, Node n, PassContext ctx) {
        Value img = n.input(0), grid = n.input(1);
        String dflt = n.domain().isEmpty() && n.opset() >= 20 ? "linear" : "bilinear";
        String mode = n.attrs().getString("mode", dflt);
        String padding = n.attrs().getString("padding_mode", "zeros");
        boolean align = n.attrs().getInt("align_corners", 0) != 0;
        boolean nearest = mode.equals("nearest");
        if (!nearest && !mode.equals("bilinear") && !mode.equals("linear")) {
            ctx.log(name() + ": left " + n.describe() + ": mode " + mode);
            return false;
        }
        if (!padding.equals("zeros") && !padding.equals("border")) {
            ctx.log(name() + ": left " + n.describe() + ": padding_mode " + padding);
            return false;
        }
        Shape xs = img.shape(), gs = grid.shape();
        if (xs == null || gs == null || xs.rank() != 4 || gs.rank() != 4 || !xs.isStatic() || !gs.isStatic() || gs.size(3) != 2) {
            ctx.log(name() + ": left " + n.describe() + ": needs static 4-D shapes (X " + xs + ", grid " + gs + ")");
            return false;
        }
        DType dt = img.dtype();
        if (!PrimitiveActivations.isFloat(dt) || grid.dtype() != dt) return false;
        long nb = xs.size(0), c = xs.size(1), h = xs.size(2), w = xs.size(3), ho = gs.size(1), wo = gs.size(2), p = ho * wo;
        if (gs.size(0) != nb) return false;
        boolean zeros = padding.equals("zeros");
        Build b = new Build(g, n.name(), ctx);
        Value gx = b.reshape(b.sliceAt(grid, 3, 0), nb, p);
        Value gy = b.reshape(b.sliceAt(grid, 3, 1), nb, p);
        Value x = denormalize(b, gx, w, align), y = denormalize(b, gy, h, align);
        Value rows = b.reshape(b.transpose(img, 0, 2, 3, 1), nb * h * w, c);
        long[] off = new long[(int) nb];
        for (int i = 0; i < nb; i++) off[i] = i * h * w;
        Value batchOff = b.constant(Tensor.ofLongs(new long[] {nb, 1}, off));
        Value out;
        if (nearest) {
            Value xr = b.unary("Round", x), yr = b.unary("Round", y);
            Value xc = b.clamp(xr, 0, w - 1), yc = b.clamp(yr, 0, h - 1);
            Value v = pick(b, rows, rowBase(b, yc, w, batchOff), xc);
            if (zeros) v = b.mul(v, column(b, b.mul(inside(b, xc, xr), inside(b, yc, yr)), nb, p));
            out = v;
        } else {
            Value x1 = b.unary("Floor", x), y1 = b.unary("Floor", y);
            Value x2 = b.add(x1, 1), y2 = b.add(y1, 1);
            Value dx2 = b.sub(x2, x), dx1 = b.sub(x, x1), dy2 = b.sub(y2, y), dy1 = b.sub(y, y1);
            Value w11 = b.mul(dy2, dx2), w12 = b.mul(dy2, dx1), w21 = b.mul(dy1, dx2), w22 = b.mul(dy1, dx1);
            Value x1c = b.clamp(x1, 0, w - 1), x2c = b.clamp(x2, 0, w - 1), y1c = b.clamp(y1, 0, h - 1), y2c = b.clamp(y2, 0, h - 1);
            if (zeros) {
                Value mx1 = inside(b, x1c, x1), mx2 = inside(b, x2c, x2), my1 = inside(b, y1c, y1), my2 = inside(b, y2c, y2);
                w11 = b.mul(w11, b.mul(my1, mx1));
                w12 = b.mul(w12, b.mul(my1, mx2));
                w21 = b.mul(w21, b.mul(my2, mx1));
                w22 = b.mul(w22, b.mul(my2, mx2));
            }
            Value r1 = rowBase(b, y1c, w, batchOff), r2 = rowBase(b, y2c, w, batchOff);
            Value p11 = pick(b, rows, r1, x1c), p12 = pick(b, rows, r1, x2c), p21 = pick(b, rows, r2, x1c), p22 = pick(b, rows, r2, x2c);
            out = b.add(b.add(b.add(b.mul(column(b, w11, nb, p), p11), b.mul(column(b, w12, nb, p), p12)),
                    b.mul(column(b, w21, nb, p), p21)), b.mul(column(b, w22, nb, p), p22));
        }
        Value res = b.reshape(b.transpose(out, 0, 2, 1), nb, c, ho, wo);
        replace(g, n, 0, res);
        ctx.log(name() + ": decomposed " + n.describe() + " (" + mode + ", " + padding + ", align_corners " + (align ? 1 : 0) + ")");
        return true;
    }

    /** onnxruntime's GsDenormalize: ((v + 1) / 2) * (len - 1), or ((v + 1) * len - 1) / 2 without align_corners. */
    private static Value denormalize(Build b, Value v, long len, boolean align) {
        Value v1 = b.add(v, 1);
        if (align) return b.mul(b.div(v1, b.scalar(v.dtype(), 2)), len - 1);
        return b.div(b.add(b.mul(v1, len), -1), b.scalar(v.dtype(), 2));
    }

    /** 1 where the clamped coordinate equals the unclamped one (the neighbour is inside the image), else 0. */
    private static Value inside(Build b, Value clamped, Value raw) {
        return b.cast(b.compare("Equal", clamped, raw), clamped.dtype());
    }

    /** n*H*W + y*W as int64 [N, P]. */
    private static Value rowBase(Build b, Value y, long w, Value batchOff) {
        return b.add(b.mul(b.cast(y, DType.INT64), b.scalar(DType.INT64, w)), batchOff);
    }

    /** rows[base + x] as [N, P, C]. */
    private static Value pick(Build b, Value rows, Value base, Value x) {
        return b.gather(rows, b.add(base, b.cast(x, DType.INT64)), 0);
    }

    private static Value column(Build b, Value v, long nb, long p) { return b.reshape(v, nb, p, 1); }
}
