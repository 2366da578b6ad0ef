package dev.ukemu.loader.acpi;

/**
 * The Fixed ACPI Description Table (ACPI 6.5 section 5.2.9), signature {@code FACP}: where the
 * fixed-hardware registers are, the SCI, the reset register, and the FACS and DSDT. Revision 3
 * (the ACPI 2.0 layout, 244 bytes, as QEMU's {@code build_fadt} writes it), so that the
 * {@code X_} 64-bit Generic Address fields and the reset register are present.
 *
 * <p>The values are QEMU's {@code pc} machine's ({@code hw/i386/acpi-build.c},
 * {@code init_common_fadt_data}) with the PIIX4 PM block at I/O 0x600 (see
 * {@code dev.ukemu.devices.acpi.AcpiPm}), except SMI_CMD: there is no SMM and no legacy mode, so
 * SMI_CMD is 0 (table 5.9: zero where System Management mode is not supported) and the OS never
 * switches modes. It takes SCI_EN in PM1a_CNT as the sign that ACPI mode is on, so the PM block
 * must read back SCI_EN = 1 from power-on and after every reset.
 */
final class Fadt {
    static final String SIGNATURE_VALUE = "FACP";
    static final int REVISION_VALUE = 3;
    static final int SIZE = 244;

    /** Table 5.9 offsets. */
    static final int FIRMWARE_CTRL = 36, DSDT = 40, INT_MODEL = 44, PREFERRED_PM_PROFILE = 45,
            SCI_INT = 46, SMI_CMD = 48, ACPI_ENABLE = 52, ACPI_DISABLE = 53, PM1A_EVT_BLK = 56,
            PM1B_EVT_BLK = 60, PM1A_CNT_BLK = 64, PM1B_CNT_BLK = 68, PM2_CNT_BLK = 72, PM_TMR_BLK = 76,
            GPE0_BLK = 80, GPE1_BLK = 84, PM1_EVT_LEN = 88, PM1_CNT_LEN = 89, PM2_CNT_LEN = 90,
            PM_TMR_LEN = 91, GPE0_BLK_LEN = 92, GPE1_BLK_LEN = 93, P_LVL2_LAT = 96, P_LVL3_LAT = 98,
            CENTURY = 108, IAPC_BOOT_ARCH = 109, FLAGS = 112, RESET_REG = 116, RESET_VALUE = 128,
            X_FIRMWARE_CTRL = 132, X_DSDT = 140, X_PM1A_EVT_BLK = 148, X_PM1B_EVT_BLK = 160,
            X_PM1A_CNT_BLK = 172, X_PM1B_CNT_BLK = 184, X_PM2_CNT_BLK = 196, X_PM_TMR_BLK = 208,
            X_GPE0_BLK = 220, X_GPE1_BLK = 232;

    /** QEMU's PIIX4 PM I/O base and the register blocks within it ({@code hw/acpi/core.c}). */
    static final int PM_BASE = 0x600;
    static final int PM1A_EVT_PORT = PM_BASE, PM1A_CNT_PORT = PM_BASE + 4, PM_TMR_PORT = PM_BASE + 8;
    static final int PM1_EVT_LEN_VALUE = 4, PM1_CNT_LEN_VALUE = 2, PM_TMR_LEN_VALUE = 4;
    /** The SCI: ISA IRQ 9 on the PIIX4, level-triggered, active high (see the MADT override). */
    static final int SCI_IRQ = 9;
    /** The PIIX reset control register and the value that hard-resets the system (SYS_RST | RST_CPU). */
    static final int RESET_PORT = 0xCF9, RESET_VALUE_VALUE = 0x06;
    /** 1: multiple APIC; reserved since ACPI 2.0 but still written by QEMU. */
    static final int INT_MODEL_VALUE = 1;
    /** C2 and C3 latencies above 100 and 1000 µs: those states are not supported. */
    static final int NO_C2_LATENCY = 0x0FFF, NO_C3_LATENCY = 0x0FFF;
    /** The CMOS RTC register holding the century (QEMU's {@code RTC_CENTURY}). */
    static final int CENTURY_VALUE = 0x32;

    /** Table 5.10: IA-PC boot architecture flags. */
    static final int BOOT_LEGACY_DEVICES = 1 << 0, BOOT_8042 = 1 << 1;
    static final int IAPC_BOOT_ARCH_VALUE = BOOT_LEGACY_DEVICES | BOOT_8042;

    /** Table 5.11: fixed feature flags. */
    static final int WBINVD = 1 << 0, PROC_C1 = 1 << 2, SLP_BUTTON = 1 << 5, RTC_S4 = 1 << 7,
            TMR_VAL_EXT = 1 << 8, RESET_REG_SUP = 1 << 10, USE_PLATFORM_CLOCK = 1 << 15,
            FORCE_APIC_CLUSTER_MODEL = 1 << 18;
    /**
     * What QEMU sets: WBINVD works, C1 on every CPU, no fixed sleep button (control method, of
     * which there is none), RTC wakes from S4, the reset register, and platform clocks (not the
     * TSC) for time. The power button is the fixed one (PWR_BUTTON clear); the PM timer is 24
     * bits (TMR_VAL_EXT clear).
     */
    static final int BASE_FLAGS = WBINVD | PROC_C1 | SLP_BUTTON | RTC_S4 | RESET_REG_SUP | USE_PLATFORM_CLOCK;
    /** QEMU asks for clustered logical APIC destinations above 8 CPUs, flat mode's limit. */
    static final int FLAT_APIC_CPU_LIMIT = 8;

    static final Gas PM1A_EVT = Gas.io(PM1A_EVT_PORT, 8 * PM1_EVT_LEN_VALUE);
    static final Gas PM1A_CNT = Gas.io(PM1A_CNT_PORT, 8 * PM1_CNT_LEN_VALUE);
    static final Gas PM_TMR = Gas.io(PM_TMR_PORT, 8 * PM_TMR_LEN_VALUE);
    static final Gas RESET = Gas.io(RESET_PORT, 8);

    private Fadt() {
    }

    static int flags(int cpuCount) {
        return BASE_FLAGS | (cpuCount > FLAT_APIC_CPU_LIMIT ? FORCE_APIC_CLUSTER_MODEL : 0);
    }

    /**
     * The FACS gets only the 32-bit pointer: from ACPI 5.0 on, X_FIRMWARE_CTRL must be zero when
     * FIRMWARE_CTRL is set (QEMU does the same). The DSDT gets both, which may coexist.
     */
    static byte[] build(long facsAddress, long dsdtAddress, int cpuCount) {
        if ((facsAddress | dsdtAddress) >>> 32 != 0) {
            throw new IllegalArgumentException("the FACS and DSDT must lie below 4 GiB");
        }
        TableBuilder t = TableBuilder.sdt(SIGNATURE_VALUE, REVISION_VALUE)
                .u32(facsAddress)
                .u32(dsdtAddress)
                .u8(INT_MODEL_VALUE)
                .u8(0) // preferred PM profile: unspecified
                .u16(SCI_IRQ)
                .u32(0) // SMI_CMD: no SMM, always in ACPI mode
                .u8(0) // ACPI_ENABLE
                .u8(0) // ACPI_DISABLE
                .u8(0) // S4BIOS_REQ
                .u8(0) // PSTATE_CNT
                .u32(PM1A_EVT_PORT)
                .u32(0) // PM1b_EVT_BLK
                .u32(PM1A_CNT_PORT)
                .u32(0) // PM1b_CNT_BLK
                .u32(0) // PM2_CNT_BLK
                .u32(PM_TMR_PORT)
                .u32(0) // GPE0_BLK: no general-purpose events yet
                .u32(0) // GPE1_BLK
                .u8(PM1_EVT_LEN_VALUE)
                .u8(PM1_CNT_LEN_VALUE)
                .u8(0) // PM2_CNT_LEN
                .u8(PM_TMR_LEN_VALUE)
                .u8(0) // GPE0_BLK_LEN
                .u8(0) // GPE1_BLK_LEN
                .u8(0) // GPE1_BASE
                .u8(0) // CST_CNT
                .u16(NO_C2_LATENCY)
                .u16(NO_C3_LATENCY)
                .u16(0) // FLUSH_SIZE
                .u16(0) // FLUSH_STRIDE
                .u8(0) // DUTY_OFFSET
                .u8(0) // DUTY_WIDTH
                .u8(0) // DAY_ALRM
                .u8(0) // MON_ALRM
                .u8(CENTURY_VALUE)
                .u16(IAPC_BOOT_ARCH_VALUE)
                .u8(0) // reserved
                .u32(flags(cpuCount))
                .gas(RESET)
                .u8(RESET_VALUE_VALUE)
                .zeros(3) // reserved before ACPI 5.1 (ARM_BOOT_ARCH, minor version)
                .u64(0) // X_FIRMWARE_CTRL
                .u64(dsdtAddress)
                .gas(PM1A_EVT)
                .gas(Gas.NONE) // X_PM1b_EVT_BLK
                .gas(PM1A_CNT)
                .gas(Gas.NONE) // X_PM1b_CNT_BLK
                .gas(Gas.NONE) // X_PM2_CNT_BLK
                .gas(PM_TMR)
                .gas(Gas.NONE) // X_GPE0_BLK
                .gas(Gas.NONE); // X_GPE1_BLK
        if (t.size() != SIZE) {
            throw new IllegalStateException("FADT is " + t.size() + " bytes, not " + SIZE);
        }
        return t.finish();
    }
}
