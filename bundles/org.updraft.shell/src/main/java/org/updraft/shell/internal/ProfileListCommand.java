package org.updraft.shell.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.osgi.framework.ServiceReference;
import org.updraft.api.profile.DeviceProfile;
import org.updraft.api.profile.ProfileLimits;

@Command(scope = "updraft", name = "profile-list", description = "Lists the running device profiles and, for each "
        + "device class one has a configuration for, what its devices can take (slot, write alignment, block size, "
        + "delta codecs and memory)")
@Service
public class ProfileListCommand extends UpdraftCommand {

    // every profile service, looked up at each run: profiles come and go with their features

    @Override
    protected Object run() throws Exception {
        List<ServiceReference<DeviceProfile>> refs = new ArrayList<>(
                bundleContext.getServiceReferences(DeviceProfile.class, null));
        if (refs.isEmpty()) {
            System.out.println("No device profile runs: install one, e.g. feature:install updraft-profile-mcuboot "
                    + "(updraft-profile-esp-idf, updraft-profile-avr, updraft-profile-linux)");
            return null;
        }
        refs.sort(Comparator.comparing(r -> String.valueOf(r.getProperty(DeviceProfile.ID))));
        String row = "  %-24s %-10s %-6s %-6s %s";
        for (ServiceReference<DeviceProfile> ref : refs) {
            DeviceProfile profile = bundleContext.getService(ref);
            if (profile == null) {
                continue;
            }
            try {
                System.out.println("Profile " + ref.getProperty(DeviceProfile.ID) + " (feature updraft-profile-"
                        + ref.getProperty(DeviceProfile.ID) + ")");
                TreeSet<String> classes = new TreeSet<>(profile.deviceClasses());
                if (classes.isEmpty()) {
                    System.out.println("  no device class configured: every release naming it is refused");
                    continue;
                }
                System.out.println(String.format(row, "CLASS", "SLOT", "ALIGN", "BLOCK", "DELTA"));
                for (String deviceClass : classes) {
                    Optional<ProfileLimits> limits = profile.limits(deviceClass);
                    System.out.println(limits.map(l -> String.format(row, deviceClass,
                            "0x" + Long.toHexString(l.slotSize()), l.writeAlignment(), l.blockSize(), delta(l)))
                            .orElse(String.format("  %-24s configuration cannot be used (karaf.log says why): its "
                                    + "releases are refused", deviceClass)));
                }
            } finally {
                bundleContext.ungetService(ref);
            }
        }
        return null;
    }

    private static String delta(ProfileLimits limits) {
        return limits.deltaCodecs().isEmpty() ? "full images only"
                : String.join(", ", limits.deltaCodecs()) + " in " + Format.bytes(limits.deltaMemory());
    }
}
