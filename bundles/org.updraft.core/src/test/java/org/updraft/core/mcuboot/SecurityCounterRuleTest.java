package org.updraft.core.mcuboot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;

import org.junit.jupiter.api.Test;

class SecurityCounterRuleTest {

    private static final OptionalLong NONE = OptionalLong.empty();

    private static ImageException refused(long sequence, OptionalLong counter, OptionalLong previous) {
        ImageException e = assertThrows(ImageException.class,
                () -> SecurityCounterRule.check(sequence, counter, previous));
        assertEquals(ImageProblem.SECURITY_COUNTER, e.problem());
        return e;
    }

    @Test
    void theCounterMayEqualTheSequenceButNotExceedIt() throws Exception {
        SecurityCounterRule.check(7, OptionalLong.of(7), NONE);
        SecurityCounterRule.check(7, OptionalLong.of(0), NONE);
        assertEquals("security counter 8 exceeds the release's sequence number 7 (a counter never runs ahead of the "
                + "sequence)", refused(7, OptionalLong.of(8), NONE).getMessage());
        refused(7, OptionalLong.of(0xffff_ffffL), NONE);
    }

    @Test
    void countersNeverDecreaseAcrossReleases() throws Exception {
        SecurityCounterRule.check(8, OptionalLong.of(7), OptionalLong.of(7));
        SecurityCounterRule.check(9, OptionalLong.of(9), OptionalLong.of(7));
        assertTrue(refused(9, OptionalLong.of(6), OptionalLong.of(7)).getMessage()
                .startsWith("security counter 6 is lower than the previous release's 7"));
    }

    @Test
    void onceACounterAlwaysACounter() throws Exception {
        SecurityCounterRule.check(3, NONE, NONE);
        assertTrue(refused(9, NONE, OptionalLong.of(7)).getMessage().startsWith("image has no security counter"));
    }

    @Test
    void appliesToAVerifiedFixture() throws Exception {
        VerifiedImage image = new ImageVerifier().verify(McubootFixtures.file("signed-ed25519.bin"), null);
        SecurityCounterRule.check(7, image, OptionalLong.of(7));
        assertThrows(ImageException.class, () -> SecurityCounterRule.check(6, image, NONE));
    }
}
