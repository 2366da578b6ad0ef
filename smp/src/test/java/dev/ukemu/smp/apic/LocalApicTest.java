package dev.ukemu.smp.apic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.core.cpu.Cpu;
import dev.ukemu.core.cpu.CpuException;
import dev.ukemu.core.cpu.Interpreter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class LocalApicTest {
    static final long BASE = LocalApic.DEFAULT_BASE;

    static long rd(ApicTestBench b, int cpu, long msr) {
        return b.apics.get(cpu).read(b.cpus.get(cpu), msr);
    }

    static void wr(ApicTestBench b, int cpu, long msr, long v) {
        b.apics.get(cpu).write(b.cpus.get(cpu), msr, v);
    }

    @Test
    void powerOnStateIsXapicEnabledWithBspBitOnCpu0Only() {
        try (ApicTestBench b = new ApicTestBench(2)) {
            assertEquals(BASE | LocalApic.BASE_EN | LocalApic.BASE_BSP, rd(b, 0, LocalApic.MSR_APIC_BASE));
            assertEquals(BASE | LocalApic.BASE_EN, rd(b, 1, LocalApic.MSR_APIC_BASE));
            assertEquals(1L << 24, b.apics.get(1).read(LocalApic.ID, 4), "xAPIC ID in bits 24-31");
            assertEquals(0x50014, b.apics.get(0).read(LocalApic.VERSION, 4));
            assertEquals(0x10000, b.apics.get(0).read(LocalApic.LVT_TIMER, 4), "LVTs start masked");
        }
    }

    @Test
    void modeTransitionsFollowTheSdm() {
        try (ApicTestBench b = new ApicTestBench(1)) {
            long en = BASE | LocalApic.BASE_EN | LocalApic.BASE_BSP;
            assertThrows(CpuException.class, () -> rd(b, 0, 0x802), "x2APIC MSRs #GP in xAPIC mode");
            wr(b, 0, LocalApic.MSR_APIC_BASE, en | LocalApic.BASE_EXTD);
            assertTrue(b.apics.get(0).x2apicMode());
            assertEquals(0L, rd(b, 0, 0x802), "x2APIC ID register is the full 32-bit ID");
            assertEquals(-1, b.apics.get(0).mmioBase(), "no MMIO page in x2APIC mode");
            assertThrows(CpuException.class, () -> wr(b, 0, LocalApic.MSR_APIC_BASE, en), "x2APIC -> xAPIC directly");
            wr(b, 0, LocalApic.MSR_APIC_BASE, BASE | LocalApic.BASE_BSP);
            assertFalse(b.apics.get(0).hardwareEnabled());
            assertThrows(CpuException.class, () -> wr(b, 0, LocalApic.MSR_APIC_BASE, en | LocalApic.BASE_EXTD), "disabled -> x2APIC directly");
            assertThrows(CpuException.class, () -> wr(b, 0, LocalApic.MSR_APIC_BASE, BASE | LocalApic.BASE_EXTD), "EXTD without EN");
            wr(b, 0, LocalApic.MSR_APIC_BASE, en);
            assertEquals(BASE, b.apics.get(0).mmioBase(), "re-enabled in xAPIC mode");
            wr(b, 0, LocalApic.MSR_APIC_BASE, en | LocalApic.BASE_EXTD);
            assertTrue(b.apics.get(0).x2apicMode(), "and on to x2APIC again");
        }
    }

    @Test
    void fixedIpiRespectsPriorityAndEoi() {
        try (ApicTestBench b = new ApicTestBench(2)) {
            b.x2apicAll();
            wr(b, 0, 0x830, (1L << 32) | 0x40); // fixed, vector 0x40, to APIC ID 1
            LocalApic a1 = b.apics.get(1);
            assertTrue(a1.interruptPending());
            assertTrue((b.cpus.get(1).events & Interpreter.EV_INTERRUPT) != 0);
            assertTrue(b.kicks[1] > 0, "the target vCPU was woken");
            assertFalse(b.apics.get(0).interruptPending(), "not the sender");
            assertEquals(0x40, a1.acknowledge());
            assertEquals(0x40, rd(b, 1, 0x80A), "PPR follows the in-service vector");
            assertEquals(1L, rd(b, 1, 0x812) & 1, "ISR bit 0x40 (word 2, bit 0)");
            wr(b, 0, 0x830, (1L << 32) | 0x35);
            assertFalse(a1.interruptPending(), "0x35 is below the in-service class 0x40");
            wr(b, 1, 0x80B, 0); // EOI
            assertTrue(a1.interruptPending());
            assertEquals(0x35, a1.acknowledge());
        }
    }

    @Test
    void taskPriorityMasksLowerClasses() {
        try (ApicTestBench b = new ApicTestBench(1)) {
            b.x2apicAll();
            wr(b, 0, 0x808, 0x50); // TPR
            wr(b, 0, 0x83F, 0x45); // self IPI
            assertFalse(b.apics.get(0).interruptPending());
            wr(b, 0, 0x83F, 0x65);
            assertEquals(0x65, b.apics.get(0).acknowledge());
            wr(b, 0, 0x80B, 0); // EOI
            assertFalse(b.apics.get(0).interruptPending(), "0x45 is still held by TPR");
            wr(b, 0, 0x808, 0);
            assertEquals(0x45, b.apics.get(0).acknowledge(), "lowering TPR releases the held vector");
        }
    }

    @Test
    void shorthandsReachTheRightCpus() {
        try (ApicTestBench b = new ApicTestBench(3)) {
            b.x2apicAll();
            wr(b, 1, 0x830, (3 << 18) | 0x50); // all excluding self, from CPU 1
            assertTrue(b.apics.get(0).interruptPending());
            assertFalse(b.apics.get(1).interruptPending());
            assertTrue(b.apics.get(2).interruptPending());
            wr(b, 1, 0x830, (1 << 18) | 0x60); // self
            assertEquals(0x60, b.apics.get(1).acknowledge());
            wr(b, 2, 0x830, (2 << 18) | 0x70); // all including self
            for (LocalApic a : b.apics) {
                assertEquals(0x70, a.acknowledge());
            }
        }
    }

    @Test
    void xapicLogicalFlatAndClusterDestinations() {
        try (ApicTestBench b = new ApicTestBench(3)) {
            for (LocalApic a : b.apics) {
                a.write(LocalApic.SVR, 4, 0x1FF);
            }
            b.apics.get(0).write(LocalApic.LDR, 4, 0x01000000L);
            b.apics.get(1).write(LocalApic.LDR, 4, 0x02000000L);
            b.apics.get(2).write(LocalApic.LDR, 4, 0x04000000L);
            b.apics.get(0).write(LocalApic.ICR_HI, 4, 0x06000000L); // logical set {1,2}
            b.apics.get(0).write(LocalApic.ICR_LO, 4, (1 << 11) | 0x41);
            assertFalse(b.apics.get(0).interruptPending());
            assertTrue(b.apics.get(1).interruptPending());
            assertTrue(b.apics.get(2).interruptPending());
            // Cluster model: cluster 1, members bit 0 -> only an APIC with logical ID 0x11.
            for (LocalApic a : b.apics) {
                a.write(LocalApic.DFR, 4, 0x0FFFFFFFL);
            }
            b.apics.get(2).write(LocalApic.LDR, 4, 0x11000000L);
            b.apics.get(0).write(LocalApic.ICR_HI, 4, 0x11000000L);
            b.apics.get(0).write(LocalApic.ICR_LO, 4, (1 << 11) | 0x52);
            assertEquals(0x52, b.apics.get(2).acknowledge());
            assertEquals(0x41, b.apics.get(1).acknowledge(), "CPU 1 got only the first IPI");
            assertEquals(-1, b.apics.get(1).acknowledge());
        }
    }

    @Test
    void x2apicLogicalDestinationUsesClusterAndBit() {
        try (ApicTestBench b = new ApicTestBench(3)) {
            b.x2apicAll();
            assertEquals(0x4L, rd(b, 2, 0x80D), "x2APIC LDR of ID 2: cluster 0, bit 2");
            wr(b, 0, 0x830, (0x0004L << 32) | (1 << 11) | 0x44);
            assertTrue(b.apics.get(2).interruptPending());
            assertFalse(b.apics.get(1).interruptPending());
        }
    }

    @Test
    void initAndStartupIpisReachTheTarget() {
        try (ApicTestBench b = new ApicTestBench(2)) {
            b.x2apicAll();
            wr(b, 0, 0x830, (1L << 32) | 0xC500); // INIT, level assert (Unikraft's value)
            assertTrue((b.cpus.get(1).events & Interpreter.EV_INIT) != 0);
            wr(b, 0, 0x830, (1L << 32) | 0xC601); // start-up, vector 1
            assertTrue((b.cpus.get(1).events & Interpreter.EV_SIPI) != 0);
            assertEquals(1, b.cpus.get(1).sipiVector);
            Cpu c1 = b.cpus.get(1);
            c1.initReset();
            c1.startup(c1.sipiVector);
            assertEquals(0x100, c1.segSel[Cpu.CS]);
            assertEquals(0x1000, c1.segBase[Cpu.CS]);
            assertEquals(0, c1.rip);
            assertEquals(16, c1.bits, "a started AP runs real-mode code");
        }
    }

    @Test
    void illegalVectorSetsEsr() {
        try (ApicTestBench b = new ApicTestBench(1)) {
            b.x2apicAll();
            wr(b, 0, 0x830, 0x05 | (1 << 18));
            wr(b, 0, 0x828, 0); // latch ESR
            assertEquals(0x20L, rd(b, 0, 0x828) & 0x20, "send illegal vector");
        }
    }

    @Test
    void oneShotAndPeriodicTimer() {
        try (ApicTestBench b = new ApicTestBench(1)) {
            b.x2apicAll();
            LocalApic a = b.apics.get(0);
            wr(b, 0, 0x83E, 0xB); // divide by 1
            wr(b, 0, 0x832, 0x30); // LVT timer: one-shot, vector 0x30
            wr(b, 0, 0x838, 1000); // 1000 ticks at 1 GHz = 1 us
            b.advance(400);
            assertEquals(600L, rd(b, 0, 0x839), "current count runs down with the clock");
            assertFalse(a.interruptPending());
            b.advance(600);
            assertEquals(0x30, a.acknowledge());
            wr(b, 0, 0x80B, 0);
            b.advance(5000);
            assertEquals(-1, a.acknowledge(), "one-shot fires once");
            wr(b, 0, 0x832, (1 << 17) | 0x31); // periodic
            wr(b, 0, 0x838, 1000);
            for (int k = 0; k < 3; k++) {
                b.advance(1000);
                assertEquals(0x31, a.acknowledge(), "period " + k);
                wr(b, 0, 0x80B, 0);
            }
        }
    }

    @Test
    void tscDeadlineTimer() {
        try (ApicTestBench b = new ApicTestBench(1)) {
            b.x2apicAll();
            LocalApic a = b.apics.get(0);
            wr(b, 0, 0x832, (2 << 17) | 0x33);
            long deadline = b.clock.tsc() + 2_500_000; // 1 ms at 2.5 GHz
            wr(b, 0, LocalApic.MSR_TSC_DEADLINE, deadline);
            b.advance(999_000);
            assertFalse(a.interruptPending());
            b.advance(1_000);
            assertEquals(0x33, a.acknowledge());
            assertEquals(0L, rd(b, 0, LocalApic.MSR_TSC_DEADLINE), "the deadline clears when it fires");
        }
    }

    @Test
    void tscDeadlineFollowsTheVcpusTscAfterAnIa32TscWrite() {
        try (ApicTestBench b = new ApicTestBench(1)) {
            b.x2apicAll();
            LocalApic a = b.apics.get(0);
            Cpu c = b.cpus.get(0);
            c.tscOffset = 2_500_000_000L; // the guest set its TSC 1 s ahead of the machine clock
            wr(b, 0, 0x832, (2 << 17) | 0x33);
            long deadline = b.clock.tsc() + c.tscOffset + 2_500_000; // 1 ms ahead of what RDTSC reads
            wr(b, 0, LocalApic.MSR_TSC_DEADLINE, deadline);
            b.advance(999_000);
            assertFalse(a.interruptPending());
            b.advance(1_000);
            assertEquals(0x33, a.acknowledge(), "fires when this vCPU's TSC reaches the deadline");
            assertEquals(0L, rd(b, 0, LocalApic.MSR_TSC_DEADLINE));

            c.tscOffset = -1_000_000L; // and behind it: a deadline that the raw clock passed is not due yet
            wr(b, 0, 0x80B, 0);
            deadline = b.clock.tsc() + c.tscOffset + 2_500_000;
            wr(b, 0, LocalApic.MSR_TSC_DEADLINE, deadline);
            b.advance(999_000);
            assertFalse(a.interruptPending());
            b.advance(1_000);
            assertEquals(0x33, a.acknowledge());
        }
    }

    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // it used to re-arm for the same instant forever
    void tscDeadlineThatIsNotAWholeNanosecondFiresOnceWhenReached() {
        try (ApicTestBench b = new ApicTestBench(1)) {
            b.x2apicAll();
            LocalApic a = b.apics.get(0);
            wr(b, 0, 0x832, (2 << 17) | 0x33);
            long deadline = b.clock.tsc() + 2_500_001; // 1 ms and 0.4 ns: between two nanoseconds
            wr(b, 0, LocalApic.MSR_TSC_DEADLINE, deadline);
            b.advance(1_000_000);
            assertFalse(a.interruptPending(), "TSC is 1 tick short of the deadline");
            b.advance(1);
            assertEquals(0x33, a.acknowledge());
            wr(b, 0, 0x80B, 0);

            wr(b, 0, LocalApic.MSR_TSC_DEADLINE, 1L << 63); // as unsigned: centuries ahead
            b.advance(1_000_000_000L);
            assertEquals(-1, a.acknowledge(), "a deadline of 2^63 ticks does not fire");
            assertEquals(1L << 63, rd(b, 0, LocalApic.MSR_TSC_DEADLINE));
        }
    }

    @Test
    void extIntOnLint0ComesFromThePic() {
        try (ApicTestBench b = new ApicTestBench(1)) {
            LocalApic a = b.apics.get(0);
            a.biosSetup();
            a.setExtIntSource(() -> 0x28);
            a.setLint0(true);
            assertTrue(a.interruptPending());
            assertEquals(0x28, a.acknowledge(), "the vector comes from the INTA cycle");
            a.setLint0(false);
            assertFalse(a.interruptPending());
        }
    }
}
