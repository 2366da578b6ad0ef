package dev.ukemu.devices.pci;

/**
 * The i440FX PCI and memory controller at 00:00.0 (Intel 82441FX, {@code hw/pci-host/i440fx.c}).
 * Guests only identify it; the PAM and SMRAM registers are plain storage here because ukemu's
 * BIOS area is always RAM-backed and there is no SMM.
 */
public final class I440fxHostBridge extends PciDevice {
    public static final int VENDOR_INTEL = 0x8086;
    public static final int DEVICE_ID_82441 = 0x1237;
    public static final int REVISION = 0x02;
    public static final int CLASS_BRIDGE_HOST = 0x060000;
    /** SMRAM control register and its reset value (QEMU's I440FX_SMRAM). */
    public static final int SMRAM = 0x72, SMRAM_RESET = 0x02;

    public I440fxHostBridge() {
        super("i440FX host bridge", VENDOR_INTEL, DEVICE_ID_82441, REVISION, CLASS_BRIDGE_HOST, HEADER_TYPE_NORMAL);
        setByte(SMRAM, SMRAM_RESET);
    }

    @Override
    public void reset() {
        super.reset();
        synchronized (this) {
            setByte(SMRAM, SMRAM_RESET);
        }
    }
}
