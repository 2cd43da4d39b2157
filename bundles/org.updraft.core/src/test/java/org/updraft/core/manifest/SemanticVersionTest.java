package org.updraft.core.manifest;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class SemanticVersionTest {

    @Test
    void ordersAsSemVer2PrecedenceSays() {
        // the example chain from semver.org §11
        List<String> ordered = List.of("1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "1.10.0", "2.0.0");
        for (int i = 0; i + 1 < ordered.size(); i++) {
            SemanticVersion a = SemanticVersion.parse(ordered.get(i));
            SemanticVersion b = SemanticVersion.parse(ordered.get(i + 1));
            assertTrue(a.compareTo(b) < 0, a + " < " + b);
            assertTrue(b.compareTo(a) > 0, b + " > " + a);
        }
        assertTrue(SemanticVersion.parse("1.0.0+build.5").compareTo(SemanticVersion.parse("1.0.0")) == 0);
    }

    @Test
    void refusesWhatIsNotAVersion() {
        for (String bad : new String[] {"", "1", "1.2", "01.2.3", "1.2.3-", "v1.2.3", "1.2.3.4", "1.2.3-01"}) {
            assertThrows(IllegalArgumentException.class, () -> SemanticVersion.parse(bad), bad);
        }
    }
}
