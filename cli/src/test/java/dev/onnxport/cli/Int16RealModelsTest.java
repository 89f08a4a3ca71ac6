package dev.onnxport.cli;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The 16x8 variant on the small real models of {@link Int8RealModelsTest} (mtcnn-onet, ppocr-mobile-v2-cls; the
 * others with -Donnxport.models=REGEX or ONNXPORT_INT16_MODELS=REGEX): TFLite 2.6 on coco20, min/max calibration,
 * the mean cosine similarity with float32 must reach {@link #MIN_COSINE} on every output (int8 reaches 0.98), the
 * classifier's top-1 must agree on 90% of the images. Figures go to target/int16/results.tsv (docs/QUANTIZATION.md).
 */
class Int16RealModelsTest {
    static final double MIN_COSINE = 0.999;
    static final Set<String> DEFAULT = Set.of("mtcnn-onet", "ppocr-mobile-v2-cls");

    @TempDir static Path cache;

    @TestFactory
    Stream<DynamicTest> realModels() {
        Int8Data.useSharedCoco20(cache);
        String filter = System.getProperty("onnxport.models", "");
        if (filter.isEmpty() && System.getenv("ONNXPORT_INT16_MODELS") != null) filter = System.getenv("ONNXPORT_INT16_MODELS");
        List<DynamicTest> r = new ArrayList<>();
        for (Int8RealModelsTest.Spec s : Int8RealModelsTest.SPECS) {
            if (filter.isEmpty() ? !DEFAULT.contains(s.name()) : !s.name().matches(filter)) continue;
            r.add(DynamicTest.dynamicTest(s.name(), () -> Int8RealModelsTest.check(s, true, MIN_COSINE)));
        }
        return r.stream();
    }
}
