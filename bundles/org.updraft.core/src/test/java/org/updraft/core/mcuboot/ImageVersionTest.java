package org.updraft.core.mcuboot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ImageVersionTest {

    @Test
    void parsesImgtoolsSyntax() {
        assertEquals(new ImageVersion(1, 2, 3, 45), ImageVersion.parse("1.2.3+45"));
        assertEquals(new ImageVersion(1, 0, 0, 0), ImageVersion.parse("1"));
        assertEquals(new ImageVersion(1, 2, 0, 0), ImageVersion.parse("1.2"));
        assertEquals(new ImageVersion(255, 255, 65535, 4294967295L), ImageVersion.parse("255.255.65535+4294967295"));
        assertEquals("1.2.0+0", ImageVersion.parse("1.2").toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "01.2", "1.2.3.4", "1.2+3", "v1.2.3", "1.2.3-rc1", "256.0.0", "1.256", "1.2.65536",
        "1.2.3+4294967296", "1.2.3+99999999999999999999"})
    void refusesWhatImgtoolRefusesOrCannotStore(String text) {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ImageVersion.parse(text)).getMessage()
                .contains("MCUboot version") || text.matches("[\\d.+]+"), text);
    }

    @Test
    void ordersAsMcubootDoes() {
        assertTrue(ImageVersion.parse("1.2.3").compareTo(ImageVersion.parse("1.10.0")) < 0);
        assertTrue(ImageVersion.parse("2").compareTo(ImageVersion.parse("1.255.65535")) > 0);
        assertTrue(ImageVersion.parse("1.2.3+1").compareTo(ImageVersion.parse("1.2.3+2")) < 0);
        assertEquals(0x01020003L, ImageVersion.parse("1.2.3+45").securityCounter());
    }
}
