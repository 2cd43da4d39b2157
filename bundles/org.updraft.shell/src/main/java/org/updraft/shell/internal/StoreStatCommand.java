package org.updraft.shell.internal;

import java.util.List;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.ObjectStat;
import org.updraft.api.store.StoreStatus;

@Command(scope = "updraft", name = "store-stat", description = "Shows the firmware store's health and totals, "
        + "or one stored object")
@Service
public class StoreStatCommand implements Action {

    @Argument(index = 0, name = "cid", description = "A stored object's CID")
    @Completion(StoredCidCompleter.class)
    String cid;

    @Reference(optional = true)
    List<FirmwareStore> stores;

    @Override
    public Object execute() throws Exception {
        if (stores == null || stores.isEmpty()) {
            Services.require(null, "firmware store", "updraft-storage-local");
        }
        for (FirmwareStore store : stores) {
            StoreStatus s = store.status();
            System.out.println("Store " + s.kind() + ": " + (s.available() ? "available" : "UNAVAILABLE"));
            System.out.println(String.format("  %-10s %s", "detail", s.detail()));
            if (s.objects() >= 0) {
                System.out.println(String.format("  %-10s %d", "objects", s.objects()));
            }
            if (s.bytes() >= 0) {
                System.out.println(String.format("  %-10s %s", "bytes", Format.bytes(s.bytes())));
            }
            if (cid != null) {
                Cid c;
                try {
                    c = Cid.parse(cid);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(e.getMessage());
                }
                ObjectStat stat = store.stat(c).orElse(null);
                if (stat == null) {
                    System.out.println(String.format("  %-10s not in this store", c));
                } else {
                    System.out.println(String.format("  %-10s %s, %d blocks, %s", c, Format.bytes(stat.size()),
                            stat.blocks(), stat.pinned() ? "pinned" : "not pinned"));
                }
            }
        }
        return null;
    }
}
