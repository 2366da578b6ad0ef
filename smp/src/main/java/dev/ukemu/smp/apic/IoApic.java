package dev.ukemu.smp.apic;

import dev.ukemu.core.bus.BusDevice;
import dev.ukemu.core.irq.IrqLine;

/**
 * An 82093AA-style I/O APIC with 24 pins (at 0xFEC00000 on a PC): IOREGSEL/IOWIN indirect
 * registers, the redirection table, edge and level triggering with remote IRR, and the EOI
 * register of version 0x20. Pin inputs are assertion levels, as QEMU models them.
 */
public final class IoApic implements BusDevice {
    public static final int PINS = 24;
    public static final long SIZE = 0x1000;
    // MMIO offsets and indirect registers (82093AA datasheet, 3.1 and 3.2).
    static final int IOREGSEL = 0x00, IOWIN = 0x10, IOEOI = 0x40;
    static final int REG_ID = 0, REG_VERSION = 1, REG_ARB = 2, REG_REDTBL = 0x10;
    static final int VERSION = 0x20 | ((PINS - 1) << 16);
    // Redirection entry bits.
    static final long MASKED = 1L << 16, LEVEL = 1L << 15, REMOTE_IRR = 1L << 14, DEST_LOGICAL = 1L << 11;

    private final ApicBus bus;
    private int id;
    private int select;
    private final long[] redirection = new long[PINS];
    private final boolean[] asserted = new boolean[PINS];

    public IoApic(ApicBus bus, int id) {
        this.bus = bus;
        this.id = id;
        for (int k = 0; k < PINS; k++) {
            redirection[k] = MASKED;
        }
        bus.setIoApic(this);
    }

    /** The input line of {@code pin}. */
    public IrqLine pin(int pin) {
        return high -> setPin(pin, high);
    }

    /**
     * Drives input {@code pin}. Delivery happens under this I/O APIC's lock, so a guest's write
     * that masks or reprograms the pin returns only after a message already decided on has
     * reached its local APIC. (The local APICs never call back into the I/O APIC while holding
     * their own locks, so this order cannot deadlock.)
     */
    public synchronized void setPin(int pin, boolean high) {
        boolean was = asserted[pin];
        asserted[pin] = high;
        long e = redirection[pin];
        if ((e & MASKED) != 0 || !high) {
            return;
        }
        boolean level = (e & LEVEL) != 0;
        if (level) {
            if ((e & REMOTE_IRR) != 0) {
                return;
            }
            redirection[pin] = e | REMOTE_IRR;
        } else if (was) {
            return; // no new edge
        }
        bus.deliver((int) (e >>> 56), (e & DEST_LOGICAL) != 0, (int) (e >> 8) & 7, (int) (e & 0xFF), level);
    }

    /** An EOI for {@code vector}: clears remote IRR of matching level pins and re-delivers still-asserted ones. */
    void endOfInterrupt(int vector) {
        for (int pin = 0; pin < PINS; pin++) {
            boolean redeliver;
            synchronized (this) {
                long e = redirection[pin];
                if ((e & LEVEL) == 0 || (e & REMOTE_IRR) == 0 || (e & 0xFF) != vector) {
                    continue;
                }
                redirection[pin] = e & ~REMOTE_IRR;
                redeliver = asserted[pin];
            }
            if (redeliver) {
                setPin(pin, true);
            }
        }
    }

    @Override
    public synchronized long read(long offset, int size) {
        if (offset == IOREGSEL) {
            return select;
        }
        if (offset == IOWIN) {
            return readRegister(select);
        }
        return 0;
    }

    private long readRegister(int reg) {
        if (reg == REG_ID) {
            return (long) (id & 0xF) << 24;
        }
        if (reg == REG_VERSION) {
            return VERSION;
        }
        if (reg == REG_ARB) {
            return (long) (id & 0xF) << 24;
        }
        int idx = reg - REG_REDTBL;
        if (idx >= 0 && idx < PINS * 2) {
            long e = redirection[idx >> 1];
            return (idx & 1) == 0 ? e & 0xFFFFFFFFL : e >>> 32;
        }
        return 0xFFFFFFFFL;
    }

    @Override
    public void write(long offset, int size, long value) {
        int pinToCheck = -1;
        int eoiVector = -1;
        synchronized (this) {
            if (offset == IOREGSEL) {
                select = (int) value & 0xFF;
                return;
            }
            if (offset == IOEOI) {
                eoiVector = (int) value & 0xFF;
            } else if (offset == IOWIN) {
                if (select == REG_ID) {
                    id = (int) (value >>> 24) & 0xF;
                } else {
                    int idx = select - REG_REDTBL;
                    if (idx >= 0 && idx < PINS * 2) {
                        int pin = idx >> 1;
                        long e = redirection[pin];
                        if ((idx & 1) == 0) {
                            // Remote IRR and delivery status are read-only.
                            long ro = REMOTE_IRR | (1L << 12);
                            e = (e & 0xFFFFFFFF00000000L) | (value & 0xFFFFFFFFL & ~ro) | (e & ro);
                        } else {
                            e = (e & 0xFFFFFFFFL) | (value << 32);
                        }
                        if ((e & LEVEL) == 0) {
                            e &= ~REMOTE_IRR;
                        }
                        redirection[pin] = e;
                        pinToCheck = pin;
                    }
                }
            }
        }
        if (eoiVector >= 0) {
            endOfInterrupt(eoiVector);
        }
        if (pinToCheck >= 0) {
            // Unmasking a level pin that is still asserted delivers it now.
            boolean deliver;
            synchronized (this) {
                long e = redirection[pinToCheck];
                deliver = asserted[pinToCheck] && (e & MASKED) == 0 && (e & LEVEL) != 0 && (e & REMOTE_IRR) == 0;
            }
            if (deliver) {
                setPin(pinToCheck, true);
            }
        }
    }

    public synchronized long redirectionEntry(int pin) {
        return redirection[pin];
    }
}
