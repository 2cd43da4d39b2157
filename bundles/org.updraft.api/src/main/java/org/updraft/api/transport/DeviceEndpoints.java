package org.updraft.api.transport;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Where a running transport's devices reach the platform, for tools that set up devices (the demo's fleet,
 * provisioning scripts): registered by a transport beside its {@link TransportStatus}.
 */
@ProviderType
public interface DeviceEndpoints {

    /** The endpoints listening now, the secure ones first; empty when none could be opened. */
    List<DeviceEndpoint> deviceEndpoints();
}
