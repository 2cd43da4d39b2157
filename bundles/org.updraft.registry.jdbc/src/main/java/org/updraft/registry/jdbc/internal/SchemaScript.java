package org.updraft.registry.jdbc.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One versioned migration script, {@code V<version>__<description>.sql}: SQL statements each ending with a
 * semicolon at the end of a line, {@code --} comments on lines of their own. Its checksum is the SHA-256 of the
 * text with line ends normalized, so a checkout with CRLF line ends does not count as an edit.
 */
public record SchemaScript(int version, String name, String text) {

    private static final Pattern NAME = Pattern.compile("V([1-9][0-9]{0,8})__([A-Za-z0-9_]+)\\.sql");

    public SchemaScript {
        Matcher m = NAME.matcher(name);
        if (!m.matches() || Integer.parseInt(m.group(1)) != version) {
            throw new IllegalArgumentException("schema script name '" + name + "' is not V<version>__<words>.sql");
        }
    }

    /** A script named {@code V<n>__<words>.sql}, its version taken from the name. */
    public static SchemaScript of(String name, String text) {
        Matcher m = NAME.matcher(name);
        if (!m.matches()) {
            throw new IllegalArgumentException("schema script name '" + name + "' is not V<version>__<words>.sql");
        }
        return new SchemaScript(Integer.parseInt(m.group(1)), name, text);
    }

    /** Reads a script shipped next to {@code anchor} (inside the bundle), in {@code folder}. */
    static SchemaScript resource(Class<?> anchor, String folder, String name) {
        try (InputStream in = anchor.getResourceAsStream(folder + "/" + name)) {
            if (in == null) {
                throw new IllegalStateException("schema script " + folder + "/" + name + " is missing from the bundle");
            }
            return of(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Hex SHA-256 of the text, line ends normalized to LF. */
    public String checksum() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(text.replace("\r\n", "\n").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The statements, without comments and without their closing semicolons. */
    public List<String> statements() {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : text.replace("\r\n", "\n").split("\n")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("--")) {
                continue;
            }
            current.append(line).append('\n');
            if (trimmed.endsWith(";")) {
                String statement = current.toString().strip();
                statements.add(statement.substring(0, statement.length() - 1).strip());
                current.setLength(0);
            }
        }
        if (!current.toString().isBlank()) {
            statements.add(current.toString().strip());
        }
        return statements;
    }
}
