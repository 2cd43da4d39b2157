package org.updraft.shell.internal;

import java.util.List;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.CommandException;
import org.updraft.api.channel.ChannelException;
import org.updraft.api.channel.ChannelPointer;
import org.updraft.api.channel.ReleaseChannels;

@Command(scope = "updraft", name = "channel-list", description = "Lists the release channels with their latest move "
        + "as the ledger recorded it")
@Service
public class ChannelListCommand extends UpdraftCommand {

    @Reference(optional = true)
    ReleaseChannels channels;

    @Override
    protected Object run() throws Exception {
        List<ChannelPointer> all;
        try {
            all = require(channels).list();
        } catch (ChannelException e) {
            throw refused("channels not listed (" + e.reason() + "): " + e.getMessage());
        }
        if (all.isEmpty()) {
            System.out.println("No release channels published yet");
            return null;
        }
        String row = "%-30s %-24s %-20s %s";
        System.out.println(String.format(row, "CHANNEL", "RELEASE", "MOVED", "IPNS NAME"));
        for (ChannelPointer p : all) {
            System.out.println(String.format(row, p.vendor() + "/" + p.deviceClass() + "/" + p.channel(),
                    p.releaseId(), p.moved() != null ? Format.time(p.moved()) : "-", p.name()));
        }
        return null;
    }

    /** Channels need the IPFS store's feature and its node configuration; say so in one line. */
    static ReleaseChannels require(ReleaseChannels channels) throws CommandException {
        return Services.require(channels, "release channel service (it runs with the IPFS store's configuration, "
                + "etc/org.updraft.storage.ipfs.cfg)", "updraft-storage-ipfs");
    }
}
