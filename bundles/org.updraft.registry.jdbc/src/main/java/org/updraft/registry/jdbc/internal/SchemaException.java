package org.updraft.registry.jdbc.internal;

/**
 * The database's schema cannot be used by this bundle: an applied script was edited, a migration failed, the
 * schema is newer than the bundle, or (retryable) it is older and this node does not migrate. The message names
 * the script.
 */
public final class SchemaException extends Exception {

    private static final long serialVersionUID = 1L;

    private final boolean retryable;

    public SchemaException(String message, boolean retryable) {
        super(message);
        this.retryable = retryable;
    }

    /** Whether another node may still fix it (by migrating), so that trying again later makes sense. */
    public boolean retryable() {
        return retryable;
    }
}
