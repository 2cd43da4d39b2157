package org.updraft.rest.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.updraft.testing.Configs;

/** The API's settings change in place, for the next request; a bad change is refused whole and the old ones stay. */
class RestSettingsTest {

    @Test
    void aChangedConfigurationAppliesInPlaceAndABadOneLeavesTheSettingsInForce() {
        RestSettings settings = new RestSettings(Configs.of(RestConfig.class, Map.of("max.page", 1000)), Path.of("uploads"));
        assertEquals(1000, settings.limits().maxPage());
        assertEquals(50, settings.requestsPerSecond());

        settings.modified(Configs.of(RestConfig.class, Map.of("max.page", 7, "max.requests.per.second", 3)));
        assertEquals(7, settings.limits().maxPage());
        assertEquals(3, settings.requestsPerSecond());

        settings.modified(Configs.of(RestConfig.class, Map.of("max.page", 9, "max.requests.per.second", -1)));
        assertEquals(7, settings.limits().maxPage(), "a refused change applies no part of itself");
        assertEquals(3, settings.requestsPerSecond());
    }

    @Test
    void aBadConfigurationAtStartIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new RestSettings(Configs.of(RestConfig.class, Map.of("max.page", 0)), Path.of("uploads")));
    }
}
