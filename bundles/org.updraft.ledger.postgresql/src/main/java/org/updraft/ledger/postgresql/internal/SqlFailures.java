package org.updraft.ledger.postgresql.internal;

import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.util.regex.Pattern;

/** What a PostgreSQL failure means for an operator, in one line. */
final class SqlFailures {

    // user:password@host, password=... in a query string
    private static final Pattern USERINFO = Pattern.compile("(//[^/:@]*:)[^@/]*@");
    private static final Pattern PARAMETER = Pattern.compile("(?i)((?:password|pwd)=)[^&;]*");

    private SqlFailures() {
    }

    /**
     * The database could not be reached or the connection broke (class 08, a pool timeout, the server shutting
     * down or starting up): trying again later may work.
     */
    static boolean isConnectionFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof SQLNonTransientConnectionException) {
                return true;
            }
            if (t instanceof SQLException s && s.getSQLState() != null && (s.getSQLState().startsWith("08")
                    || s.getSQLState().equals("57P01") || s.getSQLState().equals("57P03"))) {
                return true;
            }
        }
        return false;
    }

    /** The failure as a {@link org.updraft.api.ledger.LedgerException} message: what was tried, then why. */
    static String describe(String what, SQLException e) {
        return (isConnectionFailure(e) ? what + ": the ledger database is unavailable: " : what + ": ") + oneLine(e);
    }

    static String oneLine(Throwable e) {
        if (e instanceof BatchUpdateException b && b.getNextException() != null) {
            // the batch's own message repeats the statement with its values; the cause is in the next one
            return oneLine(b.getNextException());
        }
        String message = firstLine(e.getMessage(), e);
        if (e instanceof SQLTransientConnectionException && e.getCause() != null) {
            message = message + ": " + firstLine(e.getCause().getMessage(), e.getCause());
        } else if (e instanceof SQLException s && s.getNextException() != null) {
            message = message + ": " + firstLine(s.getNextException().getMessage(), s.getNextException());
        }
        return message.length() > 400 ? message.substring(0, 400) + "..." : message;
    }

    private static String firstLine(String message, Throwable e) {
        if (message == null || message.isBlank()) {
            return e.getClass().getSimpleName();
        }
        int newline = message.indexOf('\n');
        return (newline < 0 ? message : message.substring(0, newline)).strip();
    }

    /** A JDBC URL fit for logs: a password given in it is masked. */
    static String redact(String url) {
        String masked = USERINFO.matcher(url).replaceAll("$1***@");
        return PARAMETER.matcher(masked).replaceAll("$1***");
    }
}
