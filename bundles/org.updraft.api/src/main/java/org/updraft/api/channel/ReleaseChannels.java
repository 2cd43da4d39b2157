package org.updraft.api.channel;

import java.util.List;
import java.util.regex.Pattern;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Release channels of a vendor's device class. A channel has a stable name that points at the signed manifest of
 * one published release; publishing moves the name, resolving follows it and checks what it finds.
 *
 * <p>What every implementation guarantees:
 * <ul>
 * <li>A channel only ever points at a release that is on the ledger for the channel's vendor and device class,
 * whose manifest verifies under a signer trusted now.</li>
 * <li>A channel does not move to a lower sequence number unless the caller forces it.</li>
 * <li>Every move is recorded on the ledger as a {@value #EVENT_TYPE} event; {@link #publish} returns only once
 * the name points at the release and the event is durable. When either fails, the call fails and the ledger
 * holds no record of a move that did not happen.</li>
 * <li>{@link #resolve} never returns what the name points at without verifying it: the bytes must be a valid
 * manifest, signed by a key trusted now, of a release published on the ledger with exactly those bytes.</li>
 * </ul>
 */
@ProviderType
public interface ReleaseChannels {

    /** The ledger event type of a channel move. */
    String EVENT_TYPE = "channel.published";

    /** The rule for channel names: 1-32 lower-case letters, digits or '-', starting with a letter or digit. */
    Pattern CHANNEL_NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");

    /**
     * Points the channel at a release's manifest and records the move.
     *
     * @param vendor the vendor id
     * @param deviceClass the device class id
     * @param channel the channel name ({@link #CHANNEL_NAME})
     * @param releaseId the release, {@code vendor/class/sequence}; it must be on the ledger for that vendor and
     *        class
     * @param force move the channel even to a release with a lower sequence than the one it points at (a
     *        deliberate step back, e.g. after a bad release); recorded as forced
     * @param actor who asks, as the ledger names operators (e.g. {@code operator:karaf})
     * @return where the channel now points, with the ledger index of the move
     * @throws ChannelException naming what failed; nothing was recorded then
     */
    ChannelPointer publish(String vendor, String deviceClass, String channel, String releaseId, boolean force,
            String actor) throws ChannelException;

    /**
     * Follows the channel's name to the manifest it points at, and verifies it.
     *
     * @return where the channel points; {@link ChannelPointer#recorded()} tells whether the ledger recorded that
     *         move
     * @throws ChannelException with {@code unknown-channel} when it was never published, {@code unverified} when
     *         the name points at anything but a valid published release of that vendor and class
     */
    ChannelPointer resolve(String vendor, String deviceClass, String channel) throws ChannelException;

    /** Every channel with its latest move as the ledger recorded it, ordered by vendor, class and channel. */
    List<ChannelPointer> list() throws ChannelException;

    /**
     * Checks a channel name.
     *
     * @throws IllegalArgumentException with a one-line message when {@code channel} breaks {@link #CHANNEL_NAME}
     */
    static void checkChannelName(String channel) {
        if (channel == null || !CHANNEL_NAME.matcher(channel).matches()) {
            throw new IllegalArgumentException("channel name '" + channel
                    + "' must be 1-32 lower-case letters, digits or '-', starting with a letter or digit");
        }
    }
}
