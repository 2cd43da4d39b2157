package org.updraft.shell.internal;

import org.apache.karaf.shell.support.ShellUtil;

/** Who is at the shell, as rollout events on the ledger name their actor. */
final class Operators {

    private Operators() {
    }

    /** {@code operator:NAME} for the logged-in Karaf user, {@code operator:console} on the local console. */
    static String current() {
        String name = ShellUtil.getCurrentUserName();
        return "operator:" + (name == null || name.isBlank() ? "console" : name);
    }
}
