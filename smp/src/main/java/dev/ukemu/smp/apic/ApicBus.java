package dev.ukemu.smp.apic;

import java.util.ArrayList;
import java.util.List;

/**
 * The wires between the local APICs and the I/O APIC: interprocessor interrupts with every
 * destination shorthand and addressing mode, I/O APIC messages, and EOI broadcasts back to the
 * I/O APIC for level-triggered interrupts.
 */
public final class ApicBus {
    private final List<LocalApic> apics = new ArrayList<>();
    private volatile IoApic ioApic;

    public synchronized void add(LocalApic apic) {
        apics.add(apic);
    }

    public void setIoApic(IoApic io) {
        this.ioApic = io;
    }

    public synchronized List<LocalApic> apics() {
        return List.copyOf(apics);
    }

    /** An ICR write: {@code lo} is ICR bits 0-31, {@code hi} bits 32-63. */
    void sendIpi(LocalApic from, int lo, int hi, boolean x2) {
        int vector = lo & 0xFF;
        int mode = (lo >> 8) & 7;
        boolean logical = (lo & (1 << 11)) != 0;
        boolean assertLevel = (lo & (1 << 14)) != 0;
        boolean levelTrigger = (lo & (1 << 15)) != 0;
        int shorthand = (lo >> 18) & 3;
        int dest = x2 ? hi : hi >>> 24;
        if (mode == LocalApic.DM_INIT && levelTrigger && !assertLevel) {
            return; // INIT level de-assert: only synchronises arbitration IDs on old CPUs
        }
        if ((mode == LocalApic.DM_FIXED || mode == LocalApic.DM_LOWEST) && vector < 16) {
            from.sendError(LocalApic.ESR_SEND_ILLEGAL_VECTOR);
            return;
        }
        List<LocalApic> targets = new ArrayList<>();
        for (LocalApic a : apics()) {
            boolean hit = switch (shorthand) {
                case 1 -> a == from;
                case 2 -> true;
                case 3 -> a != from;
                default -> a.matches(dest, logical, x2);
            };
            if (hit) {
                targets.add(a);
            }
        }
        deliver(targets, mode, vector, levelTrigger);
    }

    /** A message from the I/O APIC (or an MSI): 8-bit xAPIC destination or 32-bit in x2APIC mode. */
    public void deliver(int dest, boolean logical, int mode, int vector, boolean level) {
        List<LocalApic> targets = new ArrayList<>();
        for (LocalApic a : apics()) {
            if (a.matches(dest, logical, a.x2apicMode())) {
                targets.add(a);
            }
        }
        deliver(targets, mode, vector, level);
    }

    private static void deliver(List<LocalApic> targets, int mode, int vector, boolean level) {
        if (targets.isEmpty()) {
            return;
        }
        if (mode == LocalApic.DM_LOWEST) {
            LocalApic best = targets.get(0);
            for (LocalApic a : targets) {
                if (a.priority() < best.priority()) {
                    best = a;
                }
            }
            best.accept(LocalApic.DM_FIXED, vector, level);
            return;
        }
        for (LocalApic a : targets) {
            a.accept(mode, vector, level);
        }
    }

    void broadcastEoi(int vector) {
        IoApic io = ioApic;
        if (io != null) {
            io.endOfInterrupt(vector);
        }
    }
}
