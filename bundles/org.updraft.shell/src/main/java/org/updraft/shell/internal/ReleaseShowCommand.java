package org.updraft.shell.internal;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.updraft.api.delta.Delta;
import org.updraft.api.delta.ReleaseDeltas;
import org.updraft.api.release.Release;
import org.updraft.api.release.ReleaseService;

@Command(scope = "updraft", name = "release-show", description = "Shows a published release")
@Service
public class ReleaseShowCommand extends UpdraftCommand {

    @Argument(index = 0, name = "release", description = "Release id: vendor/class/sequence", required = true)
    @Completion(ReleaseIdCompleter.class)
    String id;

    @Reference(optional = true)
    ReleaseService releases;

    @Reference(optional = true)
    ReleaseDeltas deltas;

    @Override
    protected Object run() throws Exception {
        Release release = Services.require(releases, "release service", "updraft").find(id)
                .orElseThrow(() -> new IllegalArgumentException("no release " + id + " is published"));
        System.out.println("Release " + release.id());
        print(release);
        if (deltas != null) {
            for (Delta d : deltas.to(release.id())) {
                row("delta", "from " + d.fromRelease() + ": " + d.codec() + ", " + Format.bytes(d.patchSize())
                        + ", patch " + d.patch() + ", ledger #" + d.ledgerIndex());
            }
        }
        return null;
    }

    static void print(Release r) {
        row("vendor", r.vendor());
        row("class", r.deviceClass());
        row("profile", r.profile() == null ? "(any)" : r.profile());
        row("version", r.version());
        row("sequence", Long.toString(r.sequence()));
        row("size", r.size() + " bytes (" + Format.bytes(r.size()) + ")");
        row("sha256", Format.hex(r.sha256()));
        row("cid", r.cid().toString());
        row("signer", r.signer());
        row("signed", Format.time(r.created()));
        row("published", Format.time(r.published()));
        row("ledger", "#" + r.ledgerIndex());
    }

    private static void row(String name, String value) {
        System.out.println(String.format("  %-10s %s", name, value));
    }
}
