package org.updraft.transport.ddi.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tokens of the configured files, read again when a file changes (its modification time or size), looked at
 * no more than once a second: an operator adds a device's token by editing the file, as Karaf's etc/ files are
 * edited, without touching the configuration. A file that cannot be read any more keeps the tokens read before it
 * (logged at WARN), so that a half-written edit locks no device out.
 */
final class TokenFiles implements Supplier<Tokens> {

    private static final Logger LOG = LoggerFactory.getLogger(TokenFiles.class);
    private static final long CHECK_NANOS = 1_000_000_000L;

    private final Path targetTokens;
    private final Path gatewayToken;
    private final LongSupplier nanoClock;
    private Tokens current;
    private String stamp;
    private long checked;

    /** Reads the files now: a file that cannot be read fails the transport's start. */
    TokenFiles(Path targetTokens, Path gatewayToken, LongSupplier nanoClock) throws IOException {
        this.targetTokens = targetTokens;
        this.gatewayToken = gatewayToken;
        this.nanoClock = nanoClock;
        this.stamp = stamp();
        this.current = Tokens.read(targetTokens, gatewayToken);
        this.checked = nanoClock.getAsLong();
    }

    @Override
    public synchronized Tokens get() {
        long now = nanoClock.getAsLong();
        if (now - checked < CHECK_NANOS) {
            return current;
        }
        checked = now;
        String seen = stamp();
        if (!seen.equals(stamp)) {
            stamp = seen;
            try {
                current = Tokens.read(targetTokens, gatewayToken);
                LOG.info("DDI tokens read again: {} target tokens, gateway token {}", current.targetTokenCount(),
                        current.hasGatewayToken() ? "set" : "not set");
            } catch (IOException | IllegalArgumentException e) {
                LOG.warn("DDI token files changed but cannot be read ({}); the tokens read before still apply",
                        e.getMessage());
            }
        }
        return current;
    }

    private String stamp() {
        return stamp(targetTokens) + "|" + stamp(gatewayToken);
    }

    private static String stamp(Path file) {
        if (file == null) {
            return "-";
        }
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return a.lastModifiedTime().toMillis() + ":" + a.size();
        } catch (IOException e) {
            return "missing";
        }
    }
}
