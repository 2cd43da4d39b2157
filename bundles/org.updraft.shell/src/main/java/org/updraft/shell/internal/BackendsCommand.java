package org.updraft.shell.internal;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.CommandException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.updraft.api.backend.BackendChoice;
import org.updraft.api.backend.BackendChoices;

/**
 * The backend switch from the shell: one command sets the ledger, trust store and registry kinds together in
 * {@value #PID}, as {@code config:property-set} would one key at a time, then shows what serves. Nothing restarts:
 * the platform's forwarding services send the next call to the new backend.
 */
@Command(scope = "updraft", name = "backends", description = "Shows which backend serves the firmware store, the "
        + "ledger, the trust store and the device registry; with options, switches ledger, trust store and registry "
        + "together (configuration org.updraft.backends), while the platform runs")
@Service
public class BackendsCommand extends UpdraftCommand {

    /** The backend switch's configuration PID (the platform's BackendSwitch). */
    static final String PID = "org.updraft.backends";

    /** What the platform accepts as a kind; checked here so that a bad value is never written. */
    private static final Pattern KIND = Pattern.compile("[a-z0-9][a-z0-9._-]*");

    @Option(name = "--ledger", description = "ledger.kind of the ledger: local (the embedded log), postgresql (the "
            + "log in PostgreSQL, shared by several nodes, feature updraft-ledger-postgresql) or evm (the same log "
            + "anchored on an EVM chain, feature updraft-ledger-evm)")
    String ledger;

    @Option(name = "--trust", description = "trust.kind of the trust store: ledger (trust events replayed from the "
            + "ledger) or evm (answered from the chain, feature updraft-ledger-evm)")
    String trust;

    @Option(name = "--registry", description = "registry.kind of the device registry: jdbc")
    String registry;

    @Option(name = "--wait", description = "Seconds to wait, after a switch, for the chosen backends to run "
            + "(default 10)")
    int waitSeconds = 10;

    @Reference
    ConfigurationAdmin configurationAdmin;

    @Reference(optional = true)
    BackendChoices choices;

    @Override
    protected Object run() throws Exception {
        Map<String, String> wanted = new LinkedHashMap<>();
        put(wanted, "ledger", ledger);
        put(wanted, "trust", trust);
        put(wanted, "registry", registry);
        if (waitSeconds < 0) {
            throw new IllegalArgumentException("--wait must not be negative, not " + waitSeconds);
        }
        BackendChoices platform = Services.require(choices, "backend switch", "updraft-core");
        if (!wanted.isEmpty()) {
            switchTo(wanted);
            awaitChoices(platform, wanted);
        }
        List<BackendChoice> now = platform.choices();
        for (BackendChoice c : now) {
            System.out.printf("%-9s %-7s %s%n", c.capability(), c.kind(), c.running() ? "runs" : "NOT RUNNING: "
                    + c.detail());
        }
        for (BackendChoice c : now) {
            if (wanted.containsKey(c.capability()) && !c.running()) {
                System.out.println("Calls to the " + c.capability() + " fail as unavailable until " + c.kind()
                        + " runs.");
            }
        }
        return null;
    }

    private static void put(Map<String, String> wanted, String key, String value) {
        if (value == null) {
            return;
        }
        String v = value.strip();
        if (!KIND.matcher(v).matches()) {
            throw new IllegalArgumentException("--" + key + " '" + value + "' is not a backend kind: lowercase letters,"
                    + " digits, '.', '_' or '-', e.g. " + ("ledger".equals(key) ? "evm" : "trust".equals(key)
                            ? "evm" : "jdbc") + "; nothing was changed");
        }
        wanted.put(key, v);
    }

    /** Writes the keys that change, all in one update, keeping the configuration's other keys. */
    private void switchTo(Map<String, String> wanted) throws Exception {
        Configuration configuration = configurationAdmin.getConfiguration(PID, null);
        Dictionary<String, Object> current = configuration.getProperties();
        Hashtable<String, Object> next = new Hashtable<>();
        if (current != null) {
            for (String key : java.util.Collections.list(current.keys())) {
                next.put(key, current.get(key));
            }
        }
        boolean changes = false;
        for (Map.Entry<String, String> e : wanted.entrySet()) {
            if (!Objects.equals(String.valueOf(next.get(e.getKey())), e.getValue())) {
                next.put(e.getKey(), e.getValue());
                changes = true;
            }
        }
        if (changes) {
            configuration.update(next);
        }
    }

    /** Configuration Admin delivers the change asynchronously: wait until the switch shows it, then for backends. */
    private void awaitChoices(BackendChoices platform, Map<String, String> wanted)
            throws InterruptedException, CommandException {
        long deadline = System.nanoTime() + Math.max(waitSeconds, 5) * 1_000_000_000L;
        while (!applied(platform, wanted, false) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        if (!applied(platform, wanted, false)) {
            throw refused(PID + " was written but the backend switch does not show it: is "
                    + "org.updraft.platform running? (updraft:status)");
        }
        deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
        while (!applied(platform, wanted, true) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
    }

    private static boolean applied(BackendChoices platform, Map<String, String> wanted, boolean running) {
        for (BackendChoice c : platform.choices()) {
            String kind = wanted.get(c.capability());
            if (kind != null && (!kind.equals(c.kind()) || running && !c.running())) {
                return false;
            }
        }
        return true;
    }
}
