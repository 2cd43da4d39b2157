package org.updraft.platform.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.updraft.api.multiformats.Cid;
import org.updraft.api.store.CidOptions;
import org.updraft.api.store.FirmwareStore;
import org.updraft.api.store.ObjectNotFoundException;
import org.updraft.api.store.ObjectStat;
import org.updraft.api.store.StoreException;
import org.updraft.api.store.StoreStatus;
import org.updraft.api.store.StoredObject;
import org.updraft.core.unixfs.ImportedFile;
import org.updraft.core.unixfs.UnixFsImporter;

/**
 * A whole, small FirmwareStore in memory (CIDs from core's importer), with a switch that makes it answer as a
 * backend whose node cannot be reached: the serving store's choices are about which backend holds what and
 * which one answers, and this store shows both plainly.
 */
final class MemoryStore implements FirmwareStore {

    final String kind;
    final Map<Cid, byte[]> objects = new ConcurrentHashMap<>();
    volatile boolean unreachable;

    MemoryStore(String kind) {
        this.kind = kind;
    }

    Map<String, Object> properties(long serviceId) {
        return Map.of(KIND, kind, "service.id", serviceId);
    }

    private void reach() throws StoreException {
        if (unreachable) {
            throw new StoreException(kind + " node unreachable: connection refused");
        }
    }

    @Override
    public StoredObject put(InputStream content, CidOptions options) throws StoreException {
        reach();
        try {
            byte[] bytes = content.readAllBytes();
            ImportedFile file = UnixFsImporter.cid(new ByteArrayInputStream(bytes), options);
            objects.put(file.cid(), bytes);
            return new StoredObject(file.cid(), file.size());
        } catch (IOException e) {
            throw new StoreException("put: " + e.getMessage(), e);
        }
    }

    @Override
    public InputStream get(Cid cid, long offset, long length) throws StoreException {
        reach();
        byte[] bytes = objects.get(cid);
        if (bytes == null) {
            throw new ObjectNotFoundException(cid);
        }
        int from = (int) Math.min(offset, bytes.length);
        int n = (int) (length < 0 ? bytes.length - from : Math.min(length, bytes.length - from));
        return new ByteArrayInputStream(bytes, from, n);
    }

    @Override
    public Optional<ObjectStat> stat(Cid cid) throws StoreException {
        reach();
        byte[] bytes = objects.get(cid);
        return bytes == null ? Optional.empty() : Optional.of(new ObjectStat(cid, bytes.length, 1, true));
    }

    @Override
    public void pin(Cid cid) throws StoreException {
        reach();
        if (!objects.containsKey(cid)) {
            throw new ObjectNotFoundException(cid);
        }
    }

    @Override
    public void unpin(Cid cid) throws StoreException {
        reach();
        if (objects.remove(cid) == null) {
            throw new ObjectNotFoundException(cid);
        }
    }

    @Override
    public List<ObjectStat> list() throws StoreException {
        reach();
        List<ObjectStat> all = new ArrayList<>();
        objects.forEach((cid, bytes) -> all.add(new ObjectStat(cid, bytes.length, 1, true)));
        return all;
    }

    @Override
    public StoreStatus status() {
        return new StoreStatus(kind, !unreachable, "memory", objects.size(),
                objects.values().stream().mapToLong(b -> b.length).sum());
    }
}
