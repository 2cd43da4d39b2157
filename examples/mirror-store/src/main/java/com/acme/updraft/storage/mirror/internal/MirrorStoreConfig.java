package com.acme.updraft.storage.mirror.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Settings of the mirror store, PID {@value MirrorFirmwareStore#PID} (etc/com.acme.updraft.storage.mirror.cfg). */
@ObjectClassDefinition(id = MirrorFirmwareStore.PID, name = "Acme mirror store",
        description = "Firmware images as plain files named by their CID, in one directory that can be mirrored.")
public @interface MirrorStoreConfig {

    @AttributeDefinition(name = "Directory",
            description = "Where the images are kept. A relative path starts from Karaf's data directory "
                    + "(karaf.data). One running store per directory.")
    String directory() default "mirror";
}
