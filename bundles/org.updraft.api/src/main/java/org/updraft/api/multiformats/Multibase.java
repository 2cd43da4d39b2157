package org.updraft.api.multiformats;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.util.Arrays;

/**
 * The two multibase encodings Updraft meets: base58btc (CIDv0, did:key, prefix {@code z}) and lower-case
 * base32 without padding (CIDv1 as Kubo prints it, prefix {@code b}).
 */
public final class Multibase {

    private static final String BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    private static final String BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
    private static final int[] BASE58_INDEX = index(BASE58);
    private static final int[] BASE32_INDEX = index(BASE32);

    private Multibase() {
    }

    private static int[] index(String alphabet) {
        int[] index = new int[128];
        Arrays.fill(index, -1);
        for (int i = 0; i < alphabet.length(); i++) {
            index[alphabet.charAt(i)] = i;
        }
        return index;
    }

    /** Plain base58btc, without the multibase prefix. */
    public static String encodeBase58(byte[] bytes) {
        int zeros = 0;
        while (zeros < bytes.length && bytes[zeros] == 0) {
            zeros++;
        }
        StringBuilder sb = new StringBuilder();
        BigInteger n = new BigInteger(1, bytes);
        BigInteger radix = BigInteger.valueOf(58);
        while (n.signum() > 0) {
            BigInteger[] qr = n.divideAndRemainder(radix);
            sb.append(BASE58.charAt(qr[1].intValue()));
            n = qr[0];
        }
        for (int i = 0; i < zeros; i++) {
            sb.append('1');
        }
        return sb.reverse().toString();
    }

    /** Plain base58btc, without the multibase prefix. */
    public static byte[] decodeBase58(String text) {
        BigInteger n = BigInteger.ZERO;
        BigInteger radix = BigInteger.valueOf(58);
        int zeros = 0;
        boolean leading = true;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int digit = c < 128 ? BASE58_INDEX[c] : -1;
            if (digit < 0) {
                throw new IllegalArgumentException("'" + c + "' is not a base58btc character");
            }
            if (leading && digit == 0) {
                zeros++;
            } else {
                leading = false;
            }
            n = n.multiply(radix).add(BigInteger.valueOf(digit));
        }
        byte[] magnitude = n.signum() == 0 ? new byte[0] : n.toByteArray();
        int skip = magnitude.length > 0 && magnitude[0] == 0 ? 1 : 0;
        byte[] out = new byte[zeros + magnitude.length - skip];
        System.arraycopy(magnitude, skip, out, zeros, magnitude.length - skip);
        return out;
    }

    /** RFC 4648 base32, lower case, no padding, without the multibase prefix. */
    public static String encodeBase32(byte[] bytes) {
        StringBuilder sb = new StringBuilder((bytes.length * 8 + 4) / 5);
        int buffer = 0;
        int bits = 0;
        for (byte b : bytes) {
            buffer = (buffer << 8) | (b & 0xFF);
            bits += 8;
            while (bits >= 5) {
                sb.append(BASE32.charAt((buffer >>> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        if (bits > 0) {
            sb.append(BASE32.charAt((buffer << (5 - bits)) & 31));
        }
        return sb.toString();
    }

    /** RFC 4648 base32, case-insensitive, no padding, without the multibase prefix. */
    public static byte[] decodeBase32(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() * 5 / 8);
        int buffer = 0;
        int bits = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = Character.toLowerCase(text.charAt(i));
            int digit = c < 128 ? BASE32_INDEX[c] : -1;
            if (digit < 0) {
                throw new IllegalArgumentException("'" + text.charAt(i) + "' is not a base32 character");
            }
            buffer = (buffer << 5) | digit;
            bits += 5;
            if (bits >= 8) {
                out.write((buffer >>> (bits - 8)) & 0xFF);
                bits -= 8;
            }
        }
        return out.toByteArray();
    }

    /** Decodes a multibase string: {@code z} base58btc or {@code b}/{@code B} base32. */
    public static byte[] decode(String multibase) {
        if (multibase == null || multibase.isEmpty()) {
            throw new IllegalArgumentException("empty multibase string");
        }
        char prefix = multibase.charAt(0);
        String body = multibase.substring(1);
        switch (prefix) {
            case 'z':
                return decodeBase58(body);
            case 'b':
            case 'B':
                return decodeBase32(body);
            default:
                throw new IllegalArgumentException("unsupported multibase prefix '" + prefix + "'");
        }
    }
}
