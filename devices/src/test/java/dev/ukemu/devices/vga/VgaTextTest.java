package dev.ukemu.devices.vga;

import static dev.ukemu.devices.vga.VgaText.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.PortBus;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** Writes the console the way Unikraft's and Linux's VGA consoles do. */
class VgaTextTest {
    private final VgaText vga = new VgaText();
    private final PortBus ports = new PortBus();
    private final Bus mmio = new Bus("mmio");

    VgaTextTest() {
        ports.register(PORT_BASE, PORT_COUNT, vga.ports(), "vga");
        mmio.register(MEMORY_BASE, MEMORY_SIZE, vga.memory(), "vga text");
    }

    private int inb(int port) {
        return (int) ports.read(port, 1);
    }

    private void outb(int port, int value) {
        ports.write(port, 1, value);
    }

    private int crtc(int index) {
        outb(CRTC_INDEX, index);
        return inb(CRTC_DATA);
    }

    private void setCrtc(int index, int value) {
        outb(CRTC_INDEX, index);
        outb(CRTC_DATA, value);
    }

    /** Unikraft's terminal_putentryat: one 16-bit store per character. */
    private void put(int row, int col, char c, int attr) {
        mmio.write(MEMORY_BASE + 2L * (row * COLUMNS + col), 2, attr << 8 | c);
    }

    private void puts(int row, String s, int attr) {
        for (int i = 0; i < s.length(); i++) {
            put(row, i, s.charAt(i), attr);
        }
    }

    /** Linux's vgacon / Unikraft's cursor update: location high then low byte. */
    private void setCursor(int row, int col) {
        int pos = row * COLUMNS + col;
        setCrtc(CRTC_CURSOR_LOW, pos & 0xFF);
        setCrtc(CRTC_CURSOR_HIGH, pos >>> 8);
    }

    @Test
    void powerOnIsBiosTextMode3WithABlankScreen() {
        assertEquals(0x67, inb(MISC_OUTPUT_READ), "colour, CRTC at 0x3D4");
        assertEquals(0x0D, crtc(CRTC_CURSOR_START));
        assertEquals(0x0E, crtc(CRTC_CURSOR_END));
        assertEquals(0x4F, crtc(0x01), "80 columns");
        assertEquals("\n".repeat(ROWS), vga.renderText());
        assertEquals(0x0720, mmio.read(MEMORY_BASE, 2));
        assertEquals(0x0720, mmio.read(MEMORY_BASE + MEMORY_SIZE - 2, 2));
        assertTrue(vga.cursorVisible());
        assertEquals(0, vga.cursorRow());
        assertEquals(0, vga.cursorColumn());
    }

    @Test
    void charactersWrittenAsWordsAppearAsText() {
        puts(0, "Hello, world", 0x07);
        puts(24, "last line", 0x1F);
        String[] lines = vga.textLines();
        assertEquals("Hello, world" + " ".repeat(68), lines[0]);
        assertEquals("last line", lines[24].stripTrailing());
        assertTrue(vga.renderText().startsWith("Hello, world\n\n"));
        assertEquals('H' | 0x07 << 8, vga.cell(0, 0));
        assertEquals(0x1F, mmio.read(MEMORY_BASE + 2 * (24 * 80) + 1, 1));
    }

    @Test
    void everyAccessWidthReadsAndWritesLittleEndian() {
        mmio.write(MEMORY_BASE, 8, 0x0741_0742_0743_0744L);
        assertEquals("DCBA", vga.textLines()[0].substring(0, 4));
        assertEquals(0x44, mmio.read(MEMORY_BASE, 1));
        assertEquals(0x0744, mmio.read(MEMORY_BASE, 2));
        assertEquals(0x0743_0744L, mmio.read(MEMORY_BASE, 4));
        assertEquals(0x0741_0742_0743_0744L, mmio.read(MEMORY_BASE, 8));
        mmio.write(MEMORY_BASE + 3, 4, 0x11_22_33_44L); // unaligned
        assertEquals(0x2233_4443_0744L, mmio.read(MEMORY_BASE, 8) & 0xFFFF_FFFF_FFFFL);
        mmio.write(MEMORY_BASE + MEMORY_SIZE - 1, 1, 0x4E);
        assertEquals(0x4E, mmio.read(MEMORY_BASE + MEMORY_SIZE - 1, 1));
    }

    @Test
    void cursorRegistersPlaceTheCursor() {
        setCursor(3, 17);
        assertEquals(3, vga.cursorRow());
        assertEquals(17, vga.cursorColumn());
        assertEquals((3 * 80 + 17) >>> 8, crtc(CRTC_CURSOR_HIGH));
        setCrtc(CRTC_CURSOR_START, 0x20); // Linux hides the cursor this way
        assertFalse(vga.cursorVisible());
        setCrtc(CRTC_CURSOR_START, 0x0D);
        assertTrue(vga.cursorVisible());
    }

    @Test
    void memcpyScrollMovesTheScreenUpAndCountsChanges() {
        for (int r = 0; r < ROWS; r++) {
            puts(r, "row " + r, 0x07);
        }
        long before = vga.changes();
        // vga_scroll: memcpy of rows 1-24 onto 0-23 in 8-byte moves, then blank the last row.
        for (int off = 0; off < (ROWS - 1) * COLUMNS * 2; off += 8) {
            mmio.write(MEMORY_BASE + off, 8, mmio.read(MEMORY_BASE + off + COLUMNS * 2, 8));
        }
        for (int c = 0; c < COLUMNS; c++) {
            put(24, c, ' ', 0x07);
        }
        String[] lines = vga.textLines();
        assertEquals("row 1", lines[0].stripTrailing());
        assertEquals("row 24", lines[23].stripTrailing());
        assertEquals("", lines[24].stripTrailing());
        assertTrue(vga.changes() > before);
        long after = vga.changes();
        put(0, 0, 'r', 0x07); // the same cell value again
        mmio.write(MEMORY_BASE, 8, mmio.read(MEMORY_BASE, 8));
        assertEquals(after, vga.changes(), "rewriting what is there is not a change");
    }

    @Test
    void startAddressScrollsInHardware() {
        puts(1, "second", 0x07);
        setCrtc(CRTC_START_LOW, 80);
        assertEquals(80, vga.startAddress());
        assertEquals("second", vga.textLines()[0].stripTrailing());
        setCursor(1, 0);
        assertEquals(0, vga.cursorRow(), "cursor rows count from the start address");
    }

    @Test
    void screenWrapsAtTheEndOfTheWindow() {
        setCrtc(CRTC_START_HIGH, 0x3F);
        setCrtc(CRTC_START_LOW, 0xF0); // 16 cells before the 16 Ki-cell end
        mmio.write(MEMORY_BASE + 0x7FE0, 2, 0x0741);
        mmio.write(MEMORY_BASE, 2, 0x0742);
        assertEquals('A', vga.textLines()[0].charAt(0));
        assertEquals('B', vga.textLines()[0].charAt(16));
    }

    @Test
    void inputStatusTogglesRetraceAndResetsTheAttributeFlipFlop() {
        int a = inb(INPUT_STATUS_1);
        int b = inb(INPUT_STATUS_1);
        assertEquals(ST01_VRETRACE | ST01_DISPLAY_ENABLE, a ^ b);
        // Attribute controller: reset the flip-flop, then index, then data.
        outb(ATTR_INDEX_DATA, 0x01); // a stray write leaves the flip-flop on "data"
        inb(INPUT_STATUS_1);
        outb(ATTR_INDEX_DATA, ATTR_MODE_CONTROL | ATTR_PAS);
        outb(ATTR_INDEX_DATA, 0x04); // blink off
        assertEquals(ATTR_MODE_CONTROL | ATTR_PAS, inb(ATTR_INDEX_DATA));
        assertEquals(0x04, inb(ATTR_DATA_READ));
    }

    @Test
    void monochromeModeMovesTheCrtcTo3B4() {
        outb(MISC_OUTPUT_WRITE, 0x66);
        assertEquals(0x66, inb(MISC_OUTPUT_READ));
        assertEquals(0xFF, inb(CRTC_INDEX), "the colour block is not decoded");
        outb(CRTC_INDEX_MONO, CRTC_CURSOR_END);
        assertEquals(0x0E, inb(CRTC_DATA_MONO));
        outb(MISC_OUTPUT_WRITE, 0x67);
        assertEquals(0xFF, inb(CRTC_INDEX_MONO));
        assertEquals(CRTC_CURSOR_END, inb(CRTC_INDEX));
    }

    @Test
    void crtcRegisters0To7AreWriteProtectedByRegister11() {
        setCrtc(0x01, 0x27);
        assertEquals(0x4F, crtc(0x01));
        setCrtc(0x07, 0x00);
        assertEquals(0x0F, crtc(0x07), "only the line compare bit changed");
        setCrtc(CRTC_VRETRACE_END, 0x0E);
        setCrtc(0x01, 0x27);
        assertEquals(0x27, crtc(0x01));
        setCrtc(0x40, 0x12);
        assertEquals(0x12, crtc(0x40), "undefined registers are kept too");
    }

    @Test
    void sequencerGraphicsAndDacRegistersReadBack() {
        outb(SEQ_INDEX, 0x02);
        assertEquals(0x03, inb(SEQ_DATA));
        outb(SEQ_DATA, 0x0F);
        assertEquals(0x0F, inb(SEQ_DATA));
        outb(GFX_INDEX, 0x06);
        assertEquals(0x0E, inb(GFX_DATA), "B8000 window, text");
        outb(DAC_WRITE_INDEX, 5);
        outb(DAC_DATA, 0x3F);
        outb(DAC_DATA, 0x20);
        outb(DAC_DATA, 0x10);
        assertEquals(6, inb(DAC_WRITE_INDEX));
        outb(DAC_READ_INDEX, 5);
        assertEquals(3, inb(DAC_READ_INDEX), "DAC state: reading");
        assertEquals(0x3F, inb(DAC_DATA));
        assertEquals(0x20, inb(DAC_DATA));
        assertEquals(0x10, inb(DAC_DATA));
        assertEquals(0xFF, inb(DAC_MASK));
        outb(INPUT_STATUS_1, 0xFF);
        assertEquals(0x10, inb(FEATURE_CONTROL_READ));
    }

    @Test
    void ansiRenderingFollowsTheAttributes() {
        put(0, 0, 'A', 0x1F); // bright white on blue
        put(0, 1, 'B', 0x1F);
        put(0, 2, 'C', 0x4E); // yellow on red
        put(0, 3, 'D', 0x87); // bit 7: blink (mode 3 default)
        String row = vga.renderAnsi().lines().findFirst().orElseThrow();
        assertTrue(row.startsWith("\u001b[0;97;44mAB\u001b[0;93;41mC\u001b[0;5;37;40mD\u001b[0;37;40m "), row);
        assertTrue(row.endsWith("\u001b[0m"));
        inb(INPUT_STATUS_1);
        outb(ATTR_INDEX_DATA, ATTR_MODE_CONTROL | ATTR_PAS);
        outb(ATTR_INDEX_DATA, 0x04); // blink off: bit 7 brightens the background
        row = vga.renderAnsi().lines().findFirst().orElseThrow();
        assertTrue(row.contains("\u001b[0;37;100mD"), row);
    }

    @Test
    void codePage437IsMappedToUnicode() {
        put(0, 0, (char) 0xC9, 0x07);
        put(0, 1, (char) 0xCD, 0x07);
        put(0, 2, (char) 0xBB, 0x07);
        put(0, 3, (char) 0x01, 0x07);
        put(0, 4, (char) 0xE1, 0x07);
        put(0, 5, (char) 0x00, 0x07);
        put(0, 6, (char) 0x7F, 0x07);
        assertEquals("╔═╗☺ß ⌂", vga.textLines()[0].substring(0, 7));
        assertEquals(256, Cp437.CHARS.length());
    }

    @Test
    void writesDoNotAllocate() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        var mem = vga.memory();
        for (int i = 0; i < 200_000; i++) {
            mem.write((i * 2) & 0x7FFE, 2, i);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        long sink = 0;
        for (int i = 0; i < 1_000_000; i++) {
            mem.write((i * 8) & 0x7FF8, 8, i);
            sink += mem.read((i * 2) & 0x7FFE, 2);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertNotEquals(0, sink);
        assertTrue(allocated < 64 * 1024, "1M writes allocated " + allocated + " bytes");
    }
}
