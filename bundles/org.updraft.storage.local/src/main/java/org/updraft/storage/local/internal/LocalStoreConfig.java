package org.updraft.storage.local.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Settings of the embedded firmware store (PID {@value LocalFirmwareStore#PID}). */
@ObjectClassDefinition(id = LocalFirmwareStore.PID, name = "Updraft local firmware store",
        description = "Content-addressed firmware storage on this machine's disk, with the CIDs ipfs add computes.")
public @interface LocalStoreConfig {

    @AttributeDefinition(name = "Directory",
            description = "Where blocks and object records are kept. ${karaf.data} stands for the karaf.data "
                    + "system property (./data when it is not set). One running store per directory.")
    String directory() default "${karaf.data}/updraft/store";

    @AttributeDefinition(name = "Sync to disk",
            description = "Force every block and record to disk before a put returns. Without it a power "
                    + "loss can lose objects that a put reported as stored; turn it off only for throwaway stores.")
    boolean fsync() default true;
}
