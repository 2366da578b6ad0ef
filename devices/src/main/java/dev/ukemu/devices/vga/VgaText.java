package dev.ukemu.devices.vga;

import dev.ukemu.core.bus.BusDevice;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The text-mode parts of a VGA: the 32 KiB text buffer at 0xB8000 ({@link #memory()}, for the
 * MMIO bus) and the registers at ports 0x3B0-0x3DF ({@link #ports()}), left in the 80x25 colour
 * text mode 3 a BIOS sets up (misc output 0x67, CRTC at 0x3D4/0x3D5).
 *
 * <p>The buffer is a plain array, so a guest scrolling its console with memcpy (Unikraft: about
 * half a million accesses a boot) costs a method call per access. Registers are stored as written
 * so a guest never meets an unclaimed port; only the CRTC's cursor and start-address registers,
 * the attribute mode control (blink) and input status 1 (toggling retrace bits, resetting the
 * attribute flip-flop) mean anything here. No pixels are drawn: {@link #textLines()},
 * {@link #renderText()} and {@link #renderAnsi()} turn the screen into text, and
 * {@link #changes()} tells a renderer whether anything changed since it last looked.
 *
 * <p>Register behaviour follows QEMU's {@code hw/display/vga.c}: the CRTC and input-status ports
 * answer at 0x3Dx in colour mode (misc output bit 0 set) and at 0x3Bx in monochrome mode, and the
 * other block reads 0xFF; CRTC registers 0-7 are write-protected while bit 7 of register 0x11 is
 * set, except the line-compare bit of register 7.
 */
public final class VgaText {
    /** Guest-physical base and size of the colour text window. */
    public static final long MEMORY_BASE = 0xB8000;
    public static final int MEMORY_SIZE = 0x8000;
    /** The register block QEMU claims: 0x3B0-0x3DF. */
    public static final int PORT_BASE = 0x3B0;
    public static final int PORT_COUNT = 0x30;

    public static final int COLUMNS = 80;
    public static final int ROWS = 25;

    // Ports (absolute; the bus device sees them minus PORT_BASE).
    public static final int CRTC_INDEX_MONO = 0x3B4;
    public static final int CRTC_DATA_MONO = 0x3B5;
    public static final int INPUT_STATUS_1_MONO = 0x3BA; // write: feature control
    public static final int ATTR_INDEX_DATA = 0x3C0;     // write: index and data alternately
    public static final int ATTR_DATA_READ = 0x3C1;
    public static final int MISC_OUTPUT_WRITE = 0x3C2;   // read: input status 0
    public static final int SEQ_INDEX = 0x3C4;
    public static final int SEQ_DATA = 0x3C5;
    public static final int DAC_MASK = 0x3C6;
    public static final int DAC_READ_INDEX = 0x3C7;      // read: DAC state
    public static final int DAC_WRITE_INDEX = 0x3C8;
    public static final int DAC_DATA = 0x3C9;
    public static final int FEATURE_CONTROL_READ = 0x3CA;
    public static final int MISC_OUTPUT_READ = 0x3CC;
    public static final int GFX_INDEX = 0x3CE;
    public static final int GFX_DATA = 0x3CF;
    public static final int CRTC_INDEX = 0x3D4;
    public static final int CRTC_DATA = 0x3D5;
    public static final int INPUT_STATUS_1 = 0x3DA;      // write: feature control

    // CRTC registers used for text output (IBM VGA technical reference).
    public static final int CRTC_CURSOR_START = 0x0A;    // bit 5: cursor off
    public static final int CRTC_CURSOR_END = 0x0B;
    public static final int CRTC_START_HIGH = 0x0C;
    public static final int CRTC_START_LOW = 0x0D;
    public static final int CRTC_CURSOR_HIGH = 0x0E;
    public static final int CRTC_CURSOR_LOW = 0x0F;
    public static final int CRTC_VRETRACE_END = 0x11;    // bit 7: protect registers 0-7
    public static final int CURSOR_DISABLE = 0x20;

    public static final int MISC_COLOR = 0x01;           // I/O address select: 0x3Dx
    public static final int ATTR_MODE_CONTROL = 0x10;
    public static final int ATTR_BLINK = 0x08;           // attribute bit 7 blinks instead of brightening
    public static final int ATTR_PAS = 0x20;             // palette address source (index bit 5)
    public static final int ST01_DISPLAY_ENABLE = 0x01;  // really "display disabled" (blanking)
    public static final int ST01_VRETRACE = 0x08;

    // Mode 3 as the BIOS leaves it (SeaBIOS vgatables, 80x25 9x16 text).
    private static final int MODE3_MISC = 0x67;
    private static final int[] MODE3_SEQ = {0x03, 0x00, 0x03, 0x00, 0x02};
    private static final int[] MODE3_CRTC = {
        0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00, 0x00, 0x00, 0x00,
        0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF,
    };
    private static final int[] MODE3_GFX = {0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF};
    private static final int[] MODE3_ATTR = {
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F,
        0x0C, 0x00, 0x0F, 0x08, 0x00,
    };
    /** A blank cell: space, light grey on black. */
    private static final int BLANK_CHAR = 0x20;
    private static final int BLANK_ATTR = 0x07;

    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle CHANGES;

    static {
        try {
            CHANGES = MethodHandles.lookup().findVarHandle(VgaText.class, "changes", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final byte[] vram = new byte[MEMORY_SIZE];
    private final BusDevice memory = new TextMemory();
    private final BusDevice ports = new Registers();
    @SuppressWarnings("unused") // through CHANGES
    private long changes;

    // Register file (guarded by the Registers device's monitor).
    private int misc;
    private int crtcIndex;
    private final int[] crtc = new int[256];
    private int seqIndex;
    private final int[] seq = new int[8];
    private int gfxIndex;
    private final int[] gfx = new int[16];
    private int attrIndex;
    private boolean attrFlipFlop;
    private final int[] attr = new int[32];
    private int st01;
    private int featureControl;
    private int dacMask;
    private int dacReadIndex;
    private int dacWriteIndex;
    private int dacSubIndex;
    private int dacState;
    private final int[] dacCache = new int[3];
    private final byte[] palette = new byte[768];

    public VgaText() {
        reset();
    }

    /** Mode 3 as a BIOS leaves it, with a blank screen and the cursor at the top left. */
    public void reset() {
        synchronized (ports) {
            misc = MODE3_MISC;
            Arrays.fill(crtc, 0);
            System.arraycopy(MODE3_CRTC, 0, crtc, 0, MODE3_CRTC.length);
            Arrays.fill(seq, 0);
            System.arraycopy(MODE3_SEQ, 0, seq, 0, MODE3_SEQ.length);
            Arrays.fill(gfx, 0);
            System.arraycopy(MODE3_GFX, 0, gfx, 0, MODE3_GFX.length);
            Arrays.fill(attr, 0);
            System.arraycopy(MODE3_ATTR, 0, attr, 0, MODE3_ATTR.length);
            crtcIndex = 0;
            seqIndex = 0;
            gfxIndex = 0;
            attrIndex = ATTR_PAS;
            attrFlipFlop = false;
            st01 = 0;
            featureControl = 0;
            dacMask = 0xFF;
            dacReadIndex = 0;
            dacWriteIndex = 0;
            dacSubIndex = 0;
            dacState = 0;
            Arrays.fill(palette, (byte) 0);
        }
        for (int i = 0; i < MEMORY_SIZE; i += 2) {
            vram[i] = BLANK_CHAR;
            vram[i + 1] = BLANK_ATTR;
        }
        changed();
    }

    /** The 32 KiB text window, to register at {@link #MEMORY_BASE} on the MMIO bus. */
    public BusDevice memory() {
        return memory;
    }

    /** The register ports, to register at {@link #PORT_BASE} for {@link #PORT_COUNT} ports. */
    public BusDevice ports() {
        return ports;
    }

    /** A counter that moves whenever the visible screen or cursor may have changed. */
    public long changes() {
        return (long) CHANGES.getAcquire(this);
    }

    private void changed() {
        CHANGES.setRelease(this, (long) CHANGES.getOpaque(this) + 1);
    }

    // ---- text memory ----------------------------------------------------------------------------

    private final class TextMemory implements BusDevice {
        @Override
        public long read(long offset, int size) {
            int o = (int) offset;
            if (o + size <= MEMORY_SIZE) {
                switch (size) {
                    case 1 -> {
                        return vram[o] & 0xFFL;
                    }
                    case 2 -> {
                        return (short) SHORT.get(vram, o) & 0xFFFFL;
                    }
                    case 4 -> {
                        return (int) INT.get(vram, o) & 0xFFFF_FFFFL;
                    }
                    case 8 -> {
                        return (long) LONG.get(vram, o);
                    }
                    default -> { }
                }
            }
            long v = 0;
            for (int i = 0; i < size; i++) {
                long b = o + i < MEMORY_SIZE ? vram[o + i] & 0xFF : 0xFF;
                v |= b << (8 * i);
            }
            return v;
        }

        @Override
        public void write(long offset, int size, long value) {
            int o = (int) offset;
            if (o + size <= MEMORY_SIZE) {
                switch (size) {
                    case 1 -> {
                        if (vram[o] != (byte) value) {
                            vram[o] = (byte) value;
                            changed();
                        }
                        return;
                    }
                    case 2 -> {
                        if ((short) SHORT.get(vram, o) != (short) value) {
                            SHORT.set(vram, o, (short) value);
                            changed();
                        }
                        return;
                    }
                    case 4 -> {
                        if ((int) INT.get(vram, o) != (int) value) {
                            INT.set(vram, o, (int) value);
                            changed();
                        }
                        return;
                    }
                    case 8 -> {
                        if ((long) LONG.get(vram, o) != value) {
                            LONG.set(vram, o, value);
                            changed();
                        }
                        return;
                    }
                    default -> { }
                }
            }
            for (int i = 0; i < size && o + i < MEMORY_SIZE; i++) {
                vram[o + i] = (byte) (value >>> (8 * i));
            }
            changed();
        }
    }

    // ---- registers ------------------------------------------------------------------------------

    private final class Registers implements BusDevice {
        @Override
        public long read(long offset, int size) {
            long v = 0;
            for (int i = 0; i < size; i++) {
                long o = offset + i;
                long b = o < PORT_COUNT ? readPort(PORT_BASE + (int) o) : 0xFF;
                v |= b << (8 * i);
            }
            return v;
        }

        @Override
        public void write(long offset, int size, long value) {
            for (int i = 0; i < size && offset + i < PORT_COUNT; i++) {
                writePort(PORT_BASE + (int) (offset + i), (int) (value >>> (8 * i)) & 0xFF);
            }
        }
    }

    /** The 0x3Bx block answers in monochrome mode, the 0x3Dx block in colour mode. */
    private boolean decoded(int port) {
        boolean color = (misc & MISC_COLOR) != 0;
        if (port >= 0x3B0 && port <= 0x3BF) {
            return !color;
        }
        if (port >= 0x3D0 && port <= 0x3DF) {
            return color;
        }
        return true;
    }

    private int readPort(int port) {
        synchronized (ports) {
            if (!decoded(port)) {
                return 0xFF;
            }
            switch (port) {
                case ATTR_INDEX_DATA -> {
                    return attrIndex;
                }
                case ATTR_DATA_READ -> {
                    return attr[attrIndex & 0x1F];
                }
                case MISC_OUTPUT_WRITE -> {
                    return 0; // input status 0
                }
                case SEQ_INDEX -> {
                    return seqIndex;
                }
                case SEQ_DATA -> {
                    return seq[seqIndex];
                }
                case DAC_MASK -> {
                    return dacMask;
                }
                case DAC_READ_INDEX -> {
                    return dacState;
                }
                case DAC_WRITE_INDEX -> {
                    return dacWriteIndex;
                }
                case DAC_DATA -> {
                    int v = palette[dacReadIndex * 3 + dacSubIndex] & 0xFF;
                    if (++dacSubIndex == 3) {
                        dacSubIndex = 0;
                        dacReadIndex = (dacReadIndex + 1) & 0xFF;
                    }
                    return v;
                }
                case FEATURE_CONTROL_READ -> {
                    return featureControl;
                }
                case MISC_OUTPUT_READ -> {
                    return misc;
                }
                case GFX_INDEX -> {
                    return gfxIndex;
                }
                case GFX_DATA -> {
                    return gfx[gfxIndex];
                }
                case CRTC_INDEX, CRTC_INDEX_MONO -> {
                    return crtcIndex;
                }
                case CRTC_DATA, CRTC_DATA_MONO -> {
                    return crtc[crtcIndex];
                }
                case INPUT_STATUS_1, INPUT_STATUS_1_MONO -> {
                    // Guests wait for retrace by polling: flip the bits on every read (QEMU).
                    st01 ^= ST01_VRETRACE | ST01_DISPLAY_ENABLE;
                    attrFlipFlop = false;
                    return st01;
                }
                default -> {
                    return 0;
                }
            }
        }
    }

    private void writePort(int port, int v) {
        synchronized (ports) {
            if (!decoded(port)) {
                return;
            }
            switch (port) {
                case ATTR_INDEX_DATA -> {
                    if (!attrFlipFlop) {
                        attrIndex = v & 0x3F;
                    } else {
                        int i = attrIndex & 0x1F;
                        if (attr[i] != v) {
                            attr[i] = v;
                            changed();
                        }
                    }
                    attrFlipFlop = !attrFlipFlop;
                }
                case MISC_OUTPUT_WRITE -> misc = v;
                case SEQ_INDEX -> seqIndex = v & 7;
                case SEQ_DATA -> seq[seqIndex] = v;
                case DAC_MASK -> dacMask = v;
                case DAC_READ_INDEX -> {
                    dacReadIndex = v;
                    dacSubIndex = 0;
                    dacState = 3;
                }
                case DAC_WRITE_INDEX -> {
                    dacWriteIndex = v;
                    dacSubIndex = 0;
                    dacState = 0;
                }
                case DAC_DATA -> {
                    dacCache[dacSubIndex] = v;
                    if (++dacSubIndex == 3) {
                        for (int i = 0; i < 3; i++) {
                            palette[dacWriteIndex * 3 + i] = (byte) dacCache[i];
                        }
                        dacSubIndex = 0;
                        dacWriteIndex = (dacWriteIndex + 1) & 0xFF;
                    }
                }
                case GFX_INDEX -> gfxIndex = v & 0x0F;
                case GFX_DATA -> gfx[gfxIndex] = v;
                case CRTC_INDEX, CRTC_INDEX_MONO -> crtcIndex = v;
                case CRTC_DATA, CRTC_DATA_MONO -> writeCrtc(v);
                case INPUT_STATUS_1, INPUT_STATUS_1_MONO -> featureControl = v & 0x10;
                default -> { } // 0x3C3 (VGA enable) and unused ports: nothing to keep
            }
        }
    }

    private void writeCrtc(int v) {
        int i = crtcIndex;
        if (i <= 7 && (crtc[CRTC_VRETRACE_END] & 0x80) != 0) {
            if (i == 7) {
                crtc[7] = (crtc[7] & ~0x10) | (v & 0x10); // line compare bit 8 stays writable
            }
            return;
        }
        if (crtc[i] != v) {
            crtc[i] = v;
            changed();
        }
    }

    // ---- screen ---------------------------------------------------------------------------------

    /** The CRTC start address, in character cells. */
    public int startAddress() {
        synchronized (ports) {
            return crtc[CRTC_START_HIGH] << 8 | crtc[CRTC_START_LOW];
        }
    }

    /** The cursor's cell address (CRTC 0x0E/0x0F), relative to the text window. */
    public int cursorAddress() {
        synchronized (ports) {
            return crtc[CRTC_CURSOR_HIGH] << 8 | crtc[CRTC_CURSOR_LOW];
        }
    }

    /** Cursor row on screen (may lie outside 0-24 if the guest put it off screen). */
    public int cursorRow() {
        return Math.floorDiv(cursorAddress() - startAddress(), COLUMNS);
    }

    public int cursorColumn() {
        return Math.floorMod(cursorAddress() - startAddress(), COLUMNS);
    }

    public boolean cursorVisible() {
        synchronized (ports) {
            return (crtc[CRTC_CURSOR_START] & CURSOR_DISABLE) == 0
                    && (crtc[CRTC_CURSOR_START] & 0x1F) <= (crtc[CRTC_CURSOR_END] & 0x1F);
        }
    }

    /** Character and attribute of a screen cell, as {@code attr << 8 | char}. */
    public int cell(int row, int column) {
        int index = (startAddress() + row * COLUMNS + column) & (MEMORY_SIZE / 2 - 1);
        return (vram[2 * index] & 0xFF) | (vram[2 * index + 1] & 0xFF) << 8;
    }

    /** The 25 rows of 80 characters, mapped from code page 437 to Unicode. */
    public String[] textLines() {
        String[] lines = new String[ROWS];
        char[] row = new char[COLUMNS];
        for (int r = 0; r < ROWS; r++) {
            for (int c = 0; c < COLUMNS; c++) {
                row[c] = Cp437.toUnicode(cell(r, c));
            }
            lines[r] = new String(row);
        }
        return lines;
    }

    /** The screen as plain text: one line per row, trailing blanks removed. */
    public String renderText() {
        StringBuilder sb = new StringBuilder(ROWS * (COLUMNS + 1));
        for (String line : textLines()) {
            sb.append(line.stripTrailing()).append('\n');
        }
        return sb.toString();
    }

    /** VGA colour index to ANSI colour index: VGA is blue-green-red, ANSI red-green-blue. */
    private static final int[] ANSI = {0, 4, 2, 6, 1, 5, 3, 7};

    /**
     * The screen as text with ANSI SGR colour sequences from each cell's attribute (a bright
     * foreground uses 90-97; attribute bit 7 blinks or brightens the background as the
     * attribute controller's mode says). Each row ends with a reset and a newline.
     */
    public String renderAnsi() {
        boolean blink;
        synchronized (ports) {
            blink = (attr[ATTR_MODE_CONTROL] & ATTR_BLINK) != 0;
        }
        StringBuilder sb = new StringBuilder(ROWS * (COLUMNS + 16));
        for (int r = 0; r < ROWS; r++) {
            int current = -1;
            for (int c = 0; c < COLUMNS; c++) {
                int cell = cell(r, c);
                int a = cell >>> 8;
                if (a != current) {
                    current = a;
                    int fg = a & 0x0F;
                    int bg = a >>> 4 & (blink ? 0x07 : 0x0F);
                    sb.append("\u001b[0");
                    if (blink && (a & 0x80) != 0) {
                        sb.append(";5");
                    }
                    sb.append(';').append(fg >= 8 ? 90 + ANSI[fg & 7] : 30 + ANSI[fg]);
                    sb.append(';').append(bg >= 8 ? 100 + ANSI[bg & 7] : 40 + ANSI[bg]);
                    sb.append('m');
                }
                sb.append(Cp437.toUnicode(cell));
            }
            sb.append("\u001b[0m\n");
        }
        return sb.toString();
    }
}
