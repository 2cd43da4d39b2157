package org.updraft.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

class SettingValuesTest {

    @Test
    void aListIsTheSameFromACfgFileAsFromSeveralValues() {
        assertEquals(List.of("vcdiff", "bsdiff"), SettingValues.list(new String[] { "vcdiff, bsdiff" }));
        assertEquals(List.of("vcdiff", "bsdiff"), SettingValues.list(new String[] { "vcdiff", " bsdiff ", "" }));
        assertEquals(List.of(), SettingValues.list(new String[] {}));
        assertEquals(List.of(), SettingValues.list(null));
    }

    @Test
    void sizesAreDecimalOrHexadecimalAndPositive() {
        assertEquals(0x20000, SettingValues.size("slot.size", " 0x20000 "));
        assertEquals(512, SettingValues.size("bootloader.size", "512"));
        assertEquals("slot.size '128k' is not a number (decimal or 0x hexadecimal)", assertThrows(
                IllegalArgumentException.class, () -> SettingValues.size("slot.size", "128k")).getMessage());
        assertEquals("flash.size '0' must be positive", assertThrows(IllegalArgumentException.class,
                () -> SettingValues.size("flash.size", "0")).getMessage());
    }
}
