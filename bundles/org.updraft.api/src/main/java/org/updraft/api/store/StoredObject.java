package org.updraft.api.store;

import org.updraft.api.multiformats.Cid;

/** What {@link FirmwareStore#put} stored: the root CID and the file's size in bytes. */
public record StoredObject(Cid cid, long size) {
}
