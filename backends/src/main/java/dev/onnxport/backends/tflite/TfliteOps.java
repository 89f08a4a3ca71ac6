package dev.onnxport.backends.tflite;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** The TFLite lowering of each IR op, registered per op family. */
public final class TfliteOps {
    private final Map<String, TfliteLowering> map = new TreeMap<>();
    private static final TfliteOps STANDARD = build();

    private static TfliteOps build() {
        TfliteOps r = new TfliteOps();
        TfliteElementwise.register(r);
        TfliteNn.register(r);
        TfliteShapeOps.register(r);
        TfliteIndexOps.register(r);
        TfliteReduce.register(r);
        TfliteRecurrent.register(r);
        return r;
    }

    public static TfliteOps standard() { return STANDARD; }

    public void register(String qualifiedOp, TfliteLowering l) {
        if (map.put(qualifiedOp, l) != null) throw new IllegalStateException("TFLite lowering for " + qualifiedOp + " registered twice");
    }

    public TfliteLowering get(String qualifiedOp) { return map.get(qualifiedOp); }

    public Map<String, TfliteLowering> all() { return Collections.unmodifiableMap(map); }
}
