package org.updraft.core.delta;

import java.util.List;
import java.util.Optional;

import org.updraft.api.delta.DeltaCodec;

/** The codecs this library implements, for callers outside OSGi (the CLI, a device agent, tests). */
public final class DeltaCodecs {

    /**
     * The codec of delta updates for devices whose class states none (no device profile): what the platform makes
     * for them unless configured otherwise, and the only codec they are offered.
     */
    public static final String DEFAULT = BsdiffCodec.ID;

    private static final List<DeltaCodec> BUILT_IN = List.of(new BsdiffCodec(), new VcdiffCodec());

    private DeltaCodecs() {
    }

    /** bsdiff, then vcdiff. */
    public static List<DeltaCodec> builtIn() {
        return BUILT_IN;
    }

    /** The built-in codec with this {@link DeltaCodec#id()}. */
    public static Optional<DeltaCodec> find(String id) {
        return BUILT_IN.stream().filter(c -> c.id().equals(id)).findFirst();
    }
}
