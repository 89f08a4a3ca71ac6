package dev.onnxport.ir;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** An immutable, ordered attribute map with typed accessors. */
public final class Attrs {
    public static final Attrs EMPTY = new Attrs(Map.of());
    private final Map<String, Attr> map;

    private Attrs(Map<String, Attr> map) { this.map = Collections.unmodifiableMap(new LinkedHashMap<>(map)); }

    public static Attrs of(Map<String, Attr> map) { return new Attrs(map); }

    public static Builder builder() { return new Builder(); }

    public Builder toBuilder() { Builder b = new Builder(); b.map.putAll(map); return b; }

    public boolean has(String name) { return map.containsKey(name); }

    public Set<String> names() { return map.keySet(); }

    public Map<String, Attr> asMap() { return map; }

    public Attr get(String name) { return map.get(name); }

    private <T extends Attr> T typed(String name, Class<T> cls) {
        Attr a = map.get(name);
        if (a == null) return null;
        if (!cls.isInstance(a))
            throw new ConversionException("attribute '" + name + "' has type " + a.getClass().getSimpleName() + ", expected " + cls.getSimpleName());
        return cls.cast(a);
    }

    public long getInt(String name, long dflt) { Attr.Int a = typed(name, Attr.Int.class); return a == null ? dflt : a.value(); }

    public long requireInt(String name) {
        Attr.Int a = typed(name, Attr.Int.class);
        if (a == null) throw new ConversionException("attribute '" + name + "' is required");
        return a.value();
    }

    public float getFloat(String name, float dflt) { Attr.Float a = typed(name, Attr.Float.class); return a == null ? dflt : a.value(); }

    public String getString(String name, String dflt) { Attr.Str a = typed(name, Attr.Str.class); return a == null ? dflt : a.value(); }

    /** Integer list, or null when absent. */
    public long[] getInts(String name) { Attr.Ints a = typed(name, Attr.Ints.class); return a == null ? null : a.value().clone(); }

    public long[] getInts(String name, long[] dflt) { long[] v = getInts(name); return v == null ? dflt : v; }

    public float[] getFloats(String name) { Attr.Floats a = typed(name, Attr.Floats.class); return a == null ? null : a.value().clone(); }

    public List<String> getStrings(String name) { Attr.Strs a = typed(name, Attr.Strs.class); return a == null ? null : a.value(); }

    public Tensor getTensor(String name) { Attr.TensorAttr a = typed(name, Attr.TensorAttr.class); return a == null ? null : a.value(); }

    public Graph getGraph(String name) { Attr.GraphAttr a = typed(name, Attr.GraphAttr.class); return a == null ? null : a.value(); }

    @Override public String toString() { return map.toString(); }

    public static final class Builder {
        private final Map<String, Attr> map = new LinkedHashMap<>();

        public Builder put(String name, Attr a) { map.put(name, a); return this; }

        public Builder put(String name, long v) { return put(name, new Attr.Int(v)); }

        public Builder put(String name, float v) { return put(name, new Attr.Float(v)); }

        public Builder put(String name, String v) { return put(name, new Attr.Str(v)); }

        public Builder put(String name, long[] v) { return put(name, new Attr.Ints(v.clone())); }

        public Builder put(String name, float[] v) { return put(name, new Attr.Floats(v.clone())); }

        public Builder put(String name, Tensor v) { return put(name, new Attr.TensorAttr(v)); }

        public Builder remove(String name) { map.remove(name); return this; }

        public Attrs build() { return map.isEmpty() ? EMPTY : new Attrs(map); }
    }
}
