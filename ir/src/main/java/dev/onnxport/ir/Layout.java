package dev.onnxport.ir;

/**
 * The channels-last marker the layout pass puts on layout-sensitive nodes (Conv, pools, Resize, DepthToSpace,
 * ...). A node with {@code onnxport.layout = "NHWC"} reads and writes its activations channels-last
 * (rank r: [N, spatial..., C], i.e. ONNX axes permuted by {@link #toLast(int)}); its weights and other
 * parameters stay in ONNX layout. Its shape function must honour this.
 */
public final class Layout {
    private Layout() {}

    public static final String ATTR = "onnxport.layout";
    public static final String NHWC = "NHWC";

    public static boolean isNhwc(Node n) { return NHWC.equals(n.attrs().getString(ATTR, null)); }

    /** perm taking a channels-first tensor to channels-last: [0, 2, ..., r-1, 1]. */
    public static int[] toLast(int rank) {
        int[] p = new int[rank];
        p[0] = 0;
        for (int i = 1; i < rank - 1; i++) p[i] = i + 1;
        if (rank > 1) p[rank - 1] = 1;
        return p;
    }

    /** perm taking a channels-last tensor back to channels-first: [0, r-1, 1, ..., r-2]. */
    public static int[] toFirst(int rank) { return inverse(toLast(rank)); }

    public static int[] inverse(int[] perm) {
        int[] inv = new int[perm.length];
        for (int i = 0; i < perm.length; i++) inv[perm[i]] = i;
        return inv;
    }

    /** The channels-first view of a channels-last shape. */
    public static Shape firstShape(Shape last) { return last.permute(toFirst(last.rank())); }

    /** The channels-last view of a channels-first shape. */
    public static Shape lastShape(Shape first) { return first.permute(toLast(first.rank())); }
}
