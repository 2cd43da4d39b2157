package org.updraft.core.mcuboot;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * What {@link ImageSigner} makes, in the terms of {@code imgtool sign}'s options (named in each builder method).
 * Built with {@link #builder(int, ImageVersion, long)}; {@link Builder#build()} refuses a combination imgtool
 * refuses, with a one-line reason.
 */
public final class SignOptions {

    /** How the image names its key: by hash (KEYHASH TLV, imgtool's default) or whole (PUBKEY TLV). */
    public enum KeyFormat { HASH, FULL }

    private final int headerSize;
    private final ImageVersion version;
    private final SlotLayout slot;
    private final boolean padHeader;
    private final boolean pad;
    private final boolean confirm;
    private final OptionalLong securityCounter;
    private final long loadAddress;
    private final long romFixed;
    private final int erasedValue;
    private final boolean nonBootable;
    private final KeyFormat keyFormat;
    private final ImageHash hash;
    private final boolean pure;

    private SignOptions(Builder b) {
        this.headerSize = b.headerSize;
        this.version = b.version;
        this.slot = new SlotLayout(b.slotSize, b.align, b.maxSectors, b.overwriteOnly,
                b.maxAlign != 0 ? b.maxAlign : Math.max(8, b.align));
        this.padHeader = b.padHeader;
        this.pad = b.pad || b.confirm || b.test;
        this.confirm = b.confirm;
        this.securityCounter = b.securityCounter;
        this.loadAddress = b.loadAddress;
        this.romFixed = b.romFixed;
        this.erasedValue = b.erasedValue;
        this.nonBootable = b.nonBootable;
        this.keyFormat = b.keyFormat;
        this.hash = b.hash;
        this.pure = b.pure;
    }

    /**
     * Options with imgtool's required ones: {@code --header-size}, {@code --version} and {@code --slot-size}.
     */
    public static Builder builder(int headerSize, ImageVersion version, long slotSize) {
        return new Builder(headerSize, version, slotSize);
    }

    public int headerSize() {
        return headerSize;
    }

    public ImageVersion version() {
        return version;
    }

    /** The slot: size, alignment, trailer. */
    public SlotLayout slot() {
        return slot;
    }

    public boolean padHeader() {
        return padHeader;
    }

    /** Whether the output is padded to the slot size with a trailer ({@code --pad}, implied by confirm/test). */
    public boolean pad() {
        return pad;
    }

    public boolean confirm() {
        return confirm;
    }

    public OptionalLong securityCounter() {
        return securityCounter;
    }

    /** The header's load address field: {@code --rom-fixed} or {@code --load-addr}. */
    long headerAddress() {
        return romFixed != 0 ? romFixed : loadAddress;
    }

    long flags() {
        long flags = 0;
        if (loadAddress != 0) {
            flags |= ImageHeader.FLAG_RAM_LOAD;
        }
        if (romFixed != 0) {
            flags |= ImageHeader.FLAG_ROM_FIXED;
        }
        if (nonBootable) {
            flags |= ImageHeader.FLAG_NON_BOOTABLE;
        }
        return flags;
    }

    public int erasedValue() {
        return erasedValue;
    }

    public KeyFormat keyFormat() {
        return keyFormat;
    }

    /** The hash chosen with {@code --sha}; null for imgtool's "auto". */
    public ImageHash hash() {
        return hash;
    }

    public boolean pure() {
        return pure;
    }

    /** Sets options one by one; each setter checks its own value, {@link #build()} the combination. */
    public static final class Builder {

        private final int headerSize;
        private final ImageVersion version;
        private final long slotSize;
        private int align = 1;
        private int maxSectors = SlotLayout.DEFAULT_MAX_SECTORS;
        private boolean overwriteOnly;
        private int maxAlign;
        private boolean padHeader;
        private boolean pad;
        private boolean confirm;
        private boolean test;
        private OptionalLong securityCounter = OptionalLong.empty();
        private long loadAddress;
        private long romFixed;
        private int erasedValue = 0xff;
        private boolean nonBootable;
        private KeyFormat keyFormat = KeyFormat.HASH;
        private ImageHash hash;
        private boolean pure;

        private Builder(int headerSize, ImageVersion version, long slotSize) {
            if (headerSize < ImageHeader.SIZE || headerSize > 0xffff) {
                throw new IllegalArgumentException("header size 0x" + Integer.toHexString(headerSize)
                        + " is out of range: at least 0x20 (the header's own fields), at most 0xffff");
            }
            if (slotSize < 0 || slotSize > 0xffff_ffffL) {
                throw new IllegalArgumentException("slot size 0x" + Long.toHexString(slotSize) + " is out of range");
            }
            this.headerSize = headerSize;
            this.version = Objects.requireNonNull(version, "version");
            this.slotSize = slotSize;
        }

        /** {@code --align}: the flash write size, 1, 2, 4, 8, 16 or 32. */
        public Builder align(int align) {
            SlotLayout.of(0, align);
            this.align = align;
            return this;
        }

        /** {@code --max-sectors}. */
        public Builder maxSectors(int maxSectors) {
            if (maxSectors < 1) {
                throw new IllegalArgumentException("max sectors must be at least 1, not " + maxSectors);
            }
            this.maxSectors = maxSectors;
            return this;
        }

        /** {@code --overwrite-only}. */
        public Builder overwriteOnly(boolean overwriteOnly) {
            this.overwriteOnly = overwriteOnly;
            return this;
        }

        /** {@code --max-align}: 8, 16 or 32. */
        public Builder maxAlign(int maxAlign) {
            if (maxAlign != 8 && maxAlign != 16 && maxAlign != 32) {
                throw new IllegalArgumentException("max alignment " + maxAlign + " is not one of 8, 16, 32");
            }
            this.maxAlign = maxAlign;
            return this;
        }

        /** {@code --pad-header}: put the header in front of the input rather than over its zeroed first bytes. */
        public Builder padHeader(boolean padHeader) {
            this.padHeader = padHeader;
            return this;
        }

        /** {@code --pad}: pad to the slot size and write the trailer's boot magic. */
        public Builder pad(boolean pad) {
            this.pad = pad;
            return this;
        }

        /** {@code --confirm}: pad, and mark the image confirmed (image_ok = 1). */
        public Builder confirm(boolean confirm) {
            this.confirm = confirm;
            return this;
        }

        /** {@code --test}: pad, leaving the image unconfirmed (a test swap). */
        public Builder test(boolean test) {
            this.test = test;
            return this;
        }

        /** {@code --security-counter N}: a protected SEC_CNT TLV (32-bit). */
        public Builder securityCounter(long counter) {
            if (counter < 0 || counter > 0xffff_ffffL) {
                throw new IllegalArgumentException("security counter " + counter + " is out of range (0 to "
                        + 0xffff_ffffL + ")");
            }
            this.securityCounter = OptionalLong.of(counter);
            return this;
        }

        /** {@code --security-counter auto}: the counter from the version, {@link ImageVersion#securityCounter()}. */
        public Builder securityCounterFromVersion() {
            return securityCounter(version.securityCounter());
        }

        /** {@code --load-addr}: a RAM-load image (sets RAM_LOAD when not 0). */
        public Builder loadAddress(long address) {
            this.loadAddress = address32("load address", address);
            return this;
        }

        /** {@code --rom-fixed}: the address an image must run from (sets ROM_FIXED when not 0). */
        public Builder romFixed(long address) {
            this.romFixed = address32("ROM-fixed address", address);
            return this;
        }

        /** {@code --erased-val}: 0 or 0xff, the value of erased flash (padding). */
        public Builder erasedValue(int value) {
            if (value != 0 && value != 0xff) {
                throw new IllegalArgumentException("erased value must be 0 or 0xff, not 0x"
                        + Integer.toHexString(value));
            }
            this.erasedValue = value;
            return this;
        }

        /** {@code --non-bootable}. */
        public Builder nonBootable(boolean nonBootable) {
            this.nonBootable = nonBootable;
            return this;
        }

        /** {@code --public-key-format hash|full}. */
        public Builder keyFormat(KeyFormat format) {
            this.keyFormat = Objects.requireNonNull(format, "format");
            return this;
        }

        /** {@code --sha 256|384|512}; null is imgtool's "auto". */
        public Builder hash(ImageHash hash) {
            this.hash = hash;
            return this;
        }

        /** {@code --pure}: an Ed25519 signature over the image itself, hashed with SHA-512. */
        public Builder pure(boolean pure) {
            this.pure = pure;
            return this;
        }

        public SignOptions build() {
            if (loadAddress != 0 && romFixed != 0) {
                throw new IllegalArgumentException("--load-addr and --rom-fixed exclude each other");
            }
            if (pure && hash != null) {
                throw new IllegalArgumentException("a pure signature uses SHA-512; --sha cannot be chosen with it");
            }
            SignOptions options = new SignOptions(this);
            if (options.pad && slotSize == 0) {
                throw new IllegalArgumentException("padding needs a slot size");
            }
            return options;
        }

        private static long address32(String what, long address) {
            if (address < 0 || address > 0xffff_ffffL) {
                throw new IllegalArgumentException(what + " 0x" + Long.toHexString(address) + " is not 32-bit");
            }
            return address;
        }
    }
}
