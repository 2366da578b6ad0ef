package dev.ukemu.devices.i8042;

import static dev.ukemu.devices.i8042.Ps2Controller.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.core.bus.PortBus;
import dev.ukemu.devices.testing.RecordingIrqLine;
import dev.ukemu.devices.testing.RecordingSystemControl;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Probes the controller through ports 0x60/0x64 the way Linux's i8042 driver and a BIOS do. */
class Ps2ControllerTest {
    private final RecordingSystemControl system = new RecordingSystemControl();
    private final RecordingIrqLine irq1 = new RecordingIrqLine();
    private final RecordingIrqLine irq12 = new RecordingIrqLine();
    private final RecordingIrqLine a20 = new RecordingIrqLine();
    private final Ps2Controller kbc = new Ps2Controller(system, irq1, irq12, a20);
    private final PortBus ports = new PortBus();

    Ps2ControllerTest() {
        ports.register(DATA_PORT, 1, kbc.dataPort(), "i8042 data");
        ports.register(COMMAND_PORT, 1, kbc.commandPort(), "i8042 command");
    }

    private int status() {
        return (int) ports.read(0x64, 1);
    }

    private void command(int c) {
        ports.write(0x64, 1, c);
    }

    private void data(int b) {
        ports.write(0x60, 1, b);
    }

    /** Reads everything in the output buffer, as a driver polling OBF does. */
    private List<Integer> drain() {
        List<Integer> out = new ArrayList<>();
        for (int guard = 0; guard < 64 && (status() & STAT_OBF) != 0; guard++) {
            out.add((int) ports.read(0x60, 1));
        }
        return out;
    }

    @Test
    void powerOnStatusAndCommandByteAreQemus() {
        assertEquals(STAT_CMD | STAT_UNLOCKED, status());
        command(CMD_READ_MODE);
        assertEquals(STAT_OBF | STAT_CMD | STAT_UNLOCKED, status());
        assertTrue(irq1.level(), "output for the keyboard port raises IRQ 1");
        assertEquals(List.of(MODE_KBD_INT | MODE_AUX_INT), drain());
        assertFalse(irq1.level());
        assertEquals(0xCF, kbc.outputPort());
    }

    @Test
    void linuxProbeSelfTestsAndRewritesTheCommandByte() {
        drain();
        command(CMD_KBD_DISABLE);
        command(CMD_AUX_DISABLE);
        command(CMD_READ_MODE);
        assertEquals(List.of(MODE_KBD_INT | MODE_AUX_INT | MODE_DISABLE_KBD | MODE_DISABLE_AUX), drain());
        command(CMD_SELF_TEST);
        assertEquals(List.of(SELF_TEST_OK), drain());
        assertTrue((status() & STAT_SYSTEM) != 0, "the system flag reports a passed self test");
        command(CMD_KBD_TEST);
        assertEquals(List.of(INTERFACE_TEST_OK), drain());
        command(CMD_AUX_TEST);
        assertEquals(List.of(INTERFACE_TEST_OK), drain());
        command(CMD_WRITE_MODE);
        data(MODE_KBD_INT | MODE_SYS | MODE_TRANSLATE);
        assertEquals(0, status() & STAT_CMD, "the last write went to the data port");
        command(CMD_READ_MODE);
        assertEquals(List.of(0x45), drain());
        assertEquals(0x45, kbc.mode());
        command(CMD_KBD_ENABLE);
        command(CMD_AUX_ENABLE);
        assertEquals(0x45, kbc.mode());
    }

    @Test
    void keyboardResetAnswersAckAndSelfTestPassed() {
        data(KBD_RESET);
        assertTrue(irq1.level());
        assertEquals(List.of(ACK, BAT_OK), drain());
        assertFalse(irq1.level());
    }

    @Test
    void keyboardIdentifyDependsOnTranslation() {
        data(KBD_IDENTIFY);
        assertEquals(List.of(ACK, KBD_ID, 0x83), drain());
        command(CMD_WRITE_MODE);
        data(MODE_KBD_INT | MODE_TRANSLATE);
        data(KBD_IDENTIFY);
        assertEquals(List.of(ACK, KBD_ID, 0x41), drain());
    }

    @Test
    void keyboardCommandsWithArgumentsAreAcknowledgedTwice() {
        data(KBD_SET_LEDS);
        data(0x07);
        data(KBD_SET_RATE);
        data(0x20);
        assertEquals(List.of(ACK, ACK, ACK, ACK), drain());
        data(KBD_SCANCODE_SET);
        data(0);
        assertEquals(List.of(ACK, ACK, 2), drain(), "query: set 2 without translation");
        data(KBD_SCANCODE_SET);
        data(9);
        assertEquals(List.of(ACK, RESEND), drain());
        data(KBD_ECHO);
        data(KBD_ENABLE);
        data(0x42);
        assertEquals(List.of(KBD_ECHO, ACK, RESEND), drain());
    }

    @Test
    void mouseCommandsGoThroughD4AndAnswerOnIrq12() {
        command(CMD_WRITE_AUX);
        data(KBD_RESET);
        assertEquals(STAT_OBF | STAT_AUX_OBF, status() & (STAT_OBF | STAT_AUX_OBF));
        assertTrue(irq12.level());
        assertFalse(irq1.level());
        assertEquals(List.of(ACK, BAT_OK, 0x00), drain());
        assertFalse(irq12.level());
        command(CMD_WRITE_AUX);
        data(AUX_GET_TYPE);
        command(CMD_WRITE_AUX);
        data(AUX_SET_SAMPLE_RATE);
        command(CMD_WRITE_AUX);
        data(200);
        command(CMD_WRITE_AUX);
        data(KBD_ENABLE);
        command(CMD_WRITE_AUX);
        data(AUX_STATUS);
        assertEquals(List.of(ACK, 0x00, ACK, ACK, ACK, ACK, 0x20, 2, 200), drain());
    }

    @Test
    void keyboardDataHasPriorityOverMouseData() {
        command(CMD_WRITE_AUX_OBUF);
        data(0x11);
        command(CMD_WRITE_KBD_OBUF);
        data(0x22);
        assertEquals(STAT_OBF, status() & (STAT_OBF | STAT_AUX_OBF));
        assertEquals(0x22, ports.read(0x60, 1));
        assertEquals(STAT_OBF | STAT_AUX_OBF, status() & (STAT_OBF | STAT_AUX_OBF));
        assertEquals(0x11, ports.read(0x60, 1));
        assertEquals(0x11, ports.read(0x60, 1), "an empty buffer repeats the last byte");
        assertEquals(0, status() & STAT_OBF);
    }

    @Test
    void disabledKeyboardPortRaisesNoInterrupt() {
        command(CMD_KBD_DISABLE);
        command(CMD_WRITE_KBD_OBUF);
        data(0x1C);
        assertEquals(STAT_OBF, status() & STAT_OBF);
        assertFalse(irq1.level());
        command(CMD_KBD_ENABLE);
        assertTrue(irq1.level());
    }

    @Test
    void resetCommandResetsTheMachine() {
        command(CMD_RESET);
        assertEquals(List.of("reset keyboard controller reset"), system.events());
    }

    @Test
    void pulseCommandsResetOnlyWhenBit0IsPulsed() {
        command(CMD_NOP);
        command(0xF1);
        command(0xFD);
        assertEquals(List.of(), system.events());
        command(0xF0);
        assertEquals(List.of("reset keyboard controller reset"), system.events());
    }

    @Test
    void outputPortCarriesA20AndTheResetLine() {
        command(CMD_READ_OUTPUT_PORT);
        assertEquals(List.of(0xCF), drain());
        command(CMD_WRITE_OUTPUT_PORT);
        data(0xDD); // A20 off, the classic himem.sys value
        assertFalse(a20.level());
        command(CMD_WRITE_OUTPUT_PORT);
        data(0xDF);
        assertTrue(a20.level());
        assertEquals(List.of(), system.events());
        command(CMD_DISABLE_A20);
        assertFalse(a20.level());
        assertEquals(0xDD, kbc.outputPort());
        command(CMD_ENABLE_A20);
        assertTrue(a20.level());
        command(CMD_WRITE_OUTPUT_PORT);
        data(0xDE); // bit 0 low: the CPU reset line
        assertEquals(List.of("reset keyboard controller reset"), system.events());
    }

    @Test
    void resetReturnsToPowerOnState() {
        command(CMD_SELF_TEST);
        command(CMD_KBD_DISABLE);
        kbc.reset();
        assertEquals(STAT_CMD | STAT_UNLOCKED, status());
        assertEquals(MODE_KBD_INT | MODE_AUX_INT, kbc.mode());
        assertFalse(irq1.level());
    }
}
