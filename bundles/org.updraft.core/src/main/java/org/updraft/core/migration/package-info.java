/**
 * Copying every object of one {@link org.updraft.api.store.FirmwareStore} to another with the same CIDs:
 * {@link org.updraft.core.migration.StoreMigration} does the work (resumable, every CID checked),
 * {@link org.updraft.core.migration.CidRecipes} finds the {@link org.updraft.api.store.CidOptions} that
 * reproduce a stored object's CID.
 */
@Export
@Version("1.0.0")
package org.updraft.core.migration;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
