package org.updraft.rest.internal;

import java.nio.file.Path;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.updraft.core.config.DataPaths;

/**
 * The API's settings ({@code etc/org.updraft.rest.cfg}), read by each request as it comes, so that a change applies at
 * the next request. The application ({@link RestApi}) has no configuration of its own: a change of the file never
 * takes it off the JAX-RS whiteboard. When it had one, each change (and file install reading back the file the feature
 * wrote, a second after {@code feature:install}) deployed the API again: requests got 404 for that moment, and once,
 * meeting Pax Web's own first configuration, Pax Web and the whiteboard deadlocked.
 */
@Component(service = RestSettings.class, configurationPid = RestConfig.PID)
@Designate(ocd = RestConfig.class)
public final class RestSettings {

    private static final Logger LOG = LoggerFactory.getLogger(RestSettings.class);

    /** What one configuration says, checked as a whole. */
    private record Values(JaasRealm realm, Limits limits, int requestsPerSecond) {
    }

    /** Where release images are spooled while they are verified and stored; not a setting. */
    private final Path uploads;
    private volatile Values values;

    @Activate
    public RestSettings(RestConfig config) {
        this(config, DataPaths.resolve("${karaf.data}/updraft/rest-uploads"));
    }

    RestSettings(RestConfig config, Path uploads) {
        this.uploads = uploads;
        values = check(config);
    }

    /** A changed configuration; one with a bad value is refused as a whole, and the settings in force stay. */
    @Modified
    void modified(RestConfig config) {
        try {
            values = check(config);
        } catch (IllegalArgumentException e) {
            LOG.warn("configuration {} not applied, the settings before it stay in force: {}", RestConfig.PID,
                    e.getMessage());
        }
    }

    private Values check(RestConfig c) {
        if (c.max_requests_per_second() < 0) {
            throw new IllegalArgumentException("max.requests.per.second cannot be negative: "
                    + c.max_requests_per_second());
        }
        if (c.max_request_bytes() <= 0 || c.max_image_bytes() <= 0 || c.max_page() <= 0) {
            throw new IllegalArgumentException("max.request.bytes, max.image.bytes and max.page must be positive");
        }
        return new Values(new JaasRealm(c.realm(), c.roles_admin(), c.roles_operator(), c.roles_viewer()),
                new Limits(c.max_request_bytes(), c.max_image_bytes(), c.max_page(), uploads),
                c.max_requests_per_second());
    }

    JaasRealm realm() {
        return values.realm();
    }

    Limits limits() {
        return values.limits();
    }

    int requestsPerSecond() {
        return values.requestsPerSecond();
    }
}
