package org.updraft.storage.ipfs.internal;

import org.updraft.api.store.StoreException;

/** No connection to the IPFS node's RPC API could be made: the node is down or the address is wrong. */
final class NodeUnreachableException extends StoreException {

    private static final long serialVersionUID = 1L;

    NodeUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
