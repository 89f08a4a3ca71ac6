package dev.onnxport.conformance;

import dev.onnxport.ir.DType;
import dev.onnxport.ir.Tensor;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes a tensor as a NumPy .npy file (format 1.0, little-endian, C order) for the Python oracles. */
public final class Npy {
    private Npy() {}

    public static String descr(DType d) {
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

    public static void write(Path file, Tensor t) throws IOException {
        StringBuilder shape = new StringBuilder("(");
        long[] s = t.shape();
        for (int i = 0; i < s.length; i++) shape.append(i == 0 ? "" : ", ").append(s[i]);
        if (s.length == 1) shape.append(',');
        shape.append(')');
        StringBuilder h = new StringBuilder("{'descr': '" + descr(t.dtype()) + "', 'fortran_order': False, 'shape': " + shape + ", }");
        // magic (6) + version (2) + header length (2) + header, padded with spaces and ended by \n to a multiple of 64
        int total = 10 + h.length() + 1;
        int pad = (64 - total % 64) % 64;
        h.append(" ".repeat(pad)).append('\n');
        byte[] header = h.toString().getBytes(StandardCharsets.US_ASCII);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) (header.length & 0xff), (byte) (header.length >> 8)});
            out.write(header);
            ByteBuffer d = t.data();
            Channels.newChannel(out).write(d);
        }
    }
}
