package dev.onnxport.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * For CLI tests that calibrate on coco20: a temporary folder per test, coco20 read from the shared data (never the
 * user's cache or the network), and the system properties that point there cleared afterwards. Skipped without the
 * shared data folder.
 */
abstract class Coco20Fixture {
    @TempDir Path dir;

    @BeforeEach
    void data() {
        Assumptions.assumeTrue(Int8Data.data() != null, "no shared data folder with coco20");
        Int8Data.useSharedCoco20(dir.resolve("cache"));
    }

    @AfterEach
    void clear() {
        System.clearProperty("onnxport.data");
        System.clearProperty("onnxport.cache");
        System.clearProperty("onnxport.coco20.url");
    }
}
