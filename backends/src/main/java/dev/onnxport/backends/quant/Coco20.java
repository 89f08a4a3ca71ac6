package dev.onnxport.backends.quant;

import dev.onnxport.ir.Tensor;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The built-in calibration set {@code coco20}: 20 MS-COCO images, uint8 [20,128,128,3] NHWC RGB, as published by
 * onnx2tf. Looked up, in order, in {@code $ONNXPORT_DATA/coco20/*.npy}, in the user cache
 * ({@code ~/.cache/onnxport/coco20/}), and else downloaded once into that cache. Every candidate is checked against
 * {@link #SHA256} before use.
 * <p>
 * System properties (for tests and offline set-ups): {@code onnxport.data} overrides {@code $ONNXPORT_DATA},
 * {@code onnxport.cache} the cache root {@code ~/.cache/onnxport}, {@code onnxport.coco20.url} the download URL.
 */
public final class Coco20 {
    private Coco20() {}

    public static final String NAME = "coco20";
    public static final String SHA256 = "dd1badd62460118aeb0f1c38510c2f4188cf0cf238205d2746b75ec8cb827e0a";
    public static final String URL = "https://raw.githubusercontent.com/PINTO0309/onnx2tf/cecdbcd71e296c27ede155ca664f33c0ea7fa2db/"
            + "data/calibration_image_sample_data_20x128x128x3.npy";
    public static final String FILE_NAME = "coco20_uint8_20x128x128x3.npy";
    public static final long[] SHAPE = {20, 128, 128, 3};
    private static final long MAX_BYTES = 8L << 20;

    /** The images, uint8 [20,128,128,3] NHWC RGB; progress and download notes go to log. */
    public static Tensor load(Consumer<String> log) {
        Path p = resolve(log);
        Tensor t = Npy.read(p);
        if (t.dtype() != dev.onnxport.ir.DType.UINT8 || !java.util.Arrays.equals(t.shape(), SHAPE))
            throw new CalibrationException("file '" + p + "': coco20 should be uint8 [20,128,128,3], is " + t.dtype() + " " + java.util.Arrays.toString(t.shape()));
        return t;
    }

    /** The verified .npy file: from the data folder, the cache, or a fresh download into the cache. */
    public static Path resolve(Consumer<String> log) {
        Path data = dataDir();
        if (data != null) {
            Path dir = data.resolve(NAME);
            List<Path> bad = new ArrayList<>();
            for (Path p : npyFiles(dir)) {
                if (SHA256.equals(sha256(p))) return p;
                bad.add(p);
            }
            if (!bad.isEmpty())
                throw new CalibrationException("coco20: checksum mismatch for " + bad + " (expected sha256 " + SHA256 + ")");
        }
        Path cacheDir = cacheDir().resolve(NAME);
        Path cached = cacheDir.resolve(FILE_NAME);
        if (Files.isRegularFile(cached)) {
            String h = sha256(cached);
            if (SHA256.equals(h)) return cached;
            throw new CalibrationException("coco20: checksum mismatch for cached file '" + cached + "' (sha256 " + h + ", expected "
                    + SHA256 + "); delete it to download it again");
        }
        return download(cacheDir, cached, log);
    }

    static Path dataDir() {
        String d = System.getProperty("onnxport.data");
        if (d == null || d.isEmpty()) d = System.getenv("ONNXPORT_DATA");
        return d == null || d.isEmpty() ? null : Path.of(d);
    }

    static Path cacheDir() {
        String c = System.getProperty("onnxport.cache");
        if (c != null && !c.isEmpty()) return Path.of(c);
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isEmpty()) return Path.of(xdg, "onnxport");
        return Path.of(System.getProperty("user.home"), ".cache", "onnxport");
    }

    static String url() {
        String u = System.getProperty("onnxport.coco20.url");
        return u == null || u.isEmpty() ? URL : u;
    }

    private static List<Path> npyFiles(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".npy") && Files.isRegularFile(p))
                    .sorted().toList();
        } catch (IOException e) {
            throw new CalibrationException("coco20: cannot list '" + dir + "': " + e.getMessage(), e);
        }
    }

    private static Path download(Path dir, Path target, Consumer<String> log) {
        String url = url();
        log.accept("downloading the coco20 calibration images (once) from " + url);
        byte[] bytes;
        try {
            URL u = URI.create(url).toURL();
            HttpURLConnection c = (HttpURLConnection) u.openConnection();
            c.setConnectTimeout(20_000);
            c.setReadTimeout(60_000);
            c.setInstanceFollowRedirects(true);
            int code = c.getResponseCode();
            if (code != 200) throw new CalibrationException("coco20: download from " + url + " failed: HTTP " + code);
            try (InputStream in = c.getInputStream()) {
                bytes = in.readNBytes((int) MAX_BYTES + 1);
            }
            if (bytes.length > MAX_BYTES) throw new CalibrationException("coco20: download from " + url + " is larger than expected");
        } catch (IOException | IllegalArgumentException e) {
            throw new CalibrationException("coco20: not found in $ONNXPORT_DATA/coco20 or '" + dir + "', and the download from " + url
                    + " failed (" + e + "); put " + FILE_NAME + " (sha256 " + SHA256 + ") in one of them", e);
        }
        String h = sha256(bytes);
        if (!SHA256.equals(h))
            throw new CalibrationException("coco20: checksum mismatch for the download from " + url + " (sha256 " + h + ", expected " + SHA256 + ")");
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".coco20", ".part");
            try {
                Files.write(tmp, bytes);
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new CalibrationException("coco20: cannot write the cache file '" + target + "': " + e.getMessage(), e);
        }
        return target;
    }

    static String sha256(Path p) {
        try (InputStream in = Files.newInputStream(p)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) > 0; ) md.update(buf, 0, r);
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new CalibrationException("file '" + p + "': cannot read: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
