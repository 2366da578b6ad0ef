package dev.ukemu.app;

import dev.ukemu.core.bus.Bus;
import dev.ukemu.core.bus.PortBus;
import dev.ukemu.core.irq.IrqLine;
import dev.ukemu.core.machine.SystemControl;
import dev.ukemu.core.memory.MemoryLayout;
import dev.ukemu.core.time.GuestClock;
import dev.ukemu.core.time.TimerService;
import dev.ukemu.devices.acpi.AcpiPm;
import dev.ukemu.devices.fwcfg.FwCfg;
import dev.ukemu.devices.i8042.Ps2Controller;
import dev.ukemu.devices.misc.IsaDebugExit;
import dev.ukemu.devices.misc.Port92;
import dev.ukemu.devices.misc.PostPort;
import dev.ukemu.devices.misc.PvPanic;
import dev.ukemu.devices.misc.ResetControl;
import dev.ukemu.devices.pci.I440fxHostBridge;
import dev.ukemu.devices.pci.PciBus;
import dev.ukemu.devices.pci.PciDevice;
import dev.ukemu.devices.pci.PciFirmware;
import dev.ukemu.devices.pci.PciHost;
import dev.ukemu.devices.pci.Piix3IsaBridge;
import dev.ukemu.devices.pci.Piix4Pm;
import dev.ukemu.devices.pic.DualPic;
import dev.ukemu.devices.pit.Pit8254;
import dev.ukemu.devices.rtc.CmosRtc;
import dev.ukemu.devices.uart.Uart16550;
import dev.ukemu.devices.vga.VgaText;
import dev.ukemu.smp.apic.IoApic;
import java.io.OutputStream;
import java.time.Instant;

/**
 * QEMU's pc machine at QEMU's addresses: PIC pair, PIT, CMOS RTC, COM1, VGA text, i8042, port
 * 0x92, 0xCF9 reset, fw_cfg, pvpanic, isa-debug-exit and POST on the ISA side; PCI bus 0 with
 * the i440FX host bridge (00:00.0), the PIIX3 ISA bridge (00:01.0) routing PCI interrupts, and
 * the PIIX4 PM function (00:01.3) holding the ACPI PM block. ISA
 * IRQ n goes to PIC input n and to I/O APIC pin n, except IRQ0, which reaches pin 2 (the MADT's
 * interrupt source override).
 */
final class PcDevices {
    static final int COM1 = 0x3F8, COM1_IRQ = 4, POST = 0x80, DEBUG_EXIT = 0x501, DEBUG_EXIT_KUT = 0xF4,
            PVPANIC = 0x505, ACPI_PM = 0x600, PIT = 0x40, SPEAKER = 0x61, RTC = 0x70, VGA_PORTS = 0x3B0,
            VGA_PORTS_SIZE = 0x30, VGA_TEXT = 0xB8000, VGA_TEXT_SIZE = 0x8000;
    static final int IRQ_PIT = 0, IRQ_KEYBOARD = 1, IRQ_CASCADE = 2, IRQ_SCI = 9, IRQ_RTC = 8, IRQ_MOUSE = 12;

    final DualPic pic;
    final Pit8254 pit;
    final CmosRtc rtc;
    final Uart16550 uart;
    final VgaText vga;
    final Ps2Controller i8042;
    final Port92 port92;
    final ResetControl resetControl;
    final AcpiPm acpiPm;
    final FwCfg fwCfg;
    final PvPanic pvpanic;
    final PciBus pci;
    final PciHost pciHost;
    final Piix3IsaBridge piix3;
    final Piix4Pm piix4Pm;
    private final IoApic ioApic;
    private final PortBus ports;
    private final MemoryLayout layout;

    PcDevices(PortBus ports, Bus mmio, GuestClock clock, TimerService timers, SystemControl control, IoApic ioApic,
              IrqLine picOutput, OutputStream console, MemoryLayout layout, int cpus) {
        this.ioApic = ioApic;
        this.ports = ports;
        this.layout = layout;
        this.pic = new DualPic(picOutput);
        ports.register(DualPic.MASTER_PORT, 2, pic.master(), "PIC (master)");
        ports.register(DualPic.SLAVE_PORT, 2, pic.slave(), "PIC (slave)");
        ports.register(DualPic.ELCR_PORT, DualPic.ELCR_SIZE, pic.elcrPorts(), "PIC ELCR");

        this.pit = new Pit8254(clock::nanos, timers, isa(IRQ_PIT));
        ports.register(PIT, 4, pit, "PIT");
        ports.register(SPEAKER, 1, pit.speakerPort(), "port 0x61 (speaker, PIT gate 2)");

        this.rtc = new CmosRtc(clock::nanos, timers, isa(IRQ_RTC), Instant.now());
        rtc.setMemorySizes(layout.belowFourG(), layout.aboveFourG());
        rtc.setCpuCount(cpus);
        ports.register(RTC, 2, rtc, "CMOS RTC");

        this.uart = new Uart16550(isa(COM1_IRQ), console);
        ports.register(COM1, Uart16550.SIZE, uart, "serial (COM1)");

        this.vga = new VgaText();
        ports.register(VGA_PORTS, VGA_PORTS_SIZE, vga.ports(), "VGA registers");
        mmio.register(VGA_TEXT, VGA_TEXT_SIZE, vga.memory(), "VGA text buffer");

        this.i8042 = new Ps2Controller(control, isa(IRQ_KEYBOARD), isa(IRQ_MOUSE), IrqLine.none());
        ports.register(Ps2Controller.DATA_PORT, 1, i8042.dataPort(), "i8042 data");
        ports.register(Ps2Controller.COMMAND_PORT, 1, i8042.commandPort(), "i8042 command");
        this.port92 = new Port92(control, IrqLine.none());
        ports.register(Port92.PORT, Port92.SIZE, port92, "port 0x92 (A20, fast reset)");
        this.resetControl = new ResetControl(control);
        // 0xCF9 sits inside the PCI address register: the host forwards byte accesses there.
        this.pci = new PciBus(ports, mmio);
        this.pciHost = new PciHost(pci, resetControl);
        ports.register(PciHost.PORT, PciHost.SIZE, pciHost, "PCI host (0xcf8-0xcff, reset control 0xcf9)");

        FwCfg.Builder fw = FwCfg.builder().cpus(cpus, cpus).ramSize(layout.ramSize()).noGraphic(true);
        for (MemoryLayout.Region r : layout.firmwareMap()) {
            fw.e820(r.base(), r.length(), r.type());
        }
        this.fwCfg = fw.build();
        ports.register(FwCfg.PORT, FwCfg.SIZE, fwCfg, "fw_cfg");

        this.acpiPm = new AcpiPm(control, clock::nanos, isa(IRQ_SCI));
        acpiPm.setSciEnabled(true); // no SMM: the FADT says ACPI mode is always on
        // The chipset functions as on QEMU's pc; PIIX4 PM places the ACPI block (at 0x600 once
        // set up as SeaBIOS does).
        pci.attach(PciBus.devfn(0, 0), new I440fxHostBridge());
        this.piix3 = new Piix3IsaBridge(this::isa);
        pci.attach(PciBus.devfn(1, 0), piix3);
        pci.setIntxRouter(piix3);
        this.piix4Pm = new Piix4Pm(ports, acpiPm, AcpiPm.SIZE);
        pci.attach(PciBus.devfn(1, 3), piix4Pm);
        this.pvpanic = new PvPanic(control);
        ports.register(PVPANIC, PvPanic.SIZE, pvpanic, "pvpanic");
        IsaDebugExit debugExit = new IsaDebugExit(control);
        ports.register(DEBUG_EXIT, debugExit.iosize(), debugExit, "isa-debug-exit");
        ports.register(DEBUG_EXIT_KUT, IsaDebugExit.KVM_UNIT_TESTS_SIZE,
                new IsaDebugExit(control, IsaDebugExit.KVM_UNIT_TESTS_SIZE), "isa-debug-exit (0xf4)");
        ports.register(POST, PostPort.SIZE, new PostPort(), "POST port");
        firmwareState();
    }

    /** An ISA interrupt line: to the PIC and to the I/O APIC (IRQ0 on pin 2). */
    IrqLine isa(int irq) {
        IrqLine toIoApic = ioApic.pin(irq == IRQ_PIT ? 2 : irq);
        if (irq == IRQ_CASCADE) {
            return toIoApic;
        }
        return high -> {
            pic.irq(irq).setLevel(high);
            toIoApic.setLevel(high);
        };
    }

    /**
     * Sets PCI up as SeaBIOS leaves it (BARs, interrupt lines, PIRQ routing and ELCR, the PM
     * block at 0x600); call once every function is attached, and after each reset.
     */
    void pciFirmwareSetup() {
        PciFirmware.setup(pci, ports, layout.belowFourG(), layout.aboveFourG());
    }

    /** What SeaBIOS leaves: PICs remapped to 0x08/0x70 with its masks, PIT channel 0 at 18.2 Hz. */
    private void firmwareState() {
        pic.initialize(DualPic.BIOS_MASTER_BASE, DualPic.BIOS_SLAVE_BASE);
        pic.setMasks(DualPic.BIOS_MASTER_MASK, DualPic.BIOS_SLAVE_MASK);
        pit.programLikeBios();
    }

    void reset() {
        pic.reset();
        pit.reset();
        rtc.reset();
        uart.reset();
        vga.reset();
        i8042.reset();
        port92.reset();
        resetControl.reset();
        fwCfg.reset();
        acpiPm.reset();
        acpiPm.setSciEnabled(true);
        pciHost.reset();
        for (PciDevice d : pci.devices()) {
            d.reset();
        }
        firmwareState();
        pciFirmwareSetup();
    }
}
