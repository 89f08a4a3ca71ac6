package dev.onnxport.ir;

/** IEEE 754 binary16 conversions (round to nearest even); Java 17 has no built-in for these. */
public final class Half {
    private Half() {}

    public static float toFloat(short hbits) {
        int h = hbits & 0xffff;
        int sign = (h >>> 15) << 31;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        int bits;
        if (exp == 0) {
            if (mant == 0) {
                bits = sign;
            } else { // subnormal: normalise
                int e = -1;
                do { e++; mant <<= 1; } while ((mant & 0x400) == 0);
                mant &= 0x3ff;
                bits = sign | ((127 - 15 - e) << 23) | (mant << 13);
            }
        } else if (exp == 0x1f) {
            bits = sign | 0x7f800000 | (mant << 13);
        } else {
            bits = sign | ((exp - 15 + 127) << 23) | (mant << 13);
        }
        return Float.intBitsToFloat(bits);
    }

    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) { // inf or nan
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) return (short) (sign | 0x7c00); // overflow -> inf
        if (e <= 0) { // subnormal or zero
            if (e < -10) return (short) sign;
            mant |= 0x800000;
            int shift = 14 - e;
            int half = mant >>> shift;
            int rem = mant & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) != 0)) half++;
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) != 0)) half++; // may carry into exponent: still correct
        return (short) (sign | half);
    }
}
