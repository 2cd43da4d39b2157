package org.updraft.transport.lorawan.internal.fuota;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The commands of one application package on its port, and the framing they share: a frame is one or more
 * commands back to back, each a CID followed by its fields. A codec of a package is this table; decoding a frame
 * either yields every command in it or fails naming the first fault, never a part of the frame.
 */
final class CommandSet {

    /**
     * The body length of a command whose length may depend on its first byte; {@code bodyStart} may be the
     * frame's end, then the length is at least 1 and the missing byte is reported as such.
     */
    @FunctionalInterface
    interface BodyLength {
        int of(byte[] frame, int bodyStart);
    }

    @FunctionalInterface
    interface BodyReader<C> {
        C read(FrameReader in) throws FuotaCodecException;
    }

    @FunctionalInterface
    interface BodyWriter<C> {
        void write(C command, FrameWriter out);
    }

    record Entry<C extends FuotaCommand>(Direction direction, int cid, String name, Class<C> type,
            BodyLength length, BodyReader<C> reader, BodyWriter<C> writer) {

        static <C extends FuotaCommand> Entry<C> fixed(Direction direction, int cid, String name, Class<C> type,
                int length, BodyReader<C> reader, BodyWriter<C> writer) {
            return new Entry<>(direction, cid, name, type, (frame, start) -> length, reader, writer);
        }

        /** A command whose body is the rest of the frame: it must be the frame's only command. */
        static <C extends FuotaCommand> Entry<C> alone(Direction direction, int cid, String name, Class<C> type,
                BodyReader<C> reader, BodyWriter<C> writer) {
            return new Entry<>(direction, cid, name, type, null, reader, writer);
        }

        boolean aloneInFrame() {
            return length == null;
        }

        void writeTo(FuotaCommand command, FrameWriter out) {
            writer.write(type.cast(command), out);
        }
    }

    private final String packageName;
    private final int port;
    private final List<Entry<?>> entries;

    CommandSet(String packageName, int port, List<Entry<?>> entries) {
        this.packageName = packageName;
        this.port = port;
        this.entries = List.copyOf(entries);
    }

    List<FuotaCommand> decode(Direction direction, byte[] frame) throws FuotaCodecException {
        String where = packageName + " " + direction.word() + " on port " + port;
        if (frame == null || frame.length == 0) {
            throw new FuotaCodecException(where + ": empty frame");
        }
        List<FuotaCommand> commands = new ArrayList<>();
        int at = 0;
        while (at < frame.length) {
            int cid = frame[at] & 0xFF;
            Entry<?> entry = find(direction, cid);
            if (entry == null) {
                throw new FuotaCodecException(where + ": unknown CID 0x" + HexFormat.of().toHexDigits((byte) cid)
                        + " at byte " + at);
            }
            int start = at + 1;
            int length;
            if (entry.aloneInFrame()) {
                if (at != 0) {
                    throw new FuotaCodecException(where + ": " + entry.name()
                            + " must be the only command of its frame, but follows another at byte " + at);
                }
                length = frame.length - start;
            } else {
                length = entry.length().of(frame, start);
            }
            if (start + length > frame.length) {
                throw new FuotaCodecException(where + ": " + entry.name() + " at byte " + at + " needs " + length
                        + " bytes after its CID, only " + (frame.length - start) + " left");
            }
            FrameReader in = new FrameReader(frame, start, length, where + ": " + entry.name());
            try {
                commands.add(entry.reader().read(in));
            } catch (IllegalArgumentException e) {
                throw new FuotaCodecException(where + ": " + entry.name() + " at byte " + at + ": " + e.getMessage());
            }
            if (in.remaining() != 0) {
                throw new FuotaCodecException(where + ": " + entry.name() + " at byte " + at + " has "
                        + in.remaining() + " bytes it does not use");
            }
            at = start + length;
        }
        return commands;
    }

    /**
     * One frame of {@code commands}, in order, all travelling the same way.
     *
     * @throws IllegalArgumentException for a command of another package, version or direction, or a command that
     *     must be alone in its frame and is not
     */
    byte[] encode(List<? extends FuotaCommand> commands) {
        if (commands.isEmpty()) {
            throw new IllegalArgumentException("a frame needs at least one command");
        }
        Direction direction = commands.get(0).direction();
        FrameWriter out = new FrameWriter();
        for (FuotaCommand command : commands) {
            if (command.direction() != direction) {
                throw new IllegalArgumentException("a frame travels one way: " + command + " is not "
                        + direction.word());
            }
            Entry<?> entry = entryOf(command);
            if (entry.aloneInFrame() && commands.size() != 1) {
                throw new IllegalArgumentException(entry.name() + " must be the only command of its frame");
            }
            out.u8(entry.cid());
            entry.writeTo(command, out);
        }
        return out.toByteArray();
    }

    /** The entry that encodes {@code command} in this package. */
    Entry<?> entryOf(FuotaCommand command) {
        Entry<?> entry = find(command.direction(), command.cid());
        if (entry == null || !entry.type().isInstance(command)) {
            throw new IllegalArgumentException(command.getClass().getSimpleName() + " is not a " + packageName
                    + " " + command.direction().word() + " command");
        }
        return entry;
    }

    private Entry<?> find(Direction direction, int cid) {
        for (Entry<?> e : entries) {
            if (e.direction() == direction && e.cid() == cid) {
                return e;
            }
        }
        return null;
    }
}
