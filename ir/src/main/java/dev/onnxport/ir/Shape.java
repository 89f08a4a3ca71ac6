package dev.onnxport.ir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/** An immutable shape of known rank whose dims may be symbolic. Unknown rank is modelled as a null Shape. */
public final class Shape {
    private final List<Dim> dims;

    private Shape(List<Dim> dims) { this.dims = Collections.unmodifiableList(new ArrayList<>(dims)); }

    public static Shape of(long... dims) {
        List<Dim> d = new ArrayList<>(dims.length);
        for (long v : dims) d.add(Dim.of(v));
        return new Shape(d);
    }

    public static Shape of(List<Dim> dims) { return new Shape(dims); }

    public static Shape scalar() { return of(); }

    public List<Dim> dims() { return dims; }

    public int rank() { return dims.size(); }

    public Dim dim(int i) { return dims.get(i < 0 ? i + dims.size() : i); }

    /** The known size of dim i (negative i counts from the end). */
    public long size(int i) { return dim(i).value(); }

    public boolean isStatic() {
        for (Dim d : dims) if (!d.isKnown()) return false;
        return true;
    }

    /** Element count; throws if any dim is symbolic. */
    public long numel() {
        long n = 1;
        for (Dim d : dims) n *= d.value();
        return n;
    }

    public long[] toArray() {
        long[] a = new long[dims.size()];
        for (int i = 0; i < a.length; i++) a[i] = dims.get(i).value();
        return a;
    }

    public int[] toIntArray() {
        int[] a = new int[dims.size()];
        for (int i = 0; i < a.length; i++) a[i] = Math.toIntExact(dims.get(i).value());
        return a;
    }

    /** dims[i] = this.dims[perm[i]]. */
    public Shape permute(int[] perm) {
        if (perm.length != rank()) throw new IllegalArgumentException("perm " + Arrays.toString(perm) + " for rank " + rank());
        List<Dim> d = new ArrayList<>(perm.length);
        for (int p : perm) d.add(dims.get(p));
        return new Shape(d);
    }

    public Shape withDim(int i, Dim d) {
        List<Dim> n = new ArrayList<>(dims);
        n.set(i, d);
        return new Shape(n);
    }

    @Override public boolean equals(Object o) { return o instanceof Shape s && s.dims.equals(dims); }

    @Override public int hashCode() { return dims.hashCode(); }

    @Override public String toString() { return dims.toString(); }
}
