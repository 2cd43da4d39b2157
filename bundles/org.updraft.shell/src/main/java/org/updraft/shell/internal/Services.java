package org.updraft.shell.internal;

import org.apache.karaf.shell.support.CommandException;

/** The one message for a backend that is not running, naming the feature that provides it. */
final class Services {

    private Services() {
    }

    /** {@code service}, or a refusal naming the feature to install when it is not running. */
    static <T> T require(T service, String what, String feature) throws CommandException {
        if (service == null) {
            throw UpdraftCommand.refused("no " + what + " is running: install feature " + feature
                    + " (feature:install " + feature + ") or check its configuration");
        }
        return service;
    }
}
