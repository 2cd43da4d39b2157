package org.updraft.profile.avr.internal;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.util.BitSet;

import org.updraft.api.profile.ProfileException;

/**
 * Intel HEX, as avr-objcopy {@code -O ihex} writes it and AVR bootloaders' uploaders read it, parsed into the
 * flash image it stands for. A record is one line: {@code :}, then hexadecimal byte count, 16-bit address, type,
 * data and a checksum byte that makes all of the record's bytes sum to 0 modulo 256. Types:
 * <ul>
 * <li>00 data, at the current base plus the record's address; with an extended segment address (02) the offset
 * wraps within its 64 KiB segment, with an extended linear address (04) it does not (Intel's specification);</li>
 * <li>01 end of file, with no data: the last record, only blank lines may follow;</li>
 * <li>02 extended segment address (base = value * 16) and 04 extended linear address (base = value * 65536),
 * two data bytes each;</li>
 * <li>03 start segment address and 05 start linear address, four data bytes each: accepted and ignored, an AVR
 * starts at its reset vector.</li>
 * </ul>
 * Every data byte must lie in the part's application flash, and no two records may write the same byte. The flash
 * image is kept in an array of the application flash's size, so memory is bounded by the configured part, never by
 * the file; lines longer than the longest record are refused before they are kept.
 */
final class IntelHex {

    /** {@code :} and 5 + 255 bytes in hexadecimal: the longest record. */
    static final int MAX_LINE = 1 + 2 * (5 + 255);

    /**
     * HEX bytes per flash byte above which a file cannot be a description of the flash: one data byte per record
     * takes 15 characters with CR LF, an address record before each 30; blank lines are the rest.
     */
    static final int MAX_HEX_PER_FLASH_BYTE = 64;

    /** The application flash a HEX file describes: its bytes from address 0 and how far they reach. */
    static final class FlashImage {

        private final byte[] flash;
        private final int end;

        private FlashImage(byte[] flash, int end) {
            this.flash = flash;
            this.end = end;
        }

        /** One past the highest address written: the length of the binary. */
        int end() {
            return end;
        }

        /**
         * Writes the binary the device flashes: from address 0 to the highest byte written, bytes no record
         * writes as 0x00, the bytes {@code srec_cat X.hex -intel -o X.bin -binary} writes.
         */
        void writeBinary(OutputStream out) throws IOException {
            out.write(flash, 0, end);
        }
    }

    private IntelHex() {
    }

    /**
     * @param hex the HEX file, read from position 0 to {@code size}
     * @param part where the application may be written
     * @return the flash image
     * @throws ProfileException at the first line that is not a valid record, or writes outside the application
     *         flash or over an earlier record, or when there is no data or no end-of-file record
     */
    static FlashImage read(SeekableByteChannel hex, long size, AvrPart part) throws ProfileException, IOException {
        long largest = (long) MAX_HEX_PER_FLASH_BYTE * part.applicationSize() + 4096;
        if (size > largest) {
            throw refusal("too-large", String.format("HEX file of 0x%x bytes is larger than any description of "
                    + "application flash 0x0000-0x%04x of %s (at most 0x%x bytes)", size, part.applicationSize() - 1,
                    part.description(), largest));
        }
        hex.position(0);
        InputStream in = new BufferedInputStream(Channels.newInputStream(hex), 16 * 1024);
        byte[] flash = new byte[part.applicationSize()];
        BitSet written = new BitSet(part.applicationSize());
        StringBuilder line = new StringBuilder(MAX_LINE);
        byte[] record = new byte[5 + 255];
        long base = 0;
        boolean segmented = false;
        boolean eof = false;
        int end = 0;
        long read = 0;
        boolean ended = false;
        for (long number = 1; !ended && read < size; number++) {
            line.setLength(0);
            while (read < size) {
                int c = in.read();
                if (c < 0) {
                    // the channel is shorter than the manifest's size: what was read is checked, and is incomplete
                    ended = true;
                    break;
                }
                read++;
                if (c == '\n') {
                    break;
                }
                if (line.length() > MAX_LINE) {
                    throw refusal("bad-record", "line " + number + " is longer than any record (" + MAX_LINE
                            + " characters)");
                }
                line.append((char) c);
            }
            String text = line.toString().strip();
            if (text.isEmpty()) {
                continue;
            }
            if (eof) {
                throw refusal("bad-record", "line " + number + ": data after the end-of-file record");
            }
            parse(text, number, record);
            int count = record[0] & 0xFF;
            int offset = (record[1] & 0xFF) << 8 | record[2] & 0xFF;
            int type = record[3] & 0xFF;
            switch (type) {
            case 0x00 -> {
                for (int i = 0; i < count; i++) {
                    long address = segmented ? base + ((offset + i) & 0xFFFF) : base + offset + i;
                    if (address >= part.applicationSize()) {
                        long first = base + offset;
                        throw refusal("outside-application", String.format("line %d: data at 0x%04x-0x%04x outside "
                                + "application flash 0x0000-0x%04x of %s", number, first, first + count - 1,
                                part.applicationSize() - 1, part.description()));
                    }
                    if (written.get((int) address)) {
                        throw refusal("overlap", String.format("line %d: data at 0x%04x overlaps an earlier record",
                                number, address));
                    }
                    written.set((int) address);
                    flash[(int) address] = record[4 + i];
                    end = Math.max(end, (int) address + 1);
                }
            }
            case 0x01 -> {
                expectCount(number, type, count, 0);
                eof = true;
            }
            case 0x02 -> {
                expectCount(number, type, count, 2);
                base = (long) ((record[4] & 0xFF) << 8 | record[5] & 0xFF) << 4;
                segmented = true;
            }
            case 0x04 -> {
                expectCount(number, type, count, 2);
                base = (long) ((record[4] & 0xFF) << 8 | record[5] & 0xFF) << 16;
                segmented = false;
            }
            case 0x03, 0x05 -> expectCount(number, type, count, 4);
            default -> throw refusal("bad-record", String.format("line %d: record type 0x%02x is not one of 00 to "
                    + "05", number, type));
            }
        }
        if (!eof) {
            throw refusal("bad-record", "no end-of-file record (:00000001FF)");
        }
        if (written.isEmpty()) {
            throw refusal("bad-record", "no data records");
        }
        return new FlashImage(flash, end);
    }

    /** Decodes one record into {@code into}; checks its characters, its length against its count, its checksum. */
    private static void parse(String text, long number, byte[] into) throws ProfileException {
        if (text.charAt(0) != ':') {
            throw refusal("bad-record", "line " + number + " does not start with ':'");
        }
        int digits = text.length() - 1;
        if (digits % 2 != 0 || digits < 10) {
            throw refusal("bad-record", "line " + number + ": " + digits + " hexadecimal digits are no record");
        }
        int length = digits / 2;
        int sum = 0;
        for (int i = 0; i < length; i++) {
            int high = Character.digit(text.charAt(1 + 2 * i), 16);
            int low = Character.digit(text.charAt(2 + 2 * i), 16);
            if (high < 0 || low < 0) {
                throw refusal("bad-record", "line " + number + ": '" + text.substring(1 + 2 * i, 3 + 2 * i)
                        + "' is not a hexadecimal byte");
            }
            int b = high << 4 | low;
            if (i < length - 1) {
                into[i] = (byte) b;
            }
            sum += b;
        }
        int count = into[0] & 0xFF;
        if (length != count + 5) {
            throw refusal("bad-record", "line " + number + ": byte count " + count + " but " + (length - 5)
                    + " data bytes");
        }
        if ((sum & 0xFF) != 0) {
            int stored = Character.digit(text.charAt(digits - 1), 16) << 4 | Character.digit(text.charAt(digits), 16);
            int expected = (stored - sum) & 0xFF;
            throw refusal("bad-checksum", String.format("line %d: record checksum 0x%02x does not match 0x%02x",
                    number, stored, expected));
        }
    }

    private static void expectCount(long number, int type, int count, int expected) throws ProfileException {
        if (count != expected) {
            throw refusal("bad-record", String.format("line %d: a type 0x%02x record has %d data bytes, not %d",
                    number, type, count, expected));
        }
    }

    static ProfileException refusal(String reason, String message) {
        return new ProfileException(reason, AvrProfile.ID + ": " + message);
    }
}
