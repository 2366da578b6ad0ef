package dev.ukemu.devices.pci;

import dev.ukemu.core.bus.Bus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Leaves bus 0 as SeaBIOS's {@code pci_setup} ({@code src/fw/pciinit.c}) does on QEMU's pc
 * machine, for kernels booted without a BIOS. Everything goes through configuration cycles, as
 * the firmware's own code would:
 * <ul>
 *   <li>every BAR is sized (all ones written, mask read back) and placed: I/O from 0xC000 up,
 *       memory BARs packed downwards from 0xFEC00000 (prefetchable and non-prefetchable in two
 *       regions, each sorted by alignment then size), 64-bit BARs above RAM only when the 32-bit
 *       window is too small;</li>
 *   <li>the interrupt line of each function with a pin is set from the PIIX routing, with PIRQ
 *       A-D sent to IRQ 10, 10, 11, 11 (so slot 3 INTA, on PIRQC, is IRQ 11) and those IRQs made
 *       level-triggered in the ELCR;</li>
 *   <li>the PIIX4 PM block is enabled at 0x600 with its SCI line reported as 9;</li>
 *   <li>I/O, memory and SERR decoding are enabled. ukemu also sets bus master, which SeaBIOS
 *       leaves to drivers: a driver that never sets it would find its device unable to DMA.</li>
 * </ul>
 */
public final class PciFirmware {
    /** Host IRQs for PIRQ A-D (SeaBIOS's {@code pci_irqs}). */
    public static final int[] PIRQ_IRQS = {10, 10, 11, 11};
    public static final int IO_BASE = 0xC000, IO_BASE_LARGE = 0x1000;
    public static final int IO_SMALL_LIMIT = 0x4000, IO_LARGE_LIMIT = 0x9000;
    /** Top of the 32-bit PCI memory window (BUILD_PCIMEM_END: the I/O APIC starts there). */
    public static final long PCIMEM_END = 0xFEC00000L;
    public static final long DEVICE_MEM_MIN = 0x1000;
    public static final int PM_BASE = 0x600, SMB_BASE = 0xB100;
    public static final int ELCR_PORT = 0x4D0;
    public static final long GIB = 1L << 30;

    private enum Region { IO, MEM, PREFMEM }

    private record Entry(int devfn, int bar, long size, boolean is64, Region region) {
    }

    private PciFirmware() {
    }

    /**
     * Sets up every function on {@code bus}.
     *
     * @param ports where the ELCR lives (0x4D0/0x4D1)
     * @param ramBelow4g bytes of RAM below 4 GiB (where the PCI window may start)
     * @param ramAbove4g bytes of RAM above 4 GiB (64-bit BARs go after it)
     */
    public static void setup(PciBus bus, Bus ports, long ramBelow4g, long ramAbove4g) {
        long pcimemStart = ramBelow4g;
        PciDevice host = bus.device(0);
        if (host != null && host.vendorId() == I440fxHostBridge.VENDOR_INTEL
                && host.deviceId() == I440fxHostBridge.DEVICE_ID_82441) {
            if (ramBelow4g <= 0x80000000L) {
                pcimemStart = 0x80000000L;
            } else if (ramBelow4g <= 0xC0000000L) {
                pcimemStart = 0xC0000000L;
            }
        }
        List<Entry> entries = new ArrayList<>();
        for (PciDevice d : bus.devices()) {
            sizeBars(bus, d.devfn(), entries);
        }
        mapDevices(bus, entries, pcimemStart, ramAbove4g);
        for (PciDevice d : bus.devices()) {
            initDevice(bus, ports, d.devfn());
        }
    }

    private static void sizeBars(PciBus bus, int devfn, List<Entry> out) {
        for (int i = 0; i < PciDevice.BAR_COUNT; i++) {
            int reg = PciDevice.BAR0 + 4 * i;
            long old = bus.configRead(0, devfn, reg, 4);
            boolean io = (old & PciDevice.BAR_SPACE_IO) != 0;
            boolean is64 = !io && (old & 0x6) == PciDevice.BAR_MEM_TYPE_64;
            long mask = io ? ~0x3L : ~0xFL;
            bus.configWrite(0, devfn, reg, 4, 0xFFFFFFFFL);
            long val = bus.configRead(0, devfn, reg, 4);
            bus.configWrite(0, devfn, reg, 4, old);
            long size;
            if (is64) {
                long hold = bus.configRead(0, devfn, reg + 4, 4);
                bus.configWrite(0, devfn, reg + 4, 4, 0xFFFFFFFFL);
                long high = bus.configRead(0, devfn, reg + 4, 4);
                bus.configWrite(0, devfn, reg + 4, 4, hold);
                val |= high << 32;
                mask |= 0xFFFFFFFFL << 32;
                size = ~(val & (mask | 0xFFFFFFFF00000000L)) + 1;
            } else {
                size = (~(val & mask) + 1) & 0xFFFFFFFFL;
            }
            if (size != 0) {
                Region r = io ? Region.IO : (old & PciDevice.BAR_MEM_PREFETCH) != 0 ? Region.PREFMEM : Region.MEM;
                if (r != Region.IO && size < DEVICE_MEM_MIN) {
                    size = DEVICE_MEM_MIN;
                }
                out.add(new Entry(devfn, i, size, is64, r));
            }
            if (is64) {
                i++;
            }
        }
    }

    /** Largest alignment first, then largest size: SeaBIOS's insertion order. */
    private static final Comparator<Entry> ORDER = (a, b) -> Long.compare(b.size(), a.size());

    private static List<Entry> region(List<Entry> all, Region r, boolean only64) {
        List<Entry> l = new ArrayList<>();
        for (Entry e : all) {
            if (e.region() == r && (!only64 || e.is64())) {
                l.add(e);
            }
        }
        l.sort(ORDER);
        return l;
    }

    private static long sum(List<Entry> l) {
        long s = 0;
        for (Entry e : l) {
            s += e.size();
        }
        return s;
    }

    private static long align(List<Entry> l) {
        return l.isEmpty() ? 1 : l.get(0).size();
    }

    private static long alignDown(long v, long a) {
        return v & -a;
    }

    private static long alignUp(long v, long a) {
        return (v + a - 1) & -a;
    }

    private static void mapDevices(PciBus bus, List<Entry> all, long pcimemStart, long ramAbove4g) {
        List<Entry> io = region(all, Region.IO, false);
        long ioSum = sum(io);
        long ioBase = ioSum < IO_SMALL_LIMIT ? IO_BASE : ioSum < IO_LARGE_LIMIT ? IO_BASE_LARGE : -1;
        if (ioBase >= 0) {
            place(bus, io, ioBase);
        }
        List<Entry> mem = region(all, Region.MEM, false);
        List<Entry> pref = region(all, Region.PREFMEM, false);
        long[] bases = rootMemRegions(mem, pref, pcimemStart);
        if (bases == null) {
            // Too big for the 32-bit window: 64-bit BARs move above RAM, the rest retry below 4 GiB.
            List<Entry> mem64 = region(all, Region.MEM, true);
            List<Entry> pref64 = region(all, Region.PREFMEM, true);
            mem.removeAll(mem64);
            pref.removeAll(pref64);
            bases = rootMemRegions(mem, pref, pcimemStart);
            long base = alignUp(alignUp((1L << 32) + ramAbove4g, align(mem64)), GIB);
            place(bus, mem64, base);
            long prefBase = alignUp(alignUp(base + sum(mem64), align(pref64)), GIB);
            place(bus, pref64, prefBase);
        }
        if (bases != null) {
            place(bus, mem, bases[0]);
            place(bus, pref, bases[1]);
        }
    }

    /** Bases of the MEM and PREFMEM regions packed below {@link #PCIMEM_END}, or null if they do not fit. */
    private static long[] rootMemRegions(List<Entry> mem, List<Entry> pref, long pcimemStart) {
        boolean swap = align(mem) < align(pref);
        List<Entry> end = swap ? mem : pref;
        List<Entry> start = swap ? pref : mem;
        long endBase = alignDown(PCIMEM_END - sum(end), align(end));
        long startBase = alignDown(endBase - sum(start), align(start));
        if (startBase < pcimemStart || startBase > PCIMEM_END) {
            return null;
        }
        return swap ? new long[] {endBase, startBase} : new long[] {startBase, endBase};
    }

    private static void place(PciBus bus, List<Entry> entries, long base) {
        long addr = base;
        for (Entry e : entries) {
            int reg = PciDevice.BAR0 + 4 * e.bar();
            bus.configWrite(0, e.devfn(), reg, 4, addr & 0xFFFFFFFFL);
            if (e.is64()) {
                bus.configWrite(0, e.devfn(), reg + 4, 4, addr >>> 32);
            }
            addr += e.size();
        }
    }

    private static void initDevice(PciBus bus, Bus ports, int devfn) {
        int pin = (int) bus.configRead(0, devfn, PciDevice.INTERRUPT_PIN, 1);
        if (pin != 0) {
            int slot = devfn >> 3;
            bus.configWrite(0, devfn, PciDevice.INTERRUPT_LINE, 1, PIRQ_IRQS[(pin - 1 + slot - 1) & 3]);
        }
        long id = bus.configRead(0, devfn, PciDevice.VENDOR_ID, 4);
        int vendor = (int) id & 0xFFFF;
        int device = (int) (id >>> 16);
        if (vendor == Piix3IsaBridge.VENDOR_INTEL && device == Piix3IsaBridge.DEVICE_ID_82371SB_0) {
            piixIsaBridgeSetup(bus, ports, devfn);
        } else if (vendor == Piix4Pm.VENDOR_INTEL && device == Piix4Pm.DEVICE_ID_82371AB_3) {
            bus.configWrite(0, devfn, PciDevice.INTERRUPT_LINE, 1, 9); // the SCI is hard-wired to IRQ 9
            bus.configWrite(0, devfn, Piix4Pm.PMBA, 4, PM_BASE | 1);
            bus.configWrite(0, devfn, Piix4Pm.PMREGMISC, 1, Piix4Pm.PMIOSE);
            bus.configWrite(0, devfn, Piix4Pm.SMBBA, 4, SMB_BASE | 1);
            bus.configWrite(0, devfn, Piix4Pm.SMBHSTCFG, 1, 0x09);
        }
        int cmd = (int) bus.configRead(0, devfn, PciDevice.COMMAND, 2);
        bus.configWrite(0, devfn, PciDevice.COMMAND, 2, cmd | PciDevice.COMMAND_IO | PciDevice.COMMAND_MEMORY
                | PciDevice.COMMAND_SERR | PciDevice.COMMAND_MASTER);
    }

    private static void piixIsaBridgeSetup(PciBus bus, Bus ports, int devfn) {
        int[] elcr = new int[2];
        for (int i = 0; i < Piix3IsaBridge.PIRQS; i++) {
            int irq = PIRQ_IRQS[i];
            elcr[irq >> 3] |= 1 << (irq & 7);
            bus.configWrite(0, devfn, Piix3IsaBridge.PIRQ_ROUTE + i, 1, irq);
        }
        ports.write(ELCR_PORT, 1, elcr[0]);
        ports.write(ELCR_PORT + 1, 1, elcr[1]);
    }
}
