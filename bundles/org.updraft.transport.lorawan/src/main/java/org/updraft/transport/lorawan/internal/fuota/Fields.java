package org.updraft.transport.lorawan.internal.fuota;

/** Range checks of the commands' fields, shared by their constructors. */
final class Fields {

    private Fields() {
    }

    static void requireRange(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(field + " must be " + min + " to " + max + ", not " + value);
        }
    }

    static byte[] requireLength(String field, byte[] value, int length) {
        if (value == null || value.length != length) {
            throw new IllegalArgumentException(field + " must be " + length + " bytes, not "
                    + (value == null ? "missing" : value.length + " bytes"));
        }
        return value.clone();
    }
}
