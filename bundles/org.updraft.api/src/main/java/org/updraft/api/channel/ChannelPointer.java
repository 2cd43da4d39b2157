package org.updraft.api.channel;

import java.time.Instant;
import java.util.Objects;

import org.updraft.api.multiformats.Cid;

/**
 * Where a release channel points.
 *
 * @param vendor the vendor id
 * @param deviceClass the device class id
 * @param channel the channel name, e.g. {@code stable}
 * @param name the channel's stable name, by which devices and mirrors follow it (on IPFS the IPNS name, e.g.
 *        {@code k51…} or {@code 12D3Koo…}; resolve it as {@code /ipns/<name>})
 * @param manifest the CID of the release's signed manifest (the COSE_Sign1 bytes) the name points at
 * @param releaseId the release the manifest belongs to, {@code vendor/class/sequence}
 * @param sequence the release's sequence number
 * @param moved when the channel was moved there, as the ledger recorded it, or {@code null} when the ledger
 *        has no record of that move
 * @param ledgerIndex the index of the ledger event that recorded the move, or -1 when there is none (the name
 *        was moved outside the platform, or the record failed)
 */
public record ChannelPointer(String vendor, String deviceClass, String channel, String name, Cid manifest,
        String releaseId, long sequence, Instant moved, long ledgerIndex) {

    public ChannelPointer {
        Objects.requireNonNull(vendor, "vendor");
        Objects.requireNonNull(deviceClass, "deviceClass");
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(manifest, "manifest");
        Objects.requireNonNull(releaseId, "releaseId");
    }

    /** Whether the ledger recorded this move. */
    public boolean recorded() {
        return ledgerIndex >= 0;
    }
}
