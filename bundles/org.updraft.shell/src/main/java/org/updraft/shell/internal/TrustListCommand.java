package org.updraft.shell.internal;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.updraft.api.trust.TrustStore;
import org.updraft.api.trust.TrustedKey;

@Command(scope = "updraft", name = "trust-list", description = "Lists manufacturer keys and their status")
@Service
public class TrustListCommand extends UpdraftCommand {


    @Override
    protected Object run() throws Exception {
        ShellTable table = new ShellTable();
        table.column("DID");
        table.column("Vendor");
        table.column("Classes");
        table.column("Status");
        table.column("Since");
        table.column("Note");
        for (TrustedKey k : selected(TrustStore.class, TrustStore.SELECTED, "trust store", "updraft").list()) {
            table.addRow().addContent(k.did(), k.vendor(), classes(k), k.status().name().toLowerCase(),
                    Format.time(k.changed()), note(k));
        }
        table.print(System.out);
        return null;
    }

    static void print(TrustedKey k) {
        System.out.println(String.format("  %-10s %s", "vendor", k.vendor()));
        System.out.println(String.format("  %-10s %s", "classes", classes(k)));
        System.out.println(String.format("  %-10s %s", "status", k.status().name().toLowerCase()));
        String note = note(k);
        if (!note.isEmpty()) {
            System.out.println(String.format("  %-10s %s", "note", note));
        }
        System.out.println(String.format("  %-10s #%d", "ledger", k.ledgerIndex()));
    }

    private static String classes(TrustedKey k) {
        return k.deviceClasses().isEmpty() ? "(all)" : String.join(",", k.deviceClasses().stream().sorted().toList());
    }

    private static String note(TrustedKey k) {
        switch (k.status()) {
            case ROTATED:
                return "rotated to " + Format.shortDid(k.successor());
            case REVOKED:
                return k.reason() == null || k.reason().isBlank() ? "revoked" : k.reason();
            default:
                return "";
        }
    }
}
