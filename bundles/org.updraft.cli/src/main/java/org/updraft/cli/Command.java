package org.updraft.cli;

import java.io.PrintStream;

/** One {@code updraft} subcommand. */
interface Command {

    /** The word that selects it: {@code sign}, {@code verify}, … */
    String name();

    /** One line for {@code updraft help}. */
    String summary();

    /** The full text of {@code updraft NAME --help}, starting with its usage line. */
    String usage();

    /** What the command accepts. */
    Arguments.Spec spec();

    /**
     * Runs the command.
     *
     * @return the exit status: {@link UpdraftCli#EXIT_OK} or {@link UpdraftCli#EXIT_REJECTED}
     * @throws UsageException for bad usage or input, reported on one line with {@link UpdraftCli#EXIT_USAGE}
     * @throws Exception anything else, reported on one line as well
     */
    int run(Arguments args, PrintStream out, PrintStream err) throws Exception;
}
