package org.updraft.shell.internal;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.updraft.api.channel.ChannelException;
import org.updraft.api.channel.ChannelPointer;
import org.updraft.api.channel.ReleaseChannels;

@Command(scope = "updraft", name = "channel-publish", description = "Points a release channel (an IPNS name per "
        + "vendor, device class and channel) at a published release's signed manifest, and records the move on the "
        + "ledger")
@Service
public class ChannelPublishCommand extends UpdraftCommand {

    @Argument(index = 0, name = "vendor", description = "The vendor id", required = true)
    String vendor;

    @Argument(index = 1, name = "class", description = "The device class id", required = true)
    String deviceClass;

    @Argument(index = 2, name = "channel", description = "The channel: 1-32 lower-case letters, digits or '-', "
            + "e.g. stable, beta", required = true)
    String channel;

    @Argument(index = 3, name = "release", description = "The release id, vendor/class/sequence", required = true)
    @Completion(ReleaseIdCompleter.class)
    String releaseId;

    @Option(name = "--force", description = "Move the channel to a release with a lower sequence than the one it "
            + "points at (a deliberate step back); recorded as forced")
    boolean force;

    @Reference(optional = true)
    ReleaseChannels channels;

    @Override
    protected Object run() throws Exception {
        ReleaseChannels service = ChannelListCommand.require(channels);
        ChannelPointer p;
        try {
            p = service.publish(vendor, deviceClass, channel, releaseId, force, Operators.current());
        } catch (ChannelException e) {
            throw refused("channel not moved (" + e.reason() + "): " + e.getMessage());
        }
        System.out.println("Channel " + vendor + "/" + deviceClass + "/" + channel + " now points at " + p.releaseId());
        ChannelResolveCommand.print(p, false);
        return null;
    }
}
