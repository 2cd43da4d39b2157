package org.updraft.ledger.evm.internal;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import org.updraft.core.io.AtomicFile;

/**
 * The anchoring cursor, kept in {@code anchor.state} in the state directory: which contract on which chain, and
 * the next local-log event to examine. The chain stays the authority on what is anchored (the contract refuses an
 * event twice and is read back after every outage); the cursor spares re-reading events that need no anchor.
 */
final class AnchorCursor {

    static final String FILE = "anchor.state";

    private final Path file;
    private String contract;
    private long chainId;
    private long nextEvent;

    private AnchorCursor(Path file) {
        this.file = file;
    }

    static AnchorCursor open(Path directory) throws IOException {
        Files.createDirectories(directory);
        AnchorCursor cursor = new AnchorCursor(directory.resolve(FILE));
        if (Files.exists(cursor.file)) {
            Properties p = new Properties();
            p.load(new StringReader(Files.readString(cursor.file, StandardCharsets.UTF_8)));
            try {
                cursor.contract = p.getProperty("contract", "");
                cursor.chainId = Long.parseLong(p.getProperty("chain.id", "0"));
                cursor.nextEvent = Long.parseLong(p.getProperty("next.event", "0"));
            } catch (NumberFormatException e) {
                throw new IOException(cursor.file + " is damaged (" + e.getMessage() + "); delete it: the cursor is"
                        + " read back from the chain, and the contract address is then needed in contract.address");
            }
        } else {
            cursor.contract = "";
        }
        return cursor;
    }

    synchronized String contract() {
        return contract;
    }

    synchronized long chainId() {
        return chainId;
    }

    synchronized long nextEvent() {
        return nextEvent;
    }

    synchronized void contract(String address, long chain) throws IOException {
        this.contract = address;
        this.chainId = chain;
        this.nextEvent = 0;
        save();
    }

    synchronized void nextEvent(long next) throws IOException {
        if (next != nextEvent) {
            nextEvent = next;
            save();
        }
    }

    private void save() throws IOException {
        Properties p = new Properties();
        p.setProperty("contract", contract);
        p.setProperty("chain.id", Long.toString(chainId));
        p.setProperty("next.event", Long.toString(nextEvent));
        StringWriter out = new StringWriter();
        p.store(out, "Updraft EVM anchoring cursor");
        AtomicFile.replace(file, out.toString().getBytes(StandardCharsets.UTF_8), "rw-r-----");
    }
}
