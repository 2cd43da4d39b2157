package org.updraft.profile.avr.internal;

/**
 * Where an AVR part's application lives: flash from address 0 up to the bootloader section at its top (the BOOTSZ
 * fuses), written page by page.
 *
 * @param name the part, e.g. {@code atmega328p}, for messages
 * @param flashSize bytes of flash
 * @param bootloaderSize bytes of the bootloader section at the top of flash
 * @param pageSize bytes of one flash page (SPM_PAGESIZE)
 */
record AvrPart(String name, int flashSize, int bootloaderSize, int pageSize) {

    /** Larger than any AVR's flash (384 KiB): the flash image is held in memory, so its size is bounded here. */
    static final int MAX_FLASH = 16 << 20;

    AvrPart {
        if (flashSize <= 0 || flashSize > MAX_FLASH) {
            throw new IllegalArgumentException("flash.size 0x" + Integer.toHexString(flashSize)
                    + " is not 1 byte to 16 MiB");
        }
        if (bootloaderSize >= flashSize) {
            throw new IllegalArgumentException("bootloader.size 0x" + Integer.toHexString(bootloaderSize)
                    + " leaves no application flash in 0x" + Integer.toHexString(flashSize));
        }
        if (pageSize <= 0 || Integer.bitCount(pageSize) != 1 || (flashSize - bootloaderSize) % pageSize != 0) {
            throw new IllegalArgumentException("page.size " + pageSize + " is not a power of two that divides the "
                    + "application flash 0x" + Integer.toHexString(flashSize - bootloaderSize));
        }
    }

    /** Bytes of application flash: addresses 0 to {@code applicationSize() - 1}. */
    int applicationSize() {
        return flashSize - bootloaderSize;
    }

    /** {@code atmega328p (flash 0x8000, bootloader 0x200)}. */
    String description() {
        return String.format("%s (flash 0x%x, bootloader 0x%x)", name, flashSize, bootloaderSize);
    }
}
