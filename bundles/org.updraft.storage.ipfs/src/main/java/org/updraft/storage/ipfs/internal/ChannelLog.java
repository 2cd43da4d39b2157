package org.updraft.storage.ipfs.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.channel.ChannelPointer;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.ledger.LedgerEntry;
import org.updraft.api.ledger.LedgerException;
import org.updraft.core.cbor.CborException;
import org.updraft.core.event.ChannelEvents;

/**
 * The latest recorded move of every release channel, replayed from the ledger's {@code channel.published} events.
 * Not thread-safe: its owner synchronizes.
 */
final class ChannelLog {

    private static final Logger LOG = LoggerFactory.getLogger(ChannelLog.class);
    private static final int BATCH = 1000;

    private final Ledger ledger;
    private final Map<String, ChannelPointer> latest = new TreeMap<>();
    private long next;

    ChannelLog(Ledger ledger) {
        this.ledger = ledger;
    }

    /** Reads the events appended since the last call. */
    void catchUp() throws LedgerException {
        while (true) {
            List<LedgerEntry> entries = ledger.read(next, BATCH);
            for (LedgerEntry entry : entries) {
                if (ChannelEvents.TYPE.equals(entry.event().type())) {
                    apply(entry);
                }
                next = entry.index() + 1;
            }
            if (entries.size() < BATCH) {
                return;
            }
        }
    }

    private void apply(LedgerEntry entry) {
        ChannelEvents.Published p;
        try {
            p = ChannelEvents.decodePublished(entry.event().payload());
        } catch (CborException e) {
            // an event this node cannot read moves no channel; say so rather than stop every channel
            LOG.warn("Ledger event {} ({}) is unreadable and ignored: {}", entry.index(), ChannelEvents.TYPE,
                    e.getMessage());
            return;
        }
        latest.put(key(p.vendor(), p.deviceClass(), p.channel()), new ChannelPointer(p.vendor(), p.deviceClass(),
                p.channel(), p.name(), p.manifest(), p.release(), p.sequence(), entry.event().time(), entry.index()));
    }

    Optional<ChannelPointer> latest(String vendor, String deviceClass, String channel) {
        return Optional.ofNullable(latest.get(key(vendor, deviceClass, channel)));
    }

    List<ChannelPointer> all() {
        List<ChannelPointer> out = new ArrayList<>(latest.values());
        out.sort(Comparator.comparing(ChannelPointer::vendor).thenComparing(ChannelPointer::deviceClass)
                .thenComparing(ChannelPointer::channel));
        return out;
    }

    /** '/' appears in none of the three names, so the key is unambiguous. */
    private static String key(String vendor, String deviceClass, String channel) {
        return vendor + "/" + deviceClass + "/" + channel;
    }
}
