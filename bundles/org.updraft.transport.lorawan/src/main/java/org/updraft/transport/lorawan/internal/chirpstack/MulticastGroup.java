package org.updraft.transport.lorawan.internal.chirpstack;

import java.util.Collection;
import java.util.Objects;

import org.updraft.transport.lorawan.internal.session.SessionRunner;
import org.updraft.transport.lorawan.internal.session.Transmission;

/**
 * One session's multicast group in ChirpStack: created with its devices by {@link #open}, fed the session's group
 * frames by {@link #send}, deleted by {@link #close}. A group that could not be set up whole is deleted before
 * {@link #open} throws, so that no half-made group stays behind.
 */
public final class MulticastGroup implements AutoCloseable {

    private final ChirpstackApi api;
    private final String id;
    private final long mcAddr;
    private long fCnt;
    private volatile String failure;

    private MulticastGroup(ChirpstackApi api, String id, long mcAddr) {
        this.api = api;
        this.id = id;
        this.mcAddr = mcAddr;
    }

    /**
     * Creates the group and adds each device.
     *
     * @throws ChirpstackApi.ApiException when a call fails; the group, if created, is deleted again first
     */
    public static MulticastGroup open(ChirpstackApi api, ChirpstackApi.Group group, Collection<String> devEuis)
            throws ChirpstackApi.ApiException, InterruptedException {
        String id = api.createGroup(group);
        MulticastGroup g = new MulticastGroup(api, id, group.mcAddr());
        try {
            for (String devEui : devEuis) {
                api.addDevice(id, devEui);
            }
            return g;
        } catch (ChirpstackApi.ApiException | InterruptedException | RuntimeException e) {
            try {
                api.deleteGroup(id);
            } catch (ChirpstackApi.ApiException d) {
                e.addSuppressed(d);
            }
            throw e;
        }
    }

    public String id() {
        return id;
    }

    /** Why the last frame could not be enqueued, or null when the last one was. */
    public String failure() {
        return failure;
    }

    /**
     * Enqueues a frame of the session for the group.
     *
     * @throws SessionRunner.NotTaken when ChirpStack's API did not take it (unreachable, token refused, group gone):
     *     the session pauses and sends it again, until the API takes it or the outage patience runs out
     */
    public void send(Transmission t) throws SessionRunner.NotTaken, InterruptedException {
        Objects.requireNonNull(t, "t");
        if (!t.multicast() || t.mcAddr() != mcAddr) {
            throw new IllegalArgumentException(t + " is not for group " + Long.toHexString(mcAddr));
        }
        try {
            long sent = api.enqueue(id, fCnt, t.fPort(), t.frame());
            fCnt = sent + 1;
            failure = null;
        } catch (ChirpstackApi.ApiException e) {
            failure = e.getMessage();
            throw new SessionRunner.NotTaken(e.getMessage());
        }
    }

    /** Deletes the group. */
    @Override
    public void close() throws ChirpstackApi.ApiException, InterruptedException {
        api.deleteGroup(id);
    }
}
