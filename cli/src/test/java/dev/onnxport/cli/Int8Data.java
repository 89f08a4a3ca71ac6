package dev.onnxport.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the int8 tests find the shared data (coco20) and the real models. */
final class Int8Data {
    private Int8Data() {}

    /** The shared data folder (../shared/data beside the checkout, or -Donnxport.shared / $ONNXPORT_DATA). */
    static Path data() {
        String p = System.getProperty("onnxport.shared");
        if (p != null && !p.isEmpty() && Files.isDirectory(Path.of(p, "data"))) return Path.of(p, "data").toAbsolutePath().normalize();
        String e = System.getenv("ONNXPORT_DATA");
        if (e != null && !e.isEmpty() && Files.isDirectory(Path.of(e))) return Path.of(e).toAbsolutePath().normalize();
        Path d = Path.of("").toAbsolutePath();
        while (d != null) {
            Path s = d.resolveSibling("shared").resolve("data");
            if (Files.isDirectory(s.resolve("coco20"))) return s.normalize();
            d = d.getParent();
        }
        return null;
    }

    /** Points coco20 at the shared data and away from the user's cache and the network. */
    static void useSharedCoco20(Path emptyCache) {
        Path d = data();
        if (d != null) System.setProperty("onnxport.data", d.toString());
        System.setProperty("onnxport.cache", emptyCache.toString());
        System.setProperty("onnxport.coco20.url", "http://127.0.0.1:9/unreachable");
    }

    static Path models() {
        String p = System.getProperty("onnxport.models.dir");
        if (p == null || p.isEmpty()) p = System.getenv("ONNXPORT_MODELS");
        if (p == null || p.isEmpty()) p = System.getProperty("user.home") + "/.cache/onnxport/models";
        return Path.of(p);
    }
}
