package org.updraft.registry.jdbc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class VersionRangeTest {

    @Test
    void bracketsIncludeAndParenthesesExclude() {
        VersionRange r = VersionRange.parse("[1.0.0,2.0.0)");
        assertTrue(r.includes("1.0.0"));
        assertTrue(r.includes("1.9.99"));
        assertFalse(r.includes("2.0.0"));
        assertTrue(r.includes("2.0.0-rc.1"), "a pre-release of 2.0.0 ranks below 2.0.0");
        assertFalse(r.includes("1.0.0-rc.1"), "and a pre-release of 1.0.0 below 1.0.0");
        assertFalse(r.includes("0.9.0"));

        VersionRange open = VersionRange.parse("(1.0.0,2.0.0]");
        assertFalse(open.includes("1.0.0"));
        assertTrue(open.includes("1.0.1"));
        assertTrue(open.includes("2.0.0"));
        assertTrue(open.includes("2.0.0+build.7"), "build metadata does not count");
    }

    @Test
    void eitherEndMayBeOpen() {
        assertTrue(VersionRange.parse("[1.2.0,)").includes("99.0.0"));
        assertFalse(VersionRange.parse("[1.2.0,)").includes("1.1.9"));
        assertTrue(VersionRange.parse("(,2.0.0)").includes("0.0.1"));
        assertTrue(VersionRange.parse("(,)").includes("0.0.0"));
        assertTrue(VersionRange.parse(" [ 1.0.0 , 1.0.0 ] ").includes("1.0.0"));
        assertEquals(VersionRange.ANY, VersionRange.parse("(,)"));
        assertEquals("[1.2.0,)", VersionRange.parse("[1.2.0,)").toString());
        assertEquals("1.2.0", VersionRange.parse("[1.2.0,)").lower().orElseThrow().toString());
        assertTrue(VersionRange.parse("[1.2.0,)").upper().isEmpty());
    }

    @Test
    void textThatIsNotAVersionIsOutside() {
        assertFalse(VersionRange.ANY.includes("latest"));
    }

    @Test
    void malformedOrEmptyRangesAreRefusedSayingWhy() {
        assertRefused("1.0.0", "is not in interval notation");
        assertRefused("[1.0.0]", "needs exactly one comma");
        assertRefused("[1.0.0,2.0.0,3.0.0)", "needs exactly one comma");
        assertRefused("[1.0,2.0.0)", "'1.0' is not a semantic version");
        assertRefused("[,2.0.0)", "an open end takes a round bracket");
        assertRefused("[2.0.0,1.0.0]", "contains no version");
        assertRefused("(1.0.0,1.0.0]", "contains no version");
        assertRefused(null, "version range is missing");
    }

    private static void assertRefused(String text, String why) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VersionRange.parse(text));
        assertTrue(e.getMessage().contains(why), e.getMessage());
    }
}
