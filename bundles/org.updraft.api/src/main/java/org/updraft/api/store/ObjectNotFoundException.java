package org.updraft.api.store;

import org.updraft.api.multiformats.Cid;

/** The store does not hold the object. */
public class ObjectNotFoundException extends StoreException {

    private static final long serialVersionUID = 1L;

    public ObjectNotFoundException(Cid cid) {
        super("object " + cid + " is not in the store");
    }
}
