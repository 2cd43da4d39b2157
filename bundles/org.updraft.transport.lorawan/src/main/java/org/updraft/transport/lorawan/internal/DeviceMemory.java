package org.updraft.transport.lorawan.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.updraft.core.io.AtomicFile;

/**
 * What the transport must remember of each LoRaWAN device across restarts, in one file (config {@code state.file}):
 * <ul>
 * <li>the last TS004 v2.0.0 SessionCnt it gave the device: the device refuses a session whose counter is not higher
 * than the last one it accepted, so a counter that went back after a restart would lock the device out;</li>
 * <li>the size of the last checkpoint the device verified, from which the next block proves the log only grew;</li>
 * <li>the release whose patch the device gave up, so that it gets the full image even after a restart.</li>
 * </ul>
 * A device that answers the transport can always say these again (a refused counter, a missing proof, a patch given
 * up), so losing the file costs sessions, never trust. A file that cannot be read is refused whole, naming the line:
 * it is never silently reset. Each change is written whole before the method returns ({@link AtomicFile}).
 *
 * <p>Lines: {@code DevEUI sessionCnt checkpointSize fullImageOnlyRelease}, with {@code -} for none; {@code #} starts
 * a comment. Thread-safe.
 */
final class DeviceMemory {

    /** TS004 v2.0.0's SessionCnt is 16 bits; a device that used them all accepts no further v2 session. */
    static final int MAX_SESSION_CNT = 0xFFFF;

    private static final String HEADER = "# Updraft LoRaWAN transport: what it remembers of each device "
            + "(DevEUI sessionCnt checkpointSize fullImageOnlyRelease); written by the transport, do not edit\n";
    private static final String NONE = "-";

    /** What is remembered of one device; fields it never had are 0, 0 and null. */
    record Remembered(int sessionCnt, long checkpointSize, String fullImageOnly) {
        static final Remembered NOTHING = new Remembered(0, 0, null);
    }

    private final Path file;
    private final Map<String, Remembered> devices;

    private DeviceMemory(Path file, Map<String, Remembered> devices) {
        this.file = file;
        this.devices = devices;
    }

    /**
     * Reads the file, or starts empty when there is none (its directory is created on the first write).
     *
     * @throws IllegalArgumentException when the file is there but cannot be read or a line is malformed; the message
     *         names the file and the line
     */
    static DeviceMemory open(Path file) {
        Map<String, Remembered> read = new TreeMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return new DeviceMemory(file, read);
        } catch (IOException e) {
            throw new IllegalArgumentException("state.file " + file + " cannot be read: " + e.getMessage(), e);
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\s+");
            String where = "state.file " + file + " line " + (i + 1);
            if (f.length != 4 || !f[0].matches("[0-9a-fA-F]{16}")) {
                throw new IllegalArgumentException(where + " is not 'DevEUI sessionCnt checkpointSize release'");
            }
            try {
                int cnt = Integer.parseInt(f[1]);
                long size = Long.parseLong(f[2]);
                if (cnt < 0 || cnt > MAX_SESSION_CNT || size < 0) {
                    throw new NumberFormatException("out of range");
                }
                read.put(f[0].toLowerCase(Locale.ROOT), new Remembered(cnt, size, NONE.equals(f[3]) ? null : f[3]));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(where + ": sessionCnt must be 0-65535 and checkpointSize >= 0", e);
            }
        }
        return new DeviceMemory(file, read);
    }

    /** What is remembered of a device (case of the DevEUI ignored). */
    synchronized Remembered of(String devEui) {
        return devices.getOrDefault(key(devEui), Remembered.NOTHING);
    }

    /**
     * The next SessionCnt of each device, recorded before it is returned: a session that is then never sent only skips
     * a value, which the device accepts.
     *
     * @throws IllegalStateException naming the devices whose counters are used up; nothing is recorded then
     * @throws IOException when the file cannot be written; nothing is recorded then
     */
    synchronized Map<String, Integer> nextSessionCnts(Collection<String> devEuis) throws IOException {
        Map<String, Integer> next = new LinkedHashMap<>();
        List<String> spent = devEuis.stream().filter(d -> of(d).sessionCnt() >= MAX_SESSION_CNT).toList();
        if (!spent.isEmpty()) {
            throw new IllegalStateException("TS004 v2.0.0 SessionCnt used up (65535 sessions) for " + spent);
        }
        Map<String, Remembered> changed = new TreeMap<>(devices);
        for (String d : devEuis) {
            Remembered r = of(d);
            int cnt = r.sessionCnt() + 1;
            changed.put(key(d), new Remembered(cnt, r.checkpointSize(), r.fullImageOnly()));
            next.put(d, cnt);
        }
        write(changed);
        return next;
    }

    /**
     * Records that a device refused {@code refused} as not above the last SessionCnt it accepted: its counter is ahead
     * of this file's (the file was lost or restored from an old copy). Its next SessionCnt doubles the refused one, so
     * a device whose counter stands at L is reached again within about log2(L) + 1 sessions, each refused one costing a
     * setup frame, and the counter never overshoots beyond twice L. A counter never goes back here.
     *
     * @return the SessionCnt its next session carries, or -1 when none is left (a refused 65535: it accepts no further
     *         v2.0.0 session)
     * @throws IOException when the file cannot be written; nothing is recorded then
     */
    synchronized int sessionCntRefused(String devEui, int refused) throws IOException {
        if (refused < 0 || refused > MAX_SESSION_CNT) {
            throw new IllegalArgumentException("SessionCnt is 16 bits, not " + refused);
        }
        Remembered r = of(devEui);
        // recorded as the last one given, so that nextSessionCnts hands out the doubled one
        int last = refused == MAX_SESSION_CNT ? MAX_SESSION_CNT
                : Math.min(MAX_SESSION_CNT, 2 * Math.max(1, refused)) - 1;
        if (last > r.sessionCnt()) {
            put(devEui, new Remembered(last, r.checkpointSize(), r.fullImageOnly()));
        }
        int now = Math.max(last, r.sessionCnt());
        return now >= MAX_SESSION_CNT ? -1 : now + 1;
    }

    /** Records the size of the checkpoint a device verified last. */
    synchronized void checkpointSize(String devEui, long size) throws IOException {
        Remembered r = of(devEui);
        if (r.checkpointSize() != size) {
            put(devEui, new Remembered(r.sessionCnt(), size, r.fullImageOnly()));
        }
    }

    /** Records the release whose patch a device gave up, or null when it needs the full image no more. */
    synchronized void fullImageOnly(String devEui, String releaseId) throws IOException {
        Remembered r = of(devEui);
        if (releaseId == null ? r.fullImageOnly() != null : !releaseId.equals(r.fullImageOnly())) {
            if (releaseId != null && (releaseId.isEmpty() || releaseId.chars().anyMatch(Character::isWhitespace))) {
                throw new IllegalArgumentException("a release id without white space, not '" + releaseId + "'");
            }
            put(devEui, new Remembered(r.sessionCnt(), r.checkpointSize(), releaseId));
        }
    }

    private void put(String devEui, Remembered r) throws IOException {
        Map<String, Remembered> changed = new TreeMap<>(devices);
        changed.put(key(devEui), r);
        write(changed);
    }

    /** Writes the whole file, then takes it as the state: a failed write changes nothing. */
    private void write(Map<String, Remembered> changed) throws IOException {
        StringBuilder text = new StringBuilder(HEADER);
        changed.forEach((d, r) -> text.append(d).append(' ').append(r.sessionCnt()).append(' ')
                .append(r.checkpointSize()).append(' ').append(r.fullImageOnly() == null ? NONE : r.fullImageOnly())
                .append('\n'));
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        AtomicFile.replace(file, text.toString().getBytes(StandardCharsets.UTF_8), "rw-------");
        devices.clear();
        devices.putAll(changed);
    }

    private static String key(String devEui) {
        return devEui.toLowerCase(Locale.ROOT);
    }
}
