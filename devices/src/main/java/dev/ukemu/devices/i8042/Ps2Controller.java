package dev.ukemu.devices.i8042;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.BusDevice;
import dev.ukemu.core.irq.IrqLine;
import dev.ukemu.core.machine.SystemControl;

import java.util.ArrayDeque;
import java.util.Objects;

/**
 * The Intel 8042 keyboard controller of a PC: data at port 0x60 ({@link #dataPort()}), status
 * and commands at port 0x64 ({@link #commandPort()}), keyboard data on IRQ 1 and mouse data on
 * IRQ 12.
 *
 * <p>No keys are ever pressed; the controller is here so that a probing guest finds what it
 * expects and so that it can reset the machine. Controller commands (command byte, self tests,
 * port enables, output port, A20) answer as QEMU's {@code hw/input/pckbd.c}; pulsing output-port
 * bit 0 (command 0xFE, or any 0xF0-0xFF with bit 0 clear) or writing the output port with bit 0
 * clear resets the machine through {@link SystemControl#reset(String)}. A keyboard and a mouse
 * that answer their commands as QEMU's {@code hw/input/ps2.c} sit behind the two ports: ACK 0xFA,
 * reset 0xFF answers 0xFA 0xAA (the mouse adds its ID 0x00), identify 0xF2 answers 0xFA 0xAB 0x83
 * (0x41 with translation on), unknown commands answer 0xFE (resend).
 */
public final class Ps2Controller {
    public static final int DATA_PORT = 0x60;
    public static final int COMMAND_PORT = 0x64;
    public static final int KEYBOARD_IRQ = 1;
    public static final int MOUSE_IRQ = 12;

    // Status register (port 0x64 read).
    public static final int STAT_OBF = 0x01;       // output buffer full
    public static final int STAT_IBF = 0x02;       // input buffer full (never: writes complete at once)
    public static final int STAT_SYSTEM = 0x04;    // system flag: self test passed
    public static final int STAT_CMD = 0x08;       // last write was to 0x64
    public static final int STAT_UNLOCKED = 0x10;  // keyboard not inhibited by the keylock
    public static final int STAT_AUX_OBF = 0x20;   // the output byte is from the mouse
    public static final int STAT_TIMEOUT = 0x40;
    public static final int STAT_PARITY = 0x80;

    // Controller command byte ("mode", read 0x20 / write 0x60).
    public static final int MODE_KBD_INT = 0x01;
    public static final int MODE_AUX_INT = 0x02;
    public static final int MODE_SYS = 0x04;
    public static final int MODE_NO_KEYLOCK = 0x08;
    public static final int MODE_DISABLE_KBD = 0x10;
    public static final int MODE_DISABLE_AUX = 0x20;
    public static final int MODE_TRANSLATE = 0x40;

    // Controller commands (port 0x64 write).
    public static final int CMD_READ_MODE = 0x20;
    public static final int CMD_WRITE_MODE = 0x60;
    public static final int CMD_AUX_DISABLE = 0xA7;
    public static final int CMD_AUX_ENABLE = 0xA8;
    public static final int CMD_AUX_TEST = 0xA9;
    public static final int CMD_SELF_TEST = 0xAA;
    public static final int CMD_KBD_TEST = 0xAB;
    public static final int CMD_KBD_DISABLE = 0xAD;
    public static final int CMD_KBD_ENABLE = 0xAE;
    public static final int CMD_READ_INPUT_PORT = 0xC0;
    public static final int CMD_READ_OUTPUT_PORT = 0xD0;
    public static final int CMD_WRITE_OUTPUT_PORT = 0xD1;
    public static final int CMD_WRITE_KBD_OBUF = 0xD2;
    public static final int CMD_WRITE_AUX_OBUF = 0xD3;
    public static final int CMD_WRITE_AUX = 0xD4;
    public static final int CMD_DISABLE_A20 = 0xDD;
    public static final int CMD_ENABLE_A20 = 0xDF;
    public static final int CMD_PULSE_OUTPUT = 0xF0; // 0xF0-0xFF: pulse the clear bits of 3-0 low
    public static final int CMD_RESET = 0xFE;
    public static final int CMD_NOP = 0xFF;

    public static final int SELF_TEST_OK = 0x55;
    public static final int INTERFACE_TEST_OK = 0x00;

    // Output port (P2).
    public static final int OUT_RESET = 0x01;      // 0 holds the CPU in reset
    public static final int OUT_A20 = 0x02;
    public static final int OUT_OBF = 0x10;
    public static final int OUT_AUX_OBF = 0x20;
    private static final int OUT_ONES = 0xCC;      // QEMU's defaults for the unused lines

    // Keyboard and mouse commands and replies (PS/2 protocol).
    public static final int KBD_SET_LEDS = 0xED;
    public static final int KBD_ECHO = 0xEE;
    public static final int KBD_SCANCODE_SET = 0xF0;
    public static final int KBD_IDENTIFY = 0xF2;
    public static final int KBD_SET_RATE = 0xF3;
    public static final int KBD_ENABLE = 0xF4;
    public static final int KBD_RESET_DISABLE = 0xF5;
    public static final int KBD_RESET_ENABLE = 0xF6;
    public static final int KBD_RESET = 0xFF;
    public static final int AUX_SET_RESOLUTION = 0xE8;
    public static final int AUX_STATUS = 0xE9;
    public static final int AUX_POLL = 0xEB;
    public static final int AUX_GET_TYPE = 0xF2;
    public static final int AUX_SET_SAMPLE_RATE = 0xF3;
    public static final int ACK = 0xFA;
    public static final int RESEND = 0xFE;
    public static final int BAT_OK = 0xAA;
    public static final int KBD_ID = 0xAB;

    /** Bytes a PS/2 device buffers before it drops its own replies. */
    private static final int QUEUE_LIMIT = 16;

    private final SystemControl system;
    private final IrqLine keyboardIrq;
    private final IrqLine mouseIrq;
    private final IrqLine a20;
    private final BusDevice data = new Port(false);
    private final BusDevice command = new Port(true);

    private final ArrayDeque<Integer> kbdQueue = new ArrayDeque<>();
    private final ArrayDeque<Integer> auxQueue = new ArrayDeque<>();
    private int status;
    private int mode;
    private int outport;
    /** The controller command waiting for its data byte at port 0x60, or 0. */
    private int pendingCommand;
    /** The keyboard command waiting for its argument, or 0. */
    private int kbdArgCommand;
    private int auxArgCommand;
    private int scancodeSet;
    private int mouseSampleRate;
    private int mouseResolution;
    private boolean mouseEnabled;
    private int lastRead;
    private boolean kbdIrqLevel;
    private boolean mouseIrqLevel;

    /**
     * @param system receives the reset requests
     * @param keyboardIrq ISA IRQ 1
     * @param mouseIrq ISA IRQ 12
     * @param a20 the A20 gate as the output port drives it (high: A20 enabled)
     */
    public Ps2Controller(SystemControl system, IrqLine keyboardIrq, IrqLine mouseIrq, IrqLine a20) {
        this.system = Objects.requireNonNull(system, "system");
        this.keyboardIrq = Objects.requireNonNull(keyboardIrq, "keyboardIrq");
        this.mouseIrq = Objects.requireNonNull(mouseIrq, "mouseIrq");
        this.a20 = Objects.requireNonNull(a20, "a20");
        reset();
    }

    /** Power-on and machine reset (QEMU's kbd_reset plus the PS/2 devices' reset). */
    public synchronized void reset() {
        mode = MODE_KBD_INT | MODE_AUX_INT;
        status = STAT_CMD | STAT_UNLOCKED;
        outport = OUT_RESET | OUT_A20 | OUT_ONES;
        pendingCommand = 0;
        kbdArgCommand = 0;
        auxArgCommand = 0;
        scancodeSet = 2;
        mouseSampleRate = 100;
        mouseResolution = 2;
        mouseEnabled = false;
        kbdQueue.clear();
        auxQueue.clear();
        lastRead = 0;
        updateIrq();
    }

    /** Port 0x60: read output buffer, write data (to the keyboard or a command's argument). */
    public BusDevice dataPort() {
        return data;
    }

    /** Port 0x64: read status, write controller commands. */
    public BusDevice commandPort() {
        return command;
    }

    private final class Port implements BusDevice {
        private final boolean isCommand;

        Port(boolean isCommand) {
            this.isCommand = isCommand;
        }

        @Override
        public long read(long offset, int size) {
            int v = isCommand ? readStatus() : readData();
            return size == 1 ? v : v | (Bus.ones(size) & ~0xFFL);
        }

        @Override
        public void write(long offset, int size, long value) {
            if (isCommand) {
                writeCommand((int) value & 0xFF);
            } else {
                writeData((int) value & 0xFF);
            }
        }
    }

    // ---- controller ------------------------------------------------------------------------

    private synchronized int readStatus() {
        return status;
    }

    private synchronized int readData() {
        ArrayDeque<Integer> q = !kbdQueue.isEmpty() ? kbdQueue : auxQueue;
        if (!q.isEmpty()) {
            lastRead = q.poll();
        }
        updateIrq();
        return lastRead; // an empty buffer repeats the last byte, as QEMU's ps2_read_data
    }

    private synchronized void writeCommand(int cmd) {
        status |= STAT_CMD;
        if ((cmd & CMD_PULSE_OUTPUT) == CMD_PULSE_OUTPUT) {
            // Only bit 0 (CPU reset) does anything when pulsed low.
            if ((cmd & OUT_RESET) == 0) {
                system.reset("keyboard controller reset");
            }
            return;
        }
        switch (cmd) {
            case CMD_READ_MODE -> queueKbd(mode);
            case CMD_WRITE_MODE, CMD_WRITE_OUTPUT_PORT, CMD_WRITE_KBD_OBUF, CMD_WRITE_AUX_OBUF,
                 CMD_WRITE_AUX -> pendingCommand = cmd;
            case CMD_AUX_DISABLE -> mode |= MODE_DISABLE_AUX;
            case CMD_AUX_ENABLE -> mode &= ~MODE_DISABLE_AUX;
            case CMD_AUX_TEST, CMD_KBD_TEST -> queueKbd(INTERFACE_TEST_OK);
            case CMD_SELF_TEST -> {
                status |= STAT_SYSTEM;
                queueKbd(SELF_TEST_OK);
            }
            case CMD_KBD_DISABLE -> {
                mode |= MODE_DISABLE_KBD;
                updateIrq();
            }
            case CMD_KBD_ENABLE -> {
                mode &= ~MODE_DISABLE_KBD;
                updateIrq();
            }
            case CMD_READ_INPUT_PORT -> queueKbd(0x80); // keyboard not inhibited
            case CMD_READ_OUTPUT_PORT -> queueKbd(outport);
            case CMD_ENABLE_A20 -> setOutport(outport | OUT_A20);
            case CMD_DISABLE_A20 -> setOutport(outport & ~OUT_A20);
            default -> { } // unsupported commands are ignored (QEMU logs them)
        }
    }

    private synchronized void writeData(int b) {
        status &= ~STAT_CMD;
        int cmd = pendingCommand;
        pendingCommand = 0;
        switch (cmd) {
            case 0 -> keyboardCommand(b);
            case CMD_WRITE_MODE -> {
                mode = b;
                if ((mode & MODE_SYS) != 0) {
                    status |= STAT_SYSTEM;
                } else {
                    status &= ~STAT_SYSTEM;
                }
                updateIrq();
            }
            case CMD_WRITE_KBD_OBUF -> queueKbd(b);
            case CMD_WRITE_AUX_OBUF -> queueAux(b);
            case CMD_WRITE_OUTPUT_PORT -> setOutport(b);
            case CMD_WRITE_AUX -> mouseCommand(b);
            default -> { }
        }
    }

    private void setOutport(int value) {
        outport = value;
        a20.setLevel((value & OUT_A20) != 0);
        if ((value & OUT_RESET) == 0) {
            system.reset("keyboard controller reset");
        }
    }

    private void queueKbd(int b) {
        if (kbdQueue.size() < QUEUE_LIMIT) {
            kbdQueue.add(b & 0xFF);
        }
        updateIrq();
    }

    private void queueAux(int b) {
        if (auxQueue.size() < QUEUE_LIMIT) {
            auxQueue.add(b & 0xFF);
        }
        updateIrq();
    }

    /** Status OBF bits, output-port OBF lines and the two IRQs (QEMU's kbd_update_irq). */
    private void updateIrq() {
        boolean kbd = false;
        boolean aux = false;
        status &= ~(STAT_OBF | STAT_AUX_OBF);
        outport &= ~(OUT_OBF | OUT_AUX_OBF);
        if (!kbdQueue.isEmpty()) {
            status |= STAT_OBF;
            outport |= OUT_OBF;
            kbd = (mode & MODE_KBD_INT) != 0 && (mode & MODE_DISABLE_KBD) == 0;
        } else if (!auxQueue.isEmpty()) {
            status |= STAT_OBF | STAT_AUX_OBF;
            outport |= OUT_OBF | OUT_AUX_OBF;
            aux = (mode & MODE_AUX_INT) != 0;
        }
        if (kbd != kbdIrqLevel) {
            kbdIrqLevel = kbd;
            keyboardIrq.setLevel(kbd);
        }
        if (aux != mouseIrqLevel) {
            mouseIrqLevel = aux;
            mouseIrq.setLevel(aux);
        }
    }

    // ---- the keyboard and the mouse ---------------------------------------------------------

    private void keyboardCommand(int b) {
        int arg = kbdArgCommand;
        if (arg != 0) {
            kbdArgCommand = 0;
            if (arg == KBD_SCANCODE_SET) {
                if (b == 0) {
                    queueKbd(ACK);
                    queueKbd((mode & MODE_TRANSLATE) != 0 ? translatedSet(scancodeSet) : scancodeSet);
                } else if (b <= 3) {
                    scancodeSet = b;
                    queueKbd(ACK);
                } else {
                    queueKbd(RESEND);
                }
            } else {
                queueKbd(ACK); // LED state or typematic rate: accepted
            }
            return;
        }
        switch (b) {
            case KBD_SET_LEDS, KBD_SET_RATE, KBD_SCANCODE_SET -> {
                kbdArgCommand = b;
                queueKbd(ACK);
            }
            case KBD_ECHO -> queueKbd(KBD_ECHO);
            case KBD_IDENTIFY -> {
                queueKbd(ACK);
                queueKbd(KBD_ID);
                queueKbd((mode & MODE_TRANSLATE) != 0 ? 0x41 : 0x83);
            }
            case KBD_ENABLE, KBD_RESET_DISABLE, KBD_RESET_ENABLE, 0xF7, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD ->
                    queueKbd(ACK);
            case KBD_RESET -> {
                scancodeSet = 2;
                queueKbd(ACK);
                queueKbd(BAT_OK);
            }
            default -> queueKbd(RESEND);
        }
    }

    /** What a scan-code-set query answers through the 8042's translation (QEMU's translate_table). */
    private static int translatedSet(int set) {
        return switch (set) {
            case 1 -> 0x43;
            case 3 -> 0x3F;
            default -> 0x41;
        };
    }

    private void mouseCommand(int b) {
        int arg = auxArgCommand;
        if (arg != 0) {
            auxArgCommand = 0;
            if (arg == AUX_SET_SAMPLE_RATE) {
                mouseSampleRate = b;
            } else {
                mouseResolution = b & 3;
            }
            queueAux(ACK);
            return;
        }
        switch (b) {
            case AUX_SET_SAMPLE_RATE, AUX_SET_RESOLUTION -> {
                auxArgCommand = b;
                queueAux(ACK);
            }
            case AUX_STATUS -> {
                queueAux(ACK);
                queueAux(mouseEnabled ? 0x20 : 0x00);
                queueAux(mouseResolution);
                queueAux(mouseSampleRate);
            }
            case AUX_POLL -> {
                queueAux(ACK);
                queueAux(0x08); // a packet with no movement and no buttons (bit 3 always set)
                queueAux(0);
                queueAux(0);
            }
            case AUX_GET_TYPE -> {
                queueAux(ACK);
                queueAux(0x00); // a standard PS/2 mouse
            }
            case KBD_ENABLE -> {
                mouseEnabled = true;
                queueAux(ACK);
            }
            case KBD_RESET_DISABLE -> {
                mouseEnabled = false;
                queueAux(ACK);
            }
            case 0xE6, 0xE7, 0xEA, 0xEC, 0xEE, 0xF0, KBD_RESET_ENABLE -> queueAux(ACK);
            case KBD_RESET -> {
                mouseEnabled = false;
                mouseSampleRate = 100;
                mouseResolution = 2;
                queueAux(ACK);
                queueAux(BAT_OK);
                queueAux(0x00);
            }
            default -> queueAux(RESEND);
        }
    }

    // ---- machine-side access ----------------------------------------------------------------

    /** The controller command byte. */
    public synchronized int mode() {
        return mode;
    }

    /** The output port (P2): bit 0 reset line, bit 1 A20. */
    public synchronized int outputPort() {
        return outport;
    }
}
