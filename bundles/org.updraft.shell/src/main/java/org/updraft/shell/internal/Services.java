package org.updraft.shell.internal;

/** The one message for a backend that is not running, naming the feature that provides it. */
final class Services {

    private Services() {
    }

    static <T> T require(T service, String what, String feature) {
        if (service == null) {
            throw new IllegalStateException("no " + what + " is running: install feature " + feature
                    + " (feature:install " + feature + ") or check its configuration");
        }
        return service;
    }
}
