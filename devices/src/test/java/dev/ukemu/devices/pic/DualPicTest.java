package dev.ukemu.devices.pic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.core.bus.PortBus;
import dev.ukemu.devices.testing.RecordingIrqLine;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Drives the PIC pair through its ports the way Unikraft, Linux and a BIOS do. */
class DualPicTest {
    private final RecordingIrqLine intr = new RecordingIrqLine();
    private final DualPic pic = new DualPic(intr);
    private final PortBus ports = new PortBus();

    DualPicTest() {
        ports.register(DualPic.MASTER_PORT, Pic8259.SIZE, pic.master(), "pic master");
        ports.register(DualPic.SLAVE_PORT, Pic8259.SIZE, pic.slave(), "pic slave");
        ports.register(DualPic.ELCR_PORT, DualPic.ELCR_SIZE, pic.elcrPorts(), "elcr");
    }

    private int inb(int port) {
        return (int) ports.read(port, 1);
    }

    private void outb(int port, int value) {
        ports.write(port, 1, value);
    }

    /** Unikraft's plat/kvm/x86/pic.c: remap to 32-47, cascade on IR2, 8086 mode. */
    private void remap() {
        outb(0x20, 0x11);
        outb(0xA0, 0x11);
        outb(0x21, 0x20);
        outb(0xA1, 0x28);
        outb(0x21, 0x04);
        outb(0xA1, 0x02);
        outb(0x21, 0x01);
        outb(0xA1, 0x01);
        outb(0x21, 0x00);
        outb(0xA1, 0x00);
    }

    private int readIsr(int port) {
        outb(port, Pic8259.OCW3 | Pic8259.OCW3_READ_ISR);
        return inb(port);
    }

    private int readIrr(int port) {
        outb(port, Pic8259.OCW3 | Pic8259.OCW3_READ_IRR);
        return inb(port);
    }

    @Test
    void powerOnStateIsQemusReset() {
        assertEquals(0x00, inb(0x21), "IMR");
        assertEquals(0x00, inb(0xA1), "IMR");
        assertEquals(0x00, inb(0x20), "IRR is read by default");
        assertEquals(0x00, readIsr(0x20));
        assertEquals(0x00, inb(0x4D0));
        assertEquals(0x00, inb(0x4D1));
        assertFalse(pic.interruptPending());
        assertEquals(List.of(), intr.history());
        assertEquals(0, pic.master().vectorBase());
        assertEquals(7, pic.acknowledge(), "nothing pending: spurious IRQ7 at base 0");
    }

    @Test
    void timerEdgeIsDeliveredOnceAndEoiClearsService() {
        remap();
        pic.irq(0).setLevel(true);
        assertTrue(intr.level());
        assertEquals(0x01, readIrr(0x20));
        assertEquals(0x20, pic.acknowledge());
        assertFalse(intr.level(), "IR0 in service blocks itself");
        assertEquals(0x00, readIrr(0x20), "an edge request is consumed by INTA");
        assertEquals(0x01, readIsr(0x20));
        outb(0x20, Pic8259.OCW2_EOI);
        assertEquals(0x00, readIsr(0x20));
        assertFalse(intr.level(), "a level held high is not a new edge");
        pic.irq(0).setLevel(false);
        pic.irq(0).setLevel(true);
        assertTrue(intr.level(), "low then high again is a new edge");
        assertEquals(0x20, pic.acknowledge());
        assertEquals(List.of(true, false, true, false), intr.history());
    }

    @Test
    void edgeLatchedWhileMaskedIsDeliveredWhenUnmasked() {
        remap();
        outb(0x21, 0x01);
        pic.irq(0).pulse();
        assertFalse(intr.level());
        assertEquals(0x01, readIrr(0x20), "IRR records the edge behind the mask");
        outb(0x21, 0x00);
        assertTrue(intr.level());
        assertEquals(0x20, pic.acknowledge());
    }

    @Test
    void slaveInterruptCascadesThroughIr2() {
        remap();
        pic.irq(8).pulse();
        assertTrue(intr.level());
        assertEquals(0x04, readIrr(0x20));
        assertEquals(0x01, readIrr(0xA0));
        assertEquals(0x28, pic.acknowledge());
        assertEquals(0x04, readIsr(0x20));
        assertEquals(0x01, readIsr(0xA0));
        pic.irq(11).pulse();
        assertFalse(intr.level(), "IR8 in service on the slave blocks IR11");
        outb(0xA0, Pic8259.OCW2_EOI);
        outb(0x20, Pic8259.OCW2_EOI);
        assertTrue(intr.level(), "the slave raises its output again after its EOI");
        assertEquals(0x2B, pic.acknowledge());
        outb(0xA0, Pic8259.OCW2_EOI);
        outb(0x20, Pic8259.OCW2_EOI);
        assertEquals(0, readIsr(0x20) | readIsr(0xA0));
        assertFalse(pic.interruptPending());
    }

    @Test
    void fixedPriorityAndNesting() {
        remap();
        pic.irq(3).pulse();
        pic.irq(1).pulse();
        assertEquals(0x21, pic.acknowledge(), "IR1 outranks IR3");
        assertFalse(intr.level(), "IR3 waits behind IR1 in service");
        pic.irq(0).pulse();
        assertTrue(intr.level(), "IR0 outranks IR1 in service: nests");
        assertEquals(0x20, pic.acknowledge());
        assertEquals(0x03, readIsr(0x20));
        outb(0x20, Pic8259.OCW2_EOI); // clears the highest in service: IR0
        assertEquals(0x02, readIsr(0x20));
        assertFalse(intr.level());
        outb(0x20, Pic8259.OCW2_EOI);
        assertEquals(0x23, pic.acknowledge());
        outb(0x20, Pic8259.OCW2_SPECIFIC_EOI | 3);
        assertEquals(0, readIsr(0x20));
    }

    @Test
    void slavePrioritySitsAtIr2OnTheMaster() {
        remap();
        pic.irq(3).pulse();
        pic.irq(15).pulse();
        assertEquals(0x2F, pic.acknowledge(), "any slave IRQ outranks master IR3");
        outb(0xA0, Pic8259.OCW2_EOI);
        outb(0x20, Pic8259.OCW2_EOI);
        assertEquals(0x23, pic.acknowledge());
    }

    @Test
    void rotateOnEoiMakesTheServedLevelLowest() {
        remap();
        pic.irq(0).pulse();
        assertEquals(0x20, pic.acknowledge());
        outb(0x20, Pic8259.OCW2_ROTATE_EOI);
        pic.irq(0).pulse();
        pic.irq(1).pulse();
        assertEquals(0x21, pic.acknowledge(), "after rotation IR1 is highest, IR0 lowest");
        outb(0x20, Pic8259.OCW2_ROTATE_SPECIFIC_EOI | 1);
        assertEquals(0x20, pic.acknowledge(), "now IR2 is highest and IR0 still beats nothing");
        outb(0x20, Pic8259.OCW2_EOI);
    }

    @Test
    void setPriorityCommandChoosesTheLowestLevel() {
        remap();
        outb(0x20, Pic8259.OCW2_SET_PRIORITY | 4); // IR5 highest ... IR4 lowest
        pic.irq(4).pulse();
        pic.irq(6).pulse();
        pic.irq(1).pulse();
        assertEquals(0x26, pic.acknowledge());
        outb(0x20, Pic8259.OCW2_EOI);
        assertEquals(0x21, pic.acknowledge());
        outb(0x20, Pic8259.OCW2_EOI);
        assertEquals(0x24, pic.acknowledge());
        outb(0x20, Pic8259.OCW2_EOI);
    }

    @Test
    void autoEoiLeavesNothingInServiceAndCanRotate() {
        outb(0x20, 0x13); // ICW1: single, ICW4
        outb(0x21, 0x40);
        outb(0x21, Pic8259.ICW4_8086 | Pic8259.ICW4_AEOI);
        outb(0x21, 0x00);
        pic.master().irq(5).pulse();
        assertEquals(0x45, pic.acknowledge());
        assertEquals(0, readIsr(0x20));
        outb(0x20, Pic8259.OCW2_ROTATE_AEOI_SET);
        pic.master().irq(5).pulse();
        assertEquals(0x45, pic.acknowledge());
        pic.master().irq(5).pulse();
        pic.master().irq(4).pulse();
        assertEquals(0x44, pic.acknowledge(), "IR5 became lowest: IR6, 7, 0 ... 4 rank above it");
        assertEquals(0x45, pic.acknowledge());
    }

    @Test
    void spuriousIrq7WhenTheRequestVanishesBeforeInta() {
        remap();
        outb(0x4D0, 0x20); // IRQ5 level-triggered
        pic.irq(5).setLevel(true);
        assertTrue(intr.level());
        pic.irq(5).setLevel(false);
        assertFalse(intr.level());
        assertEquals(0x27, pic.acknowledge(), "the CPU was already in its INTA cycle");
        assertEquals(0, readIsr(0x20), "a spurious IRQ7 sets no ISR bit");
    }

    @Test
    void spuriousIrq15SetsTheMastersCascadeInService() {
        remap();
        outb(0x4D1, 0x04); // IRQ10 level-triggered
        pic.irq(10).setLevel(true);
        pic.irq(10).setLevel(false);
        assertEquals(0x04, readIrr(0x20), "the master latched the cascade edge");
        assertEquals(0x2F, pic.acknowledge());
        assertEquals(0x04, readIsr(0x20), "the OS must EOI the master for a spurious IRQ15");
        assertEquals(0x00, readIsr(0xA0));
    }

    @Test
    void levelTriggeredInputStaysRequestedUntilTheDeviceDropsIt() {
        remap();
        outb(0x4D1, 0x08); // IRQ11 (virtio-net) level
        assertEquals(0x08, inb(0x4D1));
        pic.irq(11).setLevel(true);
        assertEquals(0x2B, pic.acknowledge());
        assertEquals(0x08, readIrr(0xA0), "INTA does not clear a level request");
        outb(0xA0, Pic8259.OCW2_EOI);
        outb(0x20, Pic8259.OCW2_EOI);
        assertTrue(intr.level(), "still asserted after EOI: interrupts again");
        assertEquals(0x2B, pic.acknowledge());
        pic.irq(11).setLevel(false);
        outb(0xA0, Pic8259.OCW2_EOI);
        outb(0x20, Pic8259.OCW2_EOI);
        assertFalse(intr.level());
        assertEquals(0, readIrr(0xA0));
    }

    @Test
    void elcrBitsThatDoNotExistReadAsZero() {
        ports.write(0x4D0, 2, 0xFFFF);
        assertEquals(0xF8, inb(0x4D0));
        assertEquals(0xDE, inb(0x4D1));
        assertEquals(0xDEF8, ports.read(0x4D0, 2));
    }

    @Test
    void ltimMakesEveryInputLevelTriggered() {
        outb(0x20, 0x11 | Pic8259.ICW1_LTIM);
        outb(0x21, 0x20);
        outb(0x21, 0x04);
        outb(0x21, 0x01);
        pic.irq(1).setLevel(true);
        assertEquals(0x21, pic.acknowledge());
        assertEquals(0x02, readIrr(0x20));
        pic.irq(1).setLevel(false);
        assertEquals(0x00, readIrr(0x20));
    }

    @Test
    void pollCommandActsAsAnInterruptAcknowledge() {
        remap();
        outb(0x20, Pic8259.OCW3 | Pic8259.OCW3_POLL);
        assertEquals(0x00, inb(0x20), "no request: bit 7 clear");
        pic.irq(6).pulse();
        outb(0x20, Pic8259.OCW3 | Pic8259.OCW3_POLL);
        assertEquals(0x86, inb(0x20));
        assertEquals(0x40, readIsr(0x20), "the poll read set ISR like an INTA");
        assertEquals(0x00, inb(0x21), "the read after a poll is a normal read again");
    }

    @Test
    void specialMaskModeLetsLowerLevelsInWhileTheServedOneIsMasked() {
        remap();
        pic.irq(1).pulse();
        assertEquals(0x21, pic.acknowledge());
        pic.irq(4).pulse();
        assertFalse(intr.level());
        outb(0x21, 0x02);
        outb(0x20, Pic8259.OCW3 | Pic8259.OCW3_SMM_SET);
        assertTrue(intr.level(), "IR1 masked in special mask mode no longer blocks IR4");
        assertEquals(0x24, pic.acknowledge());
        outb(0x20, Pic8259.OCW3 | Pic8259.OCW3_SMM_RESET);
        assertEquals(0x12, readIsr(0x20));
    }

    @Test
    void specialFullyNestedModeLetsTheSlaveNest() {
        outb(0x20, 0x11);
        outb(0x21, 0x20);
        outb(0x21, 0x04);
        outb(0x21, Pic8259.ICW4_8086 | Pic8259.ICW4_SFNM);
        outb(0xA0, 0x11);
        outb(0xA1, 0x28);
        outb(0xA1, 0x02);
        outb(0xA1, Pic8259.ICW4_8086);
        pic.irq(12).pulse();
        assertEquals(0x2C, pic.acknowledge());
        pic.irq(9).pulse();
        assertTrue(intr.level(), "SFNM: IR2 in service on the master does not block the slave");
        assertEquals(0x29, pic.acknowledge());
        assertEquals(0x12, readIsr(0xA0));
    }

    @Test
    void icw1ResetsMaskAndServiceButKeepsElcr() {
        remap();
        outb(0x4D0, 0x08);
        outb(0x21, 0x5A);
        pic.irq(0).pulse();
        pic.acknowledge();
        outb(0x20, 0x11);
        assertEquals(0x00, inb(0x21));
        assertEquals(0x00, readIsr(0x20));
        assertEquals(0x08, inb(0x4D0));
        outb(0x21, 0x30);
        outb(0x21, 0x04);
        outb(0x21, 0x01);
        assertEquals(0x30, pic.master().vectorBase());
        assertEquals(0x00, inb(0x21), "the fourth data write went to ICW4, not IMR");
    }

    @Test
    void biosStateCanBeSetByTheMachine() {
        pic.initialize(DualPic.BIOS_MASTER_BASE, DualPic.BIOS_SLAVE_BASE);
        pic.setMasks(DualPic.BIOS_MASTER_MASK, DualPic.BIOS_SLAVE_MASK);
        assertEquals(0xB8, inb(0x21));
        assertEquals(0x8E, inb(0xA1));
        pic.irq(0).pulse();
        assertEquals(0x08, pic.acknowledge());
        outb(0x20, 0x20);
        pic.irq(8).pulse();
        assertEquals(0x70, pic.acknowledge());
        pic.irq(3).pulse();
        pic.irq(9).pulse();
        outb(0xA0, 0x20);
        outb(0x20, 0x20);
        assertFalse(intr.level(), "IRQ3 and IRQ9 stay masked");
    }

    @Test
    void unikraftEoiSequenceAfterTimerTick() {
        remap();
        // Unikraft's pic.c after every IRQ: EOI to the slave for IRQ >= 8, then to the master.
        for (int tick = 0; tick < 3; tick++) {
            pic.irq(0).setLevel(true);
            assertEquals(0x20, pic.acknowledge());
            pic.irq(0).setLevel(false);
            outb(0x20, 0x20);
        }
        assertEquals(0, readIsr(0x20));
        assertEquals(3, intr.risingEdges());
    }

    @Test
    void unikraftRemapKeepsTheMasksTheBiosLeft() {
        pic.initialize(DualPic.BIOS_MASTER_BASE, DualPic.BIOS_SLAVE_BASE);
        pic.setMasks(DualPic.BIOS_MASTER_MASK, DualPic.BIOS_SLAVE_MASK);
        // plat/kvm/x86/pic.c PIC_remap(32, 40): save masks, ICW1-4, restore masks.
        int a1 = inb(0x21);
        int a2 = inb(0xA1);
        outb(0x20, 0x11);
        outb(0xA0, 0x11);
        outb(0x21, 32);
        outb(0xA1, 40);
        outb(0x21, 4);
        outb(0xA1, 2);
        outb(0x21, Pic8259.ICW4_8086);
        outb(0xA1, Pic8259.ICW4_8086);
        outb(0x21, a1);
        outb(0xA1, a2);
        assertEquals(0xB8, inb(0x21));
        assertEquals(0x8E, inb(0xA1));
        // pic_clear_irq(11) for virtio-net: read-modify-write of the slave mask.
        outb(0xA1, inb(0xA1) & ~(1 << 3));
        assertEquals(0x86, inb(0xA1));
        pic.irq(11).pulse();
        assertEquals(43, pic.acknowledge());
    }

    @Test
    void irq2HasNoDeviceInput() {
        assertThrows(IllegalArgumentException.class, () -> pic.irq(2));
        assertThrows(IndexOutOfBoundsException.class, () -> pic.irq(16));
    }

    @Test
    void resetReturnsToPowerOnState() {
        remap();
        outb(0x4D0, 0x20);
        outb(0x21, 0x12);
        pic.irq(1).pulse();
        pic.reset();
        assertEquals(0, inb(0x21));
        assertEquals(0, inb(0x4D0));
        assertEquals(0, readIrr(0x20));
        assertFalse(pic.interruptPending());
    }

    @Test
    void wideAccessSplitsIntoPorts() {
        remap();
        ports.write(0x20, 2, 0x5A_0B); // OCW3 read-ISR to 0x20, then IMR 0x5A to 0x21
        assertEquals(0x5A, inb(0x21));
        assertEquals(0x5A_00, ports.read(0x20, 2));
    }
}
