package org.updraft.registry.jdbc.internal;

import java.util.regex.Pattern;

/** A JDBC URL fit for logs and status lines: a password given in it is masked. */
final class Redacted {

    // user:password@host (PostgreSQL accepts it), password=... (PostgreSQL query, H2 ;PASSWORD=...)
    private static final Pattern USERINFO = Pattern.compile("(//[^/:@]*:)[^@/]*@");
    private static final Pattern PARAMETER = Pattern.compile("(?i)((?:password|pwd)=)[^&;]*");

    private Redacted() {
    }

    static String url(String url) {
        String masked = USERINFO.matcher(url).replaceAll("$1***@");
        return PARAMETER.matcher(masked).replaceAll("$1***");
    }
}
