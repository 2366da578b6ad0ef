package dev.ukemu.loader.acpi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.core.memory.MemoryLayout;
import dev.ukemu.loader.acpi.GuestAcpiReader.MadtEntry;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AcpiTablesTest {
    private GuestMemory mem;

    @AfterEach
    void close() {
        if (mem != null) {
            mem.close();
        }
    }

    private GuestAcpiReader install(AcpiConfig cfg) {
        if (mem != null) {
            mem.close();
        }
        mem = new GuestMemory(MemoryLayout.of(16 * MemoryLayout.MIB));
        AcpiTables.Result result = AcpiTables.install(mem, cfg);
        GuestAcpiReader acpi = new GuestAcpiReader(mem);
        assertEquals(result.rsdpAddress(), acpi.rsdp, "the scan finds the RSDP the result names");
        return acpi;
    }

    // ---- RSDP, RSDT, XSDT ---------------------------------------------------------------------

    @Test
    void rsdpIsFoundByTheBiosAreaScanAndPointsToBothRootTables() {
        GuestAcpiReader acpi = install(new AcpiConfig(1));
        assertEquals(0, acpi.rsdp % 16);
        assertEquals("UKEMU ", acpi.ascii(acpi.rsdp + 9, 6));
        assertTrue(acpi.rsdtAddress != 0 && acpi.xsdtAddress != 0);
        assertEquals(List.of("FACP", "APIC"), List.copyOf(acpi.viaRsdt.keySet()));
        assertEquals(acpi.viaRsdt, acpi.viaXsdt, "RSDT and XSDT list the same tables");
    }

    @Test
    void rsdpChecksumsAreEachRightOnTheirOwn() {
        byte[] rsdp = Rsdp.build(0xE1000, 0xE2000);
        assertEquals(Rsdp.SIZE, rsdp.length);
        assertEquals(0, TableBuilder.sum(rsdp, 0, Rsdp.V1_SIZE));
        assertEquals(0, TableBuilder.sum(rsdp, 0, Rsdp.SIZE));
        assertEquals(0xE1000, readU32(rsdp, Rsdp.RSDT_ADDRESS));
        assertEquals(0xE2000, readU32(rsdp, Rsdp.XSDT_ADDRESS));
    }

    @Test
    void everyTableLiesInTheBiosAreaWithoutOverlap() {
        mem = new GuestMemory(MemoryLayout.of(16 * MemoryLayout.MIB));
        AcpiTables.Result result = AcpiTables.install(mem, new AcpiConfig(4));
        assertEquals(List.of("RSD PTR ", "FACS", "DSDT", "FACP", "APIC", "RSDT", "XSDT"),
                result.tables().stream().map(AcpiTables.Table::signature).toList());
        long previousEnd = MemoryLayout.BIOS_START;
        for (AcpiTables.Table t : result.tables()) {
            assertTrue(t.address() >= previousEnd, t + " overlaps the one before");
            assertTrue(MemoryLayout.isBiosRom(t.address()) && MemoryLayout.isBiosRom(t.end() - 1), t.toString());
            assertEquals(0, t.address() % 16, t + " is 16-byte aligned");
            previousEnd = t.end();
        }
        assertEquals(AcpiTables.AREA_START, result.start());
        assertEquals(result.table("XSDT").end(), result.end());
    }

    @ParameterizedTest
    @ValueSource(ints = {64, AcpiConfig.MAX_CPUS})
    void tablesForManyCpusFitInTheBiosArea(int cpus) {
        mem = new GuestMemory(MemoryLayout.of(16 * MemoryLayout.MIB));
        AcpiTables.Result result = AcpiTables.install(mem, new AcpiConfig(cpus));
        assertTrue(result.end() <= AcpiTables.AREA_END, "ends at 0x" + Long.toHexString(result.end()));
        assertTrue(result.end() <= MemoryLayout.BIOS_END);
        new GuestAcpiReader(mem);
    }

    @Test
    void installingAgainLeavesOneConsistentSetOfTables() {
        GuestAcpiReader acpi = install(new AcpiConfig(64));
        AcpiTables.install(mem, new AcpiConfig(2));
        acpi = new GuestAcpiReader(mem);
        assertEquals(2, localApics(acpi.madtEntries()).size());
    }

    // ---- FADT and FACS ------------------------------------------------------------------------

    @Test
    void fadtDescribesThePiix4PmBlockResetRegisterAndTables() {
        GuestAcpiReader acpi = install(new AcpiConfig(2));
        long fadt = acpi.table("FACP");
        assertEquals(3, mem.readByte(fadt + 8), "revision");
        assertEquals(244, acpi.length(fadt));

        long facs = mem.readInt(fadt + Fadt.FIRMWARE_CTRL) & 0xFFFF_FFFFL;
        long dsdt = mem.readInt(fadt + Fadt.DSDT) & 0xFFFF_FFFFL;
        assertTrue(facs != 0 && dsdt != 0);
        assertEquals(0, mem.readLong(fadt + Fadt.X_FIRMWARE_CTRL), "ACPI 5.0+: not both FACS pointers");
        assertEquals(dsdt, mem.readLong(fadt + Fadt.X_DSDT));

        assertEquals(9, mem.readShort(fadt + Fadt.SCI_INT));
        assertEquals(0, mem.readInt(fadt + Fadt.SMI_CMD), "no SMM: always in ACPI mode");
        assertEquals(0, mem.readShort(fadt + Fadt.ACPI_ENABLE));
        assertEquals(0x600, mem.readInt(fadt + Fadt.PM1A_EVT_BLK));
        assertEquals(0, mem.readInt(fadt + Fadt.PM1B_EVT_BLK));
        assertEquals(0x604, mem.readInt(fadt + Fadt.PM1A_CNT_BLK));
        assertEquals(0, mem.readInt(fadt + Fadt.PM1B_CNT_BLK));
        assertEquals(0, mem.readInt(fadt + Fadt.PM2_CNT_BLK));
        assertEquals(0x608, mem.readInt(fadt + Fadt.PM_TMR_BLK));
        assertEquals(0, mem.readInt(fadt + Fadt.GPE0_BLK));
        assertEquals(4, mem.readByte(fadt + Fadt.PM1_EVT_LEN));
        assertEquals(2, mem.readByte(fadt + Fadt.PM1_CNT_LEN));
        assertEquals(0, mem.readByte(fadt + Fadt.PM2_CNT_LEN));
        assertEquals(4, mem.readByte(fadt + Fadt.PM_TMR_LEN));
        assertEquals(0x0FFF, mem.readShort(fadt + Fadt.P_LVL2_LAT));
        assertEquals(0x0FFF, mem.readShort(fadt + Fadt.P_LVL3_LAT));
        assertEquals(0x32, mem.readByte(fadt + Fadt.CENTURY));
        assertEquals(0x0003, mem.readShort(fadt + Fadt.IAPC_BOOT_ARCH), "legacy devices and 8042");

        int flags = mem.readInt(fadt + Fadt.FLAGS);
        int wbinvd = 1 << 0, procC1 = 1 << 2, slpButton = 1 << 5, rtcS4 = 1 << 7, tmrValExt = 1 << 8;
        int resetRegSup = 1 << 10, platformClock = 1 << 15, cluster = 1 << 18, hwReduced = 1 << 20;
        assertEquals(wbinvd | procC1 | slpButton | rtcS4 | resetRegSup | platformClock, flags);
        assertEquals(0, flags & (tmrValExt | cluster | hwReduced), "24-bit timer, flat APIC, full hardware");

        assertGas(fadt + Fadt.RESET_REG, 1, 8, 0xCF9);
        assertEquals(6, mem.readByte(fadt + Fadt.RESET_VALUE));
        assertGas(fadt + Fadt.X_PM1A_EVT_BLK, 1, 32, 0x600);
        assertGas(fadt + Fadt.X_PM1A_CNT_BLK, 1, 16, 0x604);
        assertGas(fadt + Fadt.X_PM_TMR_BLK, 1, 32, 0x608);
        for (int absent : new int[] {Fadt.X_PM1B_EVT_BLK, Fadt.X_PM1B_CNT_BLK, Fadt.X_PM2_CNT_BLK,
                Fadt.X_GPE0_BLK, Fadt.X_GPE1_BLK}) {
            assertArrayEquals(new byte[Gas.SIZE], mem.read(fadt + absent, Gas.SIZE), "absent register at " + absent);
        }
    }

    @Test
    void fadtAsksForClusteredApicModeAboveEightCpusAsQemuDoes() {
        int cluster = 1 << 18;
        GuestAcpiReader eight = install(new AcpiConfig(8));
        assertEquals(0, mem.readInt(eight.table("FACP") + Fadt.FLAGS) & cluster);
        GuestAcpiReader nine = install(new AcpiConfig(9));
        assertEquals(cluster, mem.readInt(nine.table("FACP") + Fadt.FLAGS) & cluster);
    }

    @Test
    void facsIsAlignedAndSized() {
        GuestAcpiReader acpi = install(new AcpiConfig(1));
        long facs = acpi.table("FACS");
        assertEquals(0, facs % 64);
        assertEquals("FACS", acpi.ascii(facs, 4));
        assertEquals(64, mem.readInt(facs + 4));
        assertEquals(0, mem.readInt(facs + Facs.GLOBAL_LOCK));
        assertEquals(0, mem.readInt(facs + Facs.WAKING_VECTOR));
    }

    // ---- DSDT ---------------------------------------------------------------------------------

    @Test
    void dsdtNamesSoftOffWithSleepTypeZero() {
        GuestAcpiReader acpi = install(new AcpiConfig(1));
        long dsdt = acpi.table("DSDT");
        assertEquals("DSDT", acpi.checkTable(dsdt, "DSDT"));
        assertEquals(2, mem.readByte(dsdt + 8), "64-bit AML integers");
        byte[] aml = java.util.Arrays.copyOfRange(acpi.bytes(dsdt), 36, acpi.length(dsdt));
        assertArrayEquals(new long[] {0, 0, 0, 0}, namedPackage(aml, "_S5_"), "_S5_: SLP_TYP 0 as the PIIX4's");
        assertArrayEquals(new long[] {0, 0, 0, 0}, namedPackage(aml, "_S0_"));
        assertNull(namedPackage(aml, "_S3_"), "no S3: the PM block does not implement it");
    }

    /**
     * The integer elements of {@code Name(name, Package(){...})} among the top-level terms of
     * {@code aml}, or null if there is no such name. Reads only what a simple body holds.
     */
    private static long[] namedPackage(byte[] aml, String name) {
        int p = 0;
        while (p < aml.length) {
            assertEquals(Dsdt.NAME_OP, aml[p], "only Name terms at the top level");
            String seg = new String(aml, p + 1, 4, java.nio.charset.StandardCharsets.US_ASCII);
            p += 5;
            assertEquals(Dsdt.PACKAGE_OP, aml[p], seg + " is a package");
            int pkgLength = aml[p + 1] & 0xFF;
            assertEquals(0, pkgLength >> 6, "one-byte PkgLength");
            int count = aml[p + 2] & 0xFF;
            int end = p + 1 + pkgLength;
            long[] values = new long[count];
            int q = p + 3;
            for (int i = 0; i < count; i++) {
                int op = aml[q++] & 0xFF;
                values[i] = switch (op) {
                    case 0x00 -> 0; // ZeroOp
                    case 0x01 -> 1; // OneOp
                    case 0x0A -> aml[q++] & 0xFF; // BytePrefix
                    default -> throw new AssertionError("unexpected AML opcode 0x" + Integer.toHexString(op));
                };
            }
            assertEquals(end, q, seg + " PkgLength covers exactly its elements");
            if (seg.equals(name)) {
                return values;
            }
            p = end;
        }
        return null;
    }

    // ---- MADT ---------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 64})
    void madtListsEveryCpuInApicIdOrderThenTheIoApicAndOverrides(int cpus) {
        GuestAcpiReader acpi = install(new AcpiConfig(cpus));
        long madt = acpi.table("APIC");
        assertEquals(3, mem.readByte(madt + 8), "revision");
        assertEquals(0xFEE00000, mem.readInt(madt + Madt.LOCAL_APIC_ADDRESS));
        assertEquals(1, mem.readInt(madt + Madt.FLAGS), "PCAT_COMPAT");

        List<MadtEntry> entries = acpi.madtEntries();
        List<MadtEntry> cpusSeen = localApics(entries);
        assertEquals(cpus, cpusSeen.size());
        for (int i = 0; i < cpus; i++) {
            MadtEntry e = cpusSeen.get(i);
            assertEquals(0, e.type(), "xAPIC entries for IDs up to 254");
            assertEquals(8, e.b().length);
            assertEquals(i, e.u8(2), "ACPI processor UID");
            assertEquals(i, e.u8(3), "APIC ID in table order");
            assertEquals(1, e.u32(4), "enabled");
        }
        // All CPUs come first, as Unikraft and QEMU order them.
        assertTrue(entries.subList(0, cpus).stream().allMatch(e -> e.type() == 0));

        List<MadtEntry> ioApics = ofType(entries, 1);
        assertEquals(1, ioApics.size());
        MadtEntry io = ioApics.getFirst();
        assertEquals(12, io.b().length);
        assertEquals(cpus, io.u8(2), "I/O APIC ID after the CPUs'");
        assertEquals(0xFEC00000L, io.u32(4));
        assertEquals(0, io.u32(8), "GSI base");

        assertEquals(List.of("irq 0 -> gsi 2 flags 0x0", "irq 9 -> gsi 9 flags 0xd"), overrides(entries));

        List<MadtEntry> nmis = ofType(entries, 4);
        assertEquals(1, nmis.size());
        MadtEntry nmi = nmis.getFirst();
        assertEquals(6, nmi.b().length);
        assertEquals(0xFF, nmi.u8(2), "all processors");
        assertEquals(0, nmi.u16(3), "flags");
        assertEquals(1, nmi.u8(5), "LINT1");
        assertTrue(ofType(entries, 9).isEmpty() && ofType(entries, 0x0A).isEmpty(), "no x2APIC entries");
        assertEquals(cpus + 1 + 2 + 1, entries.size(), "nothing else");
    }

    @Test
    void cpusFromTheX2apicThresholdOnGetX2apicEntriesStillInIdOrder() {
        GuestAcpiReader acpi = install(new AcpiConfig(4).withFirstX2apicId(2));
        List<MadtEntry> entries = acpi.madtEntries();
        List<MadtEntry> cpus = localApics(entries);
        assertEquals(List.of(0, 0, 9, 9), cpus.stream().map(MadtEntry::type).toList());
        for (int i = 0; i < 4; i++) {
            MadtEntry e = cpus.get(i);
            if (e.type() == 9) {
                assertEquals(16, e.b().length);
                assertEquals(0, e.u16(2), "reserved");
                assertEquals(i, e.u32(4), "x2APIC ID");
                assertEquals(1, e.u32(8), "enabled");
                assertEquals(i, e.u32(12), "ACPI processor UID");
            } else {
                assertEquals(i, e.u8(3));
            }
        }
        assertEquals(List.of(0L, 1L, 2L, 3L), apicIds(cpus));
        List<MadtEntry> x2nmi = ofType(entries, 0x0A);
        assertEquals(1, x2nmi.size(), "an x2APIC NMI structure for the x2APIC entries");
        assertEquals(12, x2nmi.getFirst().b().length);
        assertEquals(0xFFFF_FFFFL, x2nmi.getFirst().u32(4), "all processors");
        assertEquals(1, x2nmi.getFirst().u8(8), "LINT1");
        assertEquals(1, ofType(entries, 4).size(), "and the xAPIC one for the others");
    }

    @Test
    void anX2apicThresholdOfZeroDescribesEveryCpuByX2apic() {
        GuestAcpiReader acpi = install(new AcpiConfig(64).withFirstX2apicId(0));
        List<MadtEntry> cpus = localApics(acpi.madtEntries());
        assertTrue(cpus.stream().allMatch(e -> e.type() == 9));
        List<Long> expected = new ArrayList<>();
        for (long i = 0; i < 64; i++) {
            expected.add(i);
        }
        assertEquals(expected, apicIds(cpus));
    }

    @Test
    void pciInterruptLinesCanBeDeclaredLevelTriggered() {
        GuestAcpiReader acpi = install(new AcpiConfig(1).withLevelIrqs(11, 5));
        assertEquals(List.of("irq 0 -> gsi 2 flags 0x0", "irq 5 -> gsi 5 flags 0xd",
                "irq 9 -> gsi 9 flags 0xd", "irq 11 -> gsi 11 flags 0xd"), overrides(acpi.madtEntries()));
    }

    @Test
    void configRejectsWhatTheTablesCannotDescribe() {
        assertThrows(IllegalArgumentException.class, () -> new AcpiConfig(0));
        assertThrows(IllegalArgumentException.class, () -> new AcpiConfig(AcpiConfig.MAX_CPUS + 1));
        assertThrows(IllegalArgumentException.class, () -> new AcpiConfig(1).withFirstX2apicId(256));
        assertThrows(IllegalArgumentException.class, () -> new AcpiConfig(1).withLevelIrqs(0));
        assertThrows(IllegalArgumentException.class, () -> new AcpiConfig(1).withLevelIrqs(2));
        assertThrows(IllegalArgumentException.class, () -> new AcpiConfig(1).withLevelIrqs(16));
        assertEquals(1 << 9, new AcpiConfig(1, 255, 0).levelIrqMask(), "the SCI is always level");
    }

    @Test
    void headerFieldsAreWhereTheSpecificationPutsThem() {
        byte[] t = TableBuilder.sdt("TEST", 7).u32(0x11223344).finish();
        assertEquals(40, t.length);
        assertEquals(40, readU32(t, TableBuilder.LENGTH));
        assertEquals(7, t[TableBuilder.REVISION]);
        assertEquals(0, TableBuilder.sum(t, 0, t.length));
        assertEquals(0x11223344, readU32(t, 36));
        assertThrows(IllegalArgumentException.class, () -> TableBuilder.raw().ascii("TOOLONG", 4));
    }

    // ---- helpers ------------------------------------------------------------------------------

    private void assertGas(long at, int space, int bits, long address) {
        assertEquals(space, mem.readByte(at), "space ID");
        assertEquals(bits, mem.readByte(at + 1), "bit width");
        assertEquals(0, mem.readByte(at + 2), "bit offset");
        assertEquals(0, mem.readByte(at + 3), "access size");
        assertEquals(address, mem.readLong(at + 4), "address");
    }

    private static List<MadtEntry> ofType(List<MadtEntry> entries, int type) {
        return entries.stream().filter(e -> e.type() == type).toList();
    }

    private static List<MadtEntry> localApics(List<MadtEntry> entries) {
        return entries.stream().filter(e -> e.type() == 0 || e.type() == 9).toList();
    }

    private static List<Long> apicIds(List<MadtEntry> cpus) {
        return cpus.stream().map(e -> e.type() == 0 ? (long) e.u8(3) : e.u32(4)).toList();
    }

    private static List<String> overrides(List<MadtEntry> entries) {
        return ofType(entries, 2).stream().map(e -> {
            assertEquals(10, e.b().length);
            assertEquals(0, e.u8(2), "ISA bus");
            return "irq " + e.u8(3) + " -> gsi " + e.u32(4) + " flags 0x" + Integer.toHexString(e.u16(8));
        }).toList();
    }

    private static long readU32(byte[] b, int off) {
        return (b[off] & 0xFFL) | (b[off + 1] & 0xFFL) << 8 | (b[off + 2] & 0xFFL) << 16 | (b[off + 3] & 0xFFL) << 24;
    }
}
