package org.updraft.shell.internal;

import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.support.CommandException;
import org.osgi.framework.BundleContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.api.device.DeviceRegistry;
import org.updraft.api.ledger.Ledger;
import org.updraft.api.trust.TrustStore;

/**
 * What every {@code updraft:} command does when it says no: the user gets one line ({@code Error executing command:
 * ...}), {@code bin/client} exits with status 1, and karaf.log gets one INFO line, never a stack trace.
 *
 * <p>Karaf's shell (4.4, {@code ShellUtil.logException}) logs whatever a command throws at ERROR with its stack
 * trace, unless the exception's class is named {@code CommandException}: that one it logs at DEBUG and prints as
 * one line. So a refusal leaves {@link #run} as Karaf's {@link CommandException}:
 * <ul>
 * <li>one the command throws itself ({@link #refused});</li>
 * <li>a checked exception of the API or the library: they carry reason codes ({@code untrusted-signer},
 * {@code unavailable}) or name the bad input, and an I/O error on an operator's file is told in one line too;</li>
 * <li>an {@link IllegalArgumentException}: how the library and the JDK refuse malformed input (a bad CID, id,
 * number or path).</li>
 * </ul>
 * Any other runtime exception or error is a bug and reaches Karaf's log whole, stack trace included.
 */
abstract class UpdraftCommand implements Action {

    private static final Logger LOG = LoggerFactory.getLogger(UpdraftCommand.class);

    /** The shell bundle's context, where {@link #selected} looks services up. */
    @Reference
    BundleContext bundleContext;

    private final List<Selected<?>> borrowed = new ArrayList<>();

    @Override
    public final Object execute() throws Exception {
        try {
            return runAndTell();
        } finally {
            // only when something was looked up: a command run outside Karaf (tests, benchmarks, given its services)
            // then needs no OSGi classes
            if (!borrowed.isEmpty()) {
                release();
            }
        }
    }

    private void release() {
        for (Selected<?> s : borrowed) {
            s.close();
        }
        borrowed.clear();
    }

    private Object runAndTell() throws Exception {
        try {
            return run();
        } catch (CommandException | InterruptedException e) {
            throw log(e);
        } catch (IllegalArgumentException e) {
            throw log(refused(message(e)));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw log(refused(message(e)));
        }
    }

    /** The command's work; see the class description for what its exceptions become. */
    protected abstract Object run() throws Exception;

    /**
     * The platform's service of {@code type} that {@code filter} names, as it is now ({@link Selected} says why it is
     * not injected), held until the command ends; a refusal naming {@code feature} when none runs.
     */
    protected <T> T selected(Class<T> type, String filter, String what, String feature) throws CommandException {
        Selected<T> found = Selected.find(bundleContext, type, filter);
        borrowed.add(found);
        return Services.require(found.service(), what, feature);
    }

    /** The selected device registry, or a refusal naming its feature. */
    protected DeviceRegistry selectedRegistry() throws CommandException {
        return selected(DeviceRegistry.class, DeviceRegistry.SELECTED, "device registry", "updraft-registry-jdbc");
    }

    /** The selected ledger, or a refusal naming its feature. */
    protected Ledger selectedLedger() throws CommandException {
        return selected(Ledger.class, Ledger.SELECTED, "ledger", "updraft-ledger-local");
    }

    /** The selected trust store, or a refusal naming its feature. */
    protected TrustStore selectedTrust() throws CommandException {
        return selected(TrustStore.class, TrustStore.SELECTED, "trust store", "updraft");
    }

    /** A refusal: {@code message} is all the user sees, on one line. */
    static CommandException refused(String message) {
        return new CommandException(oneLine(message));
    }

    private <E extends Exception> E log(E e) {
        if (e instanceof CommandException) {
            Command command = getClass().getAnnotation(Command.class);
            String name = command == null ? getClass().getSimpleName() : command.scope() + ":" + command.name();
            LOG.info("{} refused: {}", name, oneLine(String.valueOf(e.getMessage())));
        }
        return e;
    }

    private static String message(Exception e) {
        // the JDK names only the path in these
        if (e instanceof NoSuchFileException missing) {
            return "no such file: " + missing.getFile();
        }
        if (e instanceof AccessDeniedException denied) {
            return "access denied: " + denied.getFile();
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    private static String oneLine(String text) {
        return text.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }
}
