package org.updraft.cli;

import java.io.PrintStream;

/**
 * Entry point of {@code bin/updraft}, the offline manufacturer tool. It runs outside Karaf, on the
 * manufacturer's own machine, so the private key never reaches the platform.
 */
public final class UpdraftCli {

    private UpdraftCli() {
    }

    public static void main(String[] args) {
        usage(System.err);
        System.exit(2);
    }

    static void usage(PrintStream out) {
        out.println("usage: updraft <command> [options]");
        out.println("commands: keygen, sign, verify, cid, inspect (not implemented yet)");
    }
}
