package org.updraft.registry.jdbc.internal;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;

/** What a driver's SQLException means, by SQLState, the same way for H2 and PostgreSQL. */
final class SqlStates {

    private SqlStates() {
    }

    static boolean isUniqueViolation(SQLException e) {
        return any(e, "23505");
    }

    static boolean isUndefinedTable(SQLException e) {
        return any(e, "42P01", "42S02", "42S04");
    }

    /** H2's lock timeout (HYT00) or PostgreSQL's lock_not_available (55P03). */
    static boolean isLockTimeout(SQLException e) {
        return any(e, "HYT00", "55P03");
    }

    /**
     * The database could not be reached or the connection broke: class 08, a pool timeout, H2's "database in use
     * by another process" (90020) or "database is closed" (90098, 90121). Trying again later may work.
     */
    static boolean isConnectionFailure(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof SQLNonTransientConnectionException) {
                return true;
            }
            if (t instanceof SQLException s && s.getSQLState() != null
                    && (s.getSQLState().startsWith("08") || s.getSQLState().equals("90020")
                            || s.getSQLState().equals("90098") || s.getSQLState().equals("90121")
                            || s.getSQLState().equals("57P01") || s.getSQLState().equals("57P03"))) {
                return true;
            }
        }
        return false;
    }

    private static boolean any(SQLException e, String... states) {
        // a batch failure carries the statement's own exception as next exception (PostgreSQL) or cause (H2)
        for (SQLException s = e; s != null; s = s.getNextException()) {
            for (Throwable t = s; t != null; t = t.getCause()) {
                if (t instanceof SQLException q && q.getSQLState() != null) {
                    for (String state : states) {
                        if (q.getSQLState().equals(state)) {
                            return true;
                        }
                    }
                }
            }
        }
        return false;
    }

    /**
     * The exception's message in one line, for operators. A pool timeout names the pool only; the reason the
     * driver gave is its cause, so that goes in too.
     */
    static String oneLine(Throwable e) {
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
}
