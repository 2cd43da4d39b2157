package org.updraft.shell.internal;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.updraft.api.channel.ChannelException;
import org.updraft.api.channel.ChannelPointer;
import org.updraft.api.channel.ReleaseChannels;

@Command(scope = "updraft", name = "channel-resolve", description = "Follows a release channel's IPNS name to the "
        + "manifest it points at, and verifies it (signature, trusted signer, published on the ledger)")
@Service
public class ChannelResolveCommand extends UpdraftCommand {

    @Argument(index = 0, name = "vendor", description = "The vendor id", required = true)
    String vendor;

    @Argument(index = 1, name = "class", description = "The device class id", required = true)
    String deviceClass;

    @Argument(index = 2, name = "channel", description = "The channel, e.g. stable", required = true)
    String channel;

    @Reference(optional = true)
    ReleaseChannels channels;

    @Override
    protected Object run() throws Exception {
        ReleaseChannels service = ChannelListCommand.require(channels);
        ChannelPointer p;
        try {
            p = service.resolve(vendor, deviceClass, channel);
        } catch (ChannelException e) {
            throw refused("channel not resolved (" + e.reason() + "): " + e.getMessage());
        }
        System.out.println("Channel " + vendor + "/" + deviceClass + "/" + channel);
        print(p, true);
        return null;
    }

    static void print(ChannelPointer p, boolean resolved) {
        System.out.println(String.format("  %-10s /ipns/%s", "name", p.name()));
        System.out.println(String.format("  %-10s %s", "manifest", p.manifest()));
        System.out.println(String.format("  %-10s %s (sequence %d)", "release", p.releaseId(), p.sequence()));
        if (resolved) {
            System.out.println(String.format("  %-10s yes (signature, trusted signer, published on the ledger)",
                    "verified"));
        }
        System.out.println(String.format("  %-10s %s", "recorded", p.recorded()
                ? "ledger index " + p.ledgerIndex() + (p.moved() != null ? ", " + Format.time(p.moved()) : "")
                : "NO: the ledger has no record of the channel pointing here (moved outside Updraft?)"));
    }
}
