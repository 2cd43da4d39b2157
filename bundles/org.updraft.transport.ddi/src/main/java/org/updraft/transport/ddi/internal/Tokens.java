package org.updraft.transport.ddi.internal;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The DDI credentials: one TargetToken per device and, optionally, the tenant's GatewayToken, which acts for every
 * device. Tokens are compared in constant time and never leave this class; a caller learns only which kind of
 * token let a request in and the token's fingerprint (the first 8 bytes of its SHA-256), which the ledger may name.
 */
final class Tokens {

    /** Who a request acts as: the kind of token and its fingerprint. */
    record Caller(String kind, String fingerprint) {
        /** E.g. {@code TargetToken sha256:1a2b3c4d5e6f7081}. */
        String label() {
            return kind + " sha256:" + fingerprint;
        }
    }

    /** Why a request was not let in; {@link #kind()} counts it. */
    static final class Unauthorized extends Exception {
        private static final long serialVersionUID = 1L;
        private final String kind;

        Unauthorized(String kind, String message) {
            super(message);
            this.kind = kind;
        }

        String kind() {
            return kind;
        }
    }

    static final String TARGET = "TargetToken";
    static final String GATEWAY = "GatewayToken";

    private final Map<String, byte[]> targetTokens;
    private final byte[] gatewayToken;

    Tokens(Map<String, String> targetTokens, String gatewayToken) {
        Map<String, byte[]> tokens = new HashMap<>();
        targetTokens.forEach((device, token) -> {
            if (token == null || token.isBlank()) {
                throw new IllegalArgumentException("the target token of " + device + " is empty");
            }
            tokens.put(device, token.strip().getBytes(StandardCharsets.UTF_8));
        });
        this.targetTokens = Map.copyOf(tokens);
        this.gatewayToken = gatewayToken == null || gatewayToken.isBlank() ? null
                : gatewayToken.strip().getBytes(StandardCharsets.UTF_8);
    }

    /** Reads the configured files; a missing path (null) means no such tokens. */
    static Tokens read(Path targetTokensFile, Path gatewayTokenFile) throws IOException {
        Map<String, String> targets = new HashMap<>();
        if (targetTokensFile != null) {
            Properties p = new Properties();
            try (Reader in = Files.newBufferedReader(targetTokensFile, StandardCharsets.UTF_8)) {
                p.load(in);
            }
            for (String device : p.stringPropertyNames()) {
                targets.put(device, p.getProperty(device));
            }
        }
        String gateway = null;
        if (gatewayTokenFile != null) {
            List<String> lines = Files.readAllLines(gatewayTokenFile, StandardCharsets.UTF_8);
            if (lines.isEmpty() || lines.get(0).isBlank()) {
                throw new IOException("the gateway token file " + gatewayTokenFile + " has no token on its first line");
            }
            gateway = lines.get(0);
        }
        return new Tokens(targets, gateway);
    }

    int targetTokenCount() {
        return targetTokens.size();
    }

    boolean hasGatewayToken() {
        return gatewayToken != null;
    }

    /**
     * Who the request with this {@code Authorization} header acts as, for device {@code controllerId}.
     *
     * @throws Unauthorized no header, another scheme, or a token that is not this device's (or the tenant's)
     */
    Caller authorize(String header, String controllerId) throws Unauthorized {
        if (header == null || header.isBlank()) {
            throw new Unauthorized("no-token", "no Authorization header: send 'TargetToken <token>' or "
                    + "'GatewayToken <token>'");
        }
        String h = header.strip();
        int space = h.indexOf(' ');
        String scheme = space < 0 ? h : h.substring(0, space);
        byte[] given = space < 0 ? new byte[0] : h.substring(space + 1).strip().getBytes(StandardCharsets.UTF_8);
        if (scheme.equalsIgnoreCase(TARGET)) {
            byte[] expected = targetTokens.get(controllerId);
            // compared even when the device has no token, so that timing does not tell which devices have one
            boolean ok = MessageDigest.isEqual(expected == null ? new byte[given.length + 1] : expected, given);
            if (!ok || expected == null) {
                throw new Unauthorized("bad-target-token", "the TargetToken is not the one of " + controllerId);
            }
            return new Caller(TARGET, fingerprint(given));
        }
        if (scheme.equalsIgnoreCase(GATEWAY)) {
            boolean ok = MessageDigest.isEqual(gatewayToken == null ? new byte[given.length + 1] : gatewayToken, given);
            if (!ok || gatewayToken == null) {
                throw new Unauthorized("bad-gateway-token", "the GatewayToken is not this tenant's");
            }
            return new Caller(GATEWAY, fingerprint(given));
        }
        throw new Unauthorized("bad-scheme", "the Authorization scheme must be TargetToken or GatewayToken");
    }

    static String fingerprint(byte[] token) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(token);
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
