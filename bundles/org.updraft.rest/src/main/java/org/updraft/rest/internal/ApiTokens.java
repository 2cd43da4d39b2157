package org.updraft.rest.internal;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Pattern;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.updraft.core.config.DataPaths;
import org.updraft.core.io.AtomicFile;

/**
 * The API's bearer tokens. A token is 32 random bytes, shown once when it is made; the file keeps only its SHA-256,
 * with the token's name, role and creation time, one {@code NAME = ROLE SHA256HEX CREATED} line each. A stolen file
 * gives no token; a 256-bit random token needs no slow hash. Every change rewrites the file whole and moves it into
 * place, so a crash leaves the old file or the new one.
 */
@Component(service = ApiTokens.class, configurationPid = RestConfig.PID)
public final class ApiTokens {

    /** What a presented token starts with: scanners for leaked secrets can find it. */
    static final String PREFIX = "updraft_";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A token as listed: never the token itself. */
    record Token(String name, Role role, Instant created, Instant expires) {
    }

    /** A presented token that is one of the file's, expired or not. */
    record Match(Caller caller, Instant expires) {
        boolean expiredAt(Instant now) {
            return expires != null && !now.isBefore(expires);
        }
    }

    private volatile Path file;

    @Activate
    public ApiTokens(RestConfig config) {
        this(DataPaths.resolveFromEtc(config.tokens_file()));
    }

    /** A changed configuration: the tokens file it names from the next call on, without taking the API down. */
    @Modified
    synchronized void modified(RestConfig config) {
        file = DataPaths.resolveFromEtc(config.tokens_file());
    }

    ApiTokens(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /** Makes a token that does not expire; returns it, the only time it is seen. */
    String create(String name, Role role) throws IOException {
        return create(name, role, null);
    }

    /** Makes a token, valid until {@code expires} ({@code null}: no end); returns it, the only time it is seen. */
    synchronized String create(String name, Role role, Instant expires) throws IOException {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("a token name is 1-64 letters, digits, '.', '_' or '-', starting with a "
                    + "letter or digit: " + name);
        }
        TreeMap<String, String> lines = read();
        if (lines.containsKey(name)) {
            throw new IllegalArgumentException("a token named " + name + " exists: revoke it first");
        }
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        lines.put(name, role.id() + " " + HexFormat.of().formatHex(sha256(token)) + " " + Instant.now()
                + (expires == null ? "" : " " + expires));
        write(lines);
        return token;
    }

    /** Removes a token; whether it was there. Requests with it are refused from now on. */
    synchronized boolean revoke(String name) throws IOException {
        TreeMap<String, String> lines = read();
        if (lines.remove(name) == null) {
            return false;
        }
        write(lines);
        return true;
    }

    synchronized List<Token> list() throws IOException {
        List<Token> tokens = new ArrayList<>();
        for (var e : read().entrySet()) {
            String[] f = e.getValue().trim().split("\\s+");
            tokens.add(new Token(e.getKey(), Role.parse(f[0]), f.length > 2 ? Instant.parse(f[2]) : null,
                    f.length > 3 ? Instant.parse(f[3]) : null));
        }
        return tokens;
    }

    /** The caller a presented token stands for and when it expires, if it is one of the file's. */
    Optional<Match> authenticate(String presented) throws IOException {
        if (presented == null || !presented.startsWith(PREFIX) || presented.length() > 200) {
            return Optional.empty();
        }
        byte[] hash = sha256(presented);
        TreeMap<String, String> lines;
        synchronized (this) {
            lines = read();
        }
        Match found = null;
        for (var e : lines.entrySet()) {
            String[] f = e.getValue().trim().split("\\s+");
            // compare every entry in constant time: the time taken tells nothing of how close a guess was
            if (f.length >= 2 && MessageDigest.isEqual(hash, hexOrEmpty(f[1])) && found == null) {
                found = new Match(new Caller(e.getKey(), Role.parse(f[0]), true),
                        f.length > 3 ? Instant.parse(f[3]) : null);
            }
        }
        return Optional.ofNullable(found);
    }

    private static byte[] hexOrEmpty(String hex) {
        try {
            return HexFormat.of().parseHex(hex);
        } catch (IllegalArgumentException e) {
            return new byte[0];
        }
    }

    private TreeMap<String, String> read() throws IOException {
        TreeMap<String, String> lines = new TreeMap<>();
        if (!Files.exists(file)) {
            return lines;
        }
        Properties p = new Properties();
        try (Reader r = new StringReader(Files.readString(file, StandardCharsets.UTF_8))) {
            p.load(r);
        }
        p.stringPropertyNames().forEach(n -> lines.put(n, p.getProperty(n)));
        return lines;
    }

    private void write(TreeMap<String, String> lines) throws IOException {
        StringBuilder text = new StringBuilder("# Updraft API tokens (updraft:token-create): NAME = ROLE SHA256 CREATED\n");
        lines.forEach((n, v) -> text.append(n).append(" = ").append(v).append('\n'));
        Files.createDirectories(file.toAbsolutePath().getParent());
        // readable by its owner only, and never half-written: a crash leaves the old file or the new one
        AtomicFile.replace(file, text.toString().getBytes(StandardCharsets.UTF_8), "rw-------");
    }

    static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
