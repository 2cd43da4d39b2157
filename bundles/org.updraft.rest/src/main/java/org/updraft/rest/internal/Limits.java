package org.updraft.rest.internal;

import java.nio.file.Path;

/**
 * The bounds on what a request may carry or ask for.
 *
 * @param uploads where release images are spooled while they are verified and stored
 */
record Limits(int maxRequestBytes, long maxImageBytes, int maxPage, Path uploads) {
}
