package dev.onnxport.ir;

/** One dimension of a shape: a known size or a named symbolic size. */
public sealed interface Dim permits Dim.Known, Dim.Sym {
    record Known(long value) implements Dim {
        public Known { if (value < 0) throw new IllegalArgumentException("negative dim " + value); }
        @Override public String toString() { return Long.toString(value); }
    }

    record Sym(String name) implements Dim {
        @Override public String toString() { return name == null || name.isEmpty() ? "?" : name; }
    }

    static Dim of(long v) { return new Known(v); }

    static Dim sym(String name) { return new Sym(name); }

    default boolean isKnown() { return this instanceof Known; }

    /** The known size; throws for symbolic dims. */
    default long value() {
        if (this instanceof Known k) return k.value();
        throw new IllegalStateException("dimension '" + this + "' is not static");
    }
}
