package org.updraft.shell.internal;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Locale;

/** How the shell prints sizes, times, hashes and long identifiers. */
final class Format {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'")
            .withZone(ZoneOffset.UTC);

    private Format() {
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    static String time(Instant t) {
        return t == null ? "" : TIME.format(t);
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    /** A DID shortened for tables: {@code did:key:z6Mkf…k3Xq}; full DIDs appear in detail views. */
    static String shortDid(String did) {
        if (did == null) {
            return "";
        }
        return did.length() <= 24 ? did : did.substring(0, 16) + "…" + did.substring(did.length() - 4);
    }
}
