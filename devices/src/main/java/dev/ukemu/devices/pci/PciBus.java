package dev.ukemu.devices.pci;

import dev.ukemu.core.bus.Bus;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * PCI bus 0: up to 32 devices of 8 functions, addressed by {@code devfn = slot << 3 | function}.
 * It answers configuration cycles (all ones where no function answers), places each function's
 * BARs on the port-I/O and MMIO buses wherever the guest programs them while decoding is enabled,
 * and hands INTx levels to the interrupt router (the PIIX3's PIRQ logic on a PC).
 */
public final class PciBus {
    /** Where INTx pins go: {@code pin} 0 is INTA. */
    @FunctionalInterface
    public interface IntxRouter {
        void setLevel(int devfn, int pin, boolean level);
    }

    /** Told when a BAR cannot be placed where the guest put it (it overlaps another range). */
    @FunctionalInterface
    public interface ConflictListener {
        void conflict(PciDevice device, int bar, long address, String why);
    }

    public static final int DEVFNS = 256;

    private final Bus io;
    private final Bus mmio;
    private final PciDevice[] devices = new PciDevice[DEVFNS];
    /** Where each function's BARs are mapped now, or {@link PciDevice#UNMAPPED}. */
    private final long[][] mapped = new long[DEVFNS][];
    private volatile IntxRouter router = (devfn, pin, level) -> { };
    private ConflictListener conflicts = (d, b, a, w) -> { };

    public PciBus(Bus io, Bus mmio) {
        this.io = io;
        this.mmio = mmio;
    }

    public void setIntxRouter(IntxRouter router) {
        this.router = router;
    }

    public void setConflictListener(ConflictListener listener) {
        this.conflicts = listener;
    }

    public static int devfn(int slot, int function) {
        if (slot < 0 || slot > 31 || function < 0 || function > 7) {
            throw new IllegalArgumentException("no PCI device " + slot + "." + function);
        }
        return slot << 3 | function;
    }

    /** Plugs {@code device} in at {@code devfn}. */
    public synchronized void attach(int devfn, PciDevice device) {
        if (devices[devfn] != null) {
            throw new IllegalArgumentException(String.format("PCI %02x.%x is taken by %s",
                    devfn >> 3, devfn & 7, devices[devfn].name()));
        }
        device.attach(this, devfn);
        devices[devfn] = device;
        long[] m = new long[PciDevice.BAR_COUNT];
        java.util.Arrays.fill(m, PciDevice.UNMAPPED);
        mapped[devfn] = m;
        updateMappings(device);
    }

    public PciDevice device(int devfn) {
        return devices[devfn & 0xFF];
    }

    /** Every function, in devfn order. */
    public synchronized List<PciDevice> devices() {
        List<PciDevice> l = new ArrayList<>();
        for (PciDevice d : devices) {
            if (d != null) {
                l.add(d);
            }
        }
        return Collections.unmodifiableList(l);
    }

    /** A configuration read; absent buses and functions read as all ones. */
    public long configRead(int busNumber, int devfn, int reg, int size) {
        PciDevice d = busNumber == 0 ? devices[devfn & 0xFF] : null;
        if (d == null) {
            return Bus.ones(size);
        }
        return d.configRead(reg, size);
    }

    /** A configuration write; absent buses and functions ignore it. */
    public void configWrite(int busNumber, int devfn, int reg, int size, long value) {
        PciDevice d = busNumber == 0 ? devices[devfn & 0xFF] : null;
        if (d != null) {
            d.configWrite(reg, size, value);
        }
    }

    void intx(int devfn, int pin, boolean level) {
        router.setLevel(devfn, pin, level);
    }

    /** Moves {@code device}'s BARs to where its configuration says they decode now. */
    synchronized void updateMappings(PciDevice device) {
        int devfn = device.devfn();
        long[] m = mapped[devfn];
        if (m == null || devices[devfn] != device) {
            return;
        }
        for (int i = 0; i < PciDevice.BAR_COUNT; i++) {
            PciDevice.Bar bar = device.bar(i);
            if (bar == null) {
                continue;
            }
            long want = device.barAddress(i);
            if (want == m[i]) {
                continue;
            }
            Bus space = bar.isIo() ? io : mmio;
            if (m[i] != PciDevice.UNMAPPED) {
                space.unregister(m[i], bar.device());
                m[i] = PciDevice.UNMAPPED;
            }
            if (want != PciDevice.UNMAPPED) {
                try {
                    space.register(want, bar.size(), bar.device(), device.name() + " BAR" + i);
                    m[i] = want;
                } catch (IllegalArgumentException e) {
                    // QEMU would let the ranges overlap by priority; here the BAR stays dark.
                    conflicts.conflict(device, i, want, e.getMessage());
                }
            }
        }
    }

    /** Where BAR {@code bar} of {@code devfn} is mapped on its bus now, or {@link PciDevice#UNMAPPED}. */
    public synchronized long mappedAddress(int devfn, int bar) {
        long[] m = mapped[devfn];
        return m == null ? PciDevice.UNMAPPED : m[bar];
    }
}
