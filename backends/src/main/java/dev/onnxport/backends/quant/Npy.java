package dev.onnxport.backends.quant;

import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads and writes NumPy .npy files (format versions 1 to 3, C order, little-endian or single-byte types). */
public final class Npy {
    private Npy() {}

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    public static Tensor read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CalibrationException("file '" + file + "': not found");
        } catch (IOException e) {
            throw new CalibrationException("file '" + file + "': cannot read: " + e.getMessage(), e);
        }
        return read(bytes, "file '" + file + "'");
    }

    /** Parses .npy bytes; {@code what} names the source in error messages. */
    public static Tensor read(byte[] b, String what) {
        if (b.length < 10) throw new CalibrationException(what + ": not a .npy file (too short)");
        for (int i = 0; i < MAGIC.length; i++)
            if (b[i] != MAGIC[i]) throw new CalibrationException(what + ": not a .npy file (no \\x93NUMPY magic)");
        int major = b[6] & 0xff;
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen, start;
        if (major == 1) {
            headerLen = bb.getShort(8) & 0xffff;
            start = 10;
        } else if (major == 2 || major == 3) {
            if (b.length < 12) throw new CalibrationException(what + ": truncated .npy header");
            headerLen = bb.getInt(8);
            start = 12;
        } else {
            throw new CalibrationException(what + ": unsupported .npy format version " + major);
        }
        if (headerLen < 0 || start + (long) headerLen > b.length) throw new CalibrationException(what + ": truncated .npy header");
        String header = new String(b, start, headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = field(header, "descr", "'([^']*)'", what);
        String fortran = field(header, "fortran_order", "(True|False)", what);
        String shapeText = field(header, "shape", "\\(([^)]*)\\)", what);
        if (fortran.equals("True"))
            throw new CalibrationException(what + ": Fortran-order arrays are not supported (save with np.ascontiguousarray)");
        List<Long> dims = new ArrayList<>();
        for (String s : shapeText.split(",")) {
            if (s.isBlank()) continue;
            try {
                dims.add(Long.parseLong(s.trim().replace("L", "")));
            } catch (NumberFormatException e) {
                throw new CalibrationException(what + ": bad .npy shape '(" + shapeText + ")'");
            }
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        DType dt = dtype(descr, what);
        char order = descr.charAt(0);
        long n = Tensor.numel(shape);
        long need = n * dt.size();
        int dataStart = start + headerLen;
        if (b.length - (long) dataStart < need)
            throw new CalibrationException(what + ": truncated .npy data (" + (b.length - dataStart) + " bytes, shape "
                    + java.util.Arrays.toString(shape) + " of " + descr + " needs " + need + ")");
        ByteBuffer data = Tensor.alloc(need);
        if (order == '>' && dt.size() > 1) {
            // big-endian: swap each element into little-endian order
            for (long i = 0; i < n; i++) for (int k = dt.size() - 1; k >= 0; k--) data.put(b[(int) (dataStart + i * dt.size() + k)]);
        } else {
            data.put(b, dataStart, (int) need);
        }
        data.flip();
        return Tensor.of(dt, shape, data);
    }

    private static String field(String header, String key, String valueRegex, String what) {
        Matcher m = Pattern.compile("'" + key + "'\\s*:\\s*" + valueRegex).matcher(header);
        if (!m.find()) throw new CalibrationException(what + ": .npy header has no '" + key + "'");
        return m.group(1);
    }

    private static DType dtype(String descr, String what) {
        if (descr.length() < 3) throw new CalibrationException(what + ": unsupported .npy dtype '" + descr + "'");
        char order = descr.charAt(0);
        String t = descr.substring(1);
        if (order != '<' && order != '>' && order != '|' && order != '=')
            throw new CalibrationException(what + ": unsupported .npy dtype '" + descr + "'");
        return switch (t) {
            case "u1" -> DType.UINT8;
            case "i1" -> DType.INT8;
            case "b1" -> DType.BOOL;
            case "i2" -> DType.INT16;
            case "u2" -> DType.UINT16;
            case "i4" -> DType.INT32;
            case "u4" -> DType.UINT32;
            case "i8" -> DType.INT64;
            case "u8" -> DType.UINT64;
            case "f2" -> DType.FLOAT16;
            case "f4" -> DType.FLOAT32;
            case "f8" -> DType.FLOAT64;
            default -> throw new CalibrationException(what + ": unsupported .npy dtype '" + descr + "'");
        };
    }

    /** The .npy (version 1) bytes of t. */
    public static byte[] write(Tensor t) {
        String descr = switch (t.dtype()) {
            case UINT8 -> "|u1";
            case INT8 -> "|i1";
            case BOOL -> "|b1";
            case INT16 -> "<i2";
            case UINT16 -> "<u2";
            case INT32 -> "<i4";
            case UINT32 -> "<u4";
            case INT64 -> "<i8";
            case UINT64 -> "<u8";
            case FLOAT16 -> "<f2";
            case FLOAT32 -> "<f4";
            case FLOAT64 -> "<f8";
            default -> throw new IllegalArgumentException("cannot write " + t.dtype() + " as .npy");
        };
        StringBuilder shape = new StringBuilder("(");
        long[] s = t.shape();
        for (int i = 0; i < s.length; i++) shape.append(s[i]).append(s.length == 1 ? "," : i < s.length - 1 ? ", " : "");
        shape.append(")");
        StringBuilder h = new StringBuilder("{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }");
        while ((10 + h.length() + 1) % 64 != 0) h.append(' ');
        h.append('\n');
        byte[] header = h.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out = ByteBuffer.allocate(10 + header.length + (int) t.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length).put(header).put(t.data());
        return out.array();
    }
}
