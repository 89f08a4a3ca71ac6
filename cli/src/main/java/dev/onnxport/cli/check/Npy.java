package dev.onnxport.cli.check;

import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy .npy files (format versions 1, 2 and 3): bool, (u)int8/16/32/64, float16/32/64, either byte order, C or
 * Fortran order (Fortran data is reordered to C order).
 */
public final class Npy {
    private Npy() {}

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /** Reads a .npy file; throws IllegalArgumentException with the reason when it is not a supported one. */
    public static Tensor read(Path file) throws IOException {
        return read(Files.readAllBytes(file));
    }

    public static Tensor read(byte[] b) {
        if (b.length < 10 || (b[0] & 0xff) != 0x93 || b[1] != 'N' || b[2] != 'U' || b[3] != 'M' || b[4] != 'P' || b[5] != 'Y')
            throw new IllegalArgumentException("not a .npy file (no \\x93NUMPY magic)");
        int major = b[6];
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int hlen, hstart;
        if (major == 1) { hlen = Short.toUnsignedInt(bb.getShort(8)); hstart = 10; }
        else if (major == 2 || major == 3) {
            if (b.length < 12) throw new IllegalArgumentException("truncated .npy header");
            hlen = bb.getInt(8);
            hstart = 12;
        } else throw new IllegalArgumentException(".npy format version " + major + " is not supported");
        if (hlen < 0 || hstart + hlen > b.length) throw new IllegalArgumentException("truncated .npy header");
        String h = new String(b, hstart, hlen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(h), f = FORTRAN.matcher(h), s = SHAPE.matcher(h);
        if (!d.find() || !s.find()) throw new IllegalArgumentException("unreadable .npy header: " + h.trim());
        boolean fortran = f.find() && f.group(1).equals("True");
        String descr = d.group(1);
        List<Long> dims = new ArrayList<>();
        for (String p : s.group(1).split(",")) {
            if (p.isBlank()) continue;
            dims.add(Long.parseLong(p.trim().replace("L", "")));
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        char order = descr.isEmpty() ? '<' : descr.charAt(0);
        DType dt = dtype(descr.substring(order == '<' || order == '>' || order == '|' || order == '=' ? 1 : 0));
        if (dt == null) throw new IllegalArgumentException(".npy dtype '" + descr + "' is not supported");
        long n = Tensor.numel(shape);
        long bytes = n * dt.size();
        int start = hstart + hlen;
        if (b.length - start < bytes) throw new IllegalArgumentException(".npy data is truncated: " + (b.length - start) + " bytes, shape needs " + bytes);
        ByteBuffer data = Tensor.alloc(bytes);
        int es = dt.size();
        boolean swap = order == '>' && es > 1;
        for (long i = 0; i < n; i++) {
            int p = (int) (start + i * es);
            if (swap) for (int k = es - 1; k >= 0; k--) data.put(b[p + k]);
            else data.put(b, p, es);
        }
        data.flip();
        if (!fortran || shape.length < 2) return Tensor.of(dt, shape, data);
        // Fortran order: the data is the C-order array of the reversed shape, transposed
        long[] rev = new long[shape.length];
        int[] perm = new int[shape.length];
        for (int i = 0; i < shape.length; i++) { rev[i] = shape[shape.length - 1 - i]; perm[i] = shape.length - 1 - i; }
        return dev.onnxport.backends.check.Compare.toTarget(Tensor.of(dt, rev, data), perm);
    }

    private static DType dtype(String code) {
        return switch (code) {
            case "f4" -> DType.FLOAT32;
            case "f8" -> DType.FLOAT64;
            case "f2" -> DType.FLOAT16;
            case "i1" -> DType.INT8;
            case "u1" -> DType.UINT8;
            case "i2" -> DType.INT16;
            case "u2" -> DType.UINT16;
            case "i4" -> DType.INT32;
            case "u4" -> DType.UINT32;
            case "i8" -> DType.INT64;
            case "u8" -> DType.UINT64;
            case "b1", "?" -> DType.BOOL;
            default -> null;
        };
    }

    static String descr(DType d) {
        return switch (d) {
            case FLOAT32 -> "<f4";
            case FLOAT64 -> "<f8";
            case FLOAT16 -> "<f2";
            case INT8 -> "|i1";
            case UINT8 -> "|u1";
            case INT16 -> "<i2";
            case UINT16 -> "<u2";
            case INT32 -> "<i4";
            case UINT32 -> "<u4";
            case INT64 -> "<i8";
            case UINT64 -> "<u8";
            case BOOL -> "|b1";
            default -> throw new IllegalArgumentException("no .npy type for " + d);
        };
    }

    /** Writes t as a version 1.0 .npy file (little-endian, C order). */
    public static void write(Path file, Tensor t) throws IOException {
        StringBuilder shape = new StringBuilder("(");
        long[] s = t.shape();
        for (int i = 0; i < s.length; i++) shape.append(i == 0 ? "" : ", ").append(s[i]);
        if (s.length == 1) shape.append(',');
        shape.append(')');
        StringBuilder h = new StringBuilder("{'descr': '" + descr(t.dtype()) + "', 'fortran_order': False, 'shape': " + shape + ", }");
        int total = 10 + h.length() + 1;
        h.append(" ".repeat((64 - total % 64) % 64)).append('\n');
        byte[] header = h.toString().getBytes(StandardCharsets.US_ASCII);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) (header.length & 0xff), (byte) (header.length >> 8)});
            out.write(header);
            Channels.newChannel(out).write(t.data());
        }
    }
}
