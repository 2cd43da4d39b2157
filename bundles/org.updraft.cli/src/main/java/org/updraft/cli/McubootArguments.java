package org.updraft.cli;

import java.nio.file.Path;
import java.util.Locale;

import org.updraft.core.mcuboot.SlotLayout;

/** What the mcuboot-* commands parse the way imgtool does: integers in any base, the slot's layout, file names. */
final class McubootArguments {

    private McubootArguments() {
    }

    /**
     * An integer as imgtool's {@code int(value, 0)} reads it: decimal, or {@code 0x}, {@code 0o}, {@code 0b}
     * prefixed; {@code fallback} when the option is absent.
     */
    static long integer(Arguments args, String name, long fallback, long max) throws UsageException {
        String value = args.optional(name);
        if (value == null) {
            return fallback;
        }
        String text = value.toLowerCase(Locale.ROOT).replace("_", "");
        int radix = 10;
        if (text.startsWith("0x") || text.startsWith("0o") || text.startsWith("0b")) {
            radix = text.charAt(1) == 'x' ? 16 : text.charAt(1) == 'o' ? 8 : 2;
            text = text.substring(2);
        }
        try {
            if (!text.isEmpty() && Character.digit(text.charAt(0), radix) >= 0) {
                long n = Long.parseLong(text, radix);
                if (n <= max) {
                    return n;
                }
                throw new UsageException("option --" + name + " is at most 0x" + Long.toHexString(max) + ", not "
                        + value);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException("option --" + name + ": '" + value + "' is not a valid integer (decimal, or with "
                + "a 0x, 0o or 0b prefix)");
    }

    /** One of {@code allowed}, as {@code --align} and {@code --max-align} take them. */
    static int choice(Arguments args, String name, int fallback, int... allowed) throws UsageException {
        String value = args.optional(name);
        if (value == null) {
            return fallback;
        }
        StringBuilder list = new StringBuilder();
        for (int a : allowed) {
            if (String.valueOf(a).equals(value)) {
                return a;
            }
            list.append(list.length() == 0 ? "" : ", ").append(a);
        }
        throw new UsageException("option --" + name + " is one of " + list + ", not '" + value + "'");
    }

    /** The slot: --slot-size, --align, --max-sectors, --overwrite-only, --max-align. */
    static SlotLayout slot(Arguments args, long slotSize) throws UsageException {
        int align = choice(args, "align", 1, 1, 2, 4, 8, 16, 32);
        int maxAlign = choice(args, "max-align", Math.max(8, align), 8, 16, 32);
        long maxSectors = integer(args, "max-sectors", SlotLayout.DEFAULT_MAX_SECTORS, Integer.MAX_VALUE);
        if (maxSectors < 1) {
            throw new UsageException("option --max-sectors must be at least 1");
        }
        return new SlotLayout(slotSize, align, (int) maxSectors, args.flag("overwrite-only"), maxAlign);
    }

    /** imgtool reads and writes Intel HEX for a {@code .hex} name; this tool only binaries, so it says so. */
    static Path binary(String what, String name) throws UsageException {
        if (name.toLowerCase(Locale.ROOT).endsWith(".hex")) {
            throw new UsageException(what + " " + name + ": Intel HEX is not supported here; give a binary "
                    + "(imgtool reads and writes .hex files as Intel HEX)");
        }
        return Arguments.path(what, name);
    }
}
