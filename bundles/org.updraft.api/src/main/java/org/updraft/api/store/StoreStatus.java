package org.updraft.api.store;

/**
 * Health of a store, as {@code updraft:store-stat} shows it.
 *
 * @param kind the backend's {@value FirmwareStore#KIND}
 * @param available whether requests can succeed now
 * @param detail where the store is and, when unavailable, why
 * @param objects pinned objects, or -1 when unknown
 * @param bytes bytes of pinned objects, or -1 when unknown
 */
public record StoreStatus(String kind, boolean available, String detail, long objects, long bytes) {
}
