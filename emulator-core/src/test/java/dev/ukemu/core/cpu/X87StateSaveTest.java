package dev.ukemu.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ukemu.core.cpu.oracle.NativeX87;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * FXSAVE/FXRSTOR, XSAVE/XRSTOR/XSAVEOPT and FNSAVE/FRSTOR/FNSTENV/FLDENV images compared with
 * the host CPU: the same code runs natively and in the emulator on the same random state, and
 * the memory images it writes must agree byte for byte.
 */
class X87StateSaveTest {
    static final int IN = NativeX87.IN, OUT = NativeX87.OUT, XAREA = NativeX87.XAREA;
    static final int XOUT = XAREA + 1024;
    static final long DATA = CpuTestRig.DATA;
    static final int ROUNDS = 300;

    /**
     * A valid FXSAVE image: random registers, tags, control words, pointers, XMM registers.
     * {@code pendingOk} false keeps the exception flags masked, so that a waiting instruction
     * after loading it (FRSTOR, FLDENV) does not raise #MF on the host.
     */
    static byte[] randomImage(Random rnd) {
        return randomImage(rnd, true);
    }

    static byte[] randomImage(Random rnd, boolean pendingOk) {
        X87Values v = new X87Values(rnd);
        byte[] img = new byte[512];
        ByteBuffer b = ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN);
        int cw = rnd.nextInt(0x10000) & ~0xE0C0 | 0x40;
        b.putShort(0, (short) cw);
        int sw = rnd.nextInt(0x10000) & ~0x80BF | (rnd.nextInt(64) & (pendingOk ? 0x3F : cw & 0x3F));
        b.putShort(2, (short) sw);
        b.put(4, (byte) rnd.nextInt(256));
        b.putShort(6, (short) rnd.nextInt(0x800));
        b.putLong(8, rnd.nextLong() & 0x0000FFFFFFFFFFFFL);
        b.putLong(16, rnd.nextLong() & 0x0000FFFFFFFFFFFFL);
        b.putInt(24, 0x1F80 ^ (rnd.nextInt(0x10000) & 0xFFBF));
        b.putInt(28, 0xFFFF);
        for (int k = 0; k < 8; k++) {
            long[] x = v.f80();
            b.putLong(32 + 16 * k, x[1]);
            b.putShort(40 + 16 * k, (short) x[0]);
        }
        for (int k = 0; k < 16; k++) {
            b.putLong(160 + 16 * k, rnd.nextLong());
            b.putLong(168 + 16 * k, rnd.nextLong());
        }
        return img;
    }

    interface Setup {
        void prepare(byte[] block);
    }

    /** Runs {@code code} natively and in the guest on the same 8 KiB block; returns {host, guest}. */
    static byte[][] both(NativeX87 nat, CpuTestRig rig, byte[] code, byte[] block) {
        MemorySegment.copy(block, 0, nat.block, ValueLayout.JAVA_BYTE, 0, block.length);
        nat.runRaw(code);
        byte[] host = new byte[block.length];
        MemorySegment.copy(nat.block, ValueLayout.JAVA_BYTE, 0, host, 0, block.length);

        Cpu cpu = rig.cpu;
        rig.mem.load(DATA, block);
        byte[] guestCode = new byte[code.length + 1];
        System.arraycopy(code, 0, guestCode, 0, code.length);
        guestCode[code.length] = (byte) 0xF4;
        rig.code(guestCode);
        cpu.r[Cpu.RDI] = DATA;
        cpu.r[Cpu.RSI] = DATA + NativeX87.OPERAND;
        rig.vectors.clear();
        rig.run(100);
        assertTrue(rig.vectors.isEmpty(), "guest exception " + rig.vectors);
        return new byte[][] {host, rig.mem.read(DATA, block.length)};
    }

    static CpuTestRig rig() {
        CpuTestRig rig = new CpuTestRig();
        rig.cpu.cr4 |= Cpu.CR4_OSFXSR | Cpu.CR4_OSXMMEXCPT | Cpu.CR4_OSXSAVE;
        rig.cpu.xcr0 = 3;
        return rig;
    }

    static byte[] cat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** REX.W? 0F AE /r [rdi+disp32]. */
    static byte[] group15(boolean rexW, int r, int disp) {
        byte[] m = {0x0F, (byte) 0xAE, (byte) (0x80 | r << 3 | 7), (byte) disp, (byte) (disp >> 8), 0, 0};
        return rexW ? cat(new byte[] {0x48}, m) : m;
    }

    static final byte[] MASK_X87_SSE = {(byte) 0xB8, 3, 0, 0, 0, 0x31, (byte) 0xD2}; // mov eax,3; xor edx,edx
    static final byte[] MASK_ALL = {(byte) 0xB8, -1, -1, -1, -1, (byte) 0xBA, -1, -1, -1, -1}; // mov eax,-1; mov edx,-1

    /**
     * Differences between the host's and the guest's images of a legacy region at {@code from}.
     * Not compared: MXCSR_MASK (28-31: AMD hosts add bit 17, misaligned SSE), and FOP/FIP/FDP
     * (6-23) when no exception is pending, which AMD's FXSAVE then writes as zeros.
     */
    static List<String> diff(byte[] host, byte[] guest, int from, int to) {
        List<String> d = new ArrayList<>();
        boolean pending = (host[from + 2] & 0x80) != 0;
        for (int k = from; k < to; k++) {
            int off = k - from;
            if (to - from >= 512 && (off >= 28 && off < 32 || !pending && off >= 6 && off < 24)) {
                continue;
            }
            if (host[k] != guest[k] && d.size() < 12) {
                d.add(String.format("+%d host %02x guest %02x", k - from, host[k] & 0xFF, guest[k] & 0xFF));
            }
        }
        return d;
    }

    static byte[] freshBlock(Random rnd, byte[] img) {
        byte[] block = new byte[NativeX87.BLOCK_SIZE];
        for (int k = 0; k < block.length; k++) {
            block[k] = (byte) 0xA5;
        }
        System.arraycopy(img, 0, block, IN, 512);
        return block;
    }

    /**
     * Rewrites the x87 (component 0) and SSE (component 1) parts of the XSAVE image at XOUT with
     * their initial values where {@code bv} says the component was not saved.
     */
    static void asInitialWhereSkipped(byte[] image, long bv) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        if ((bv & 1) == 0) {
            b.putShort(XOUT, (short) 0x037F); // FCW
            for (int k = 2; k < 24; k++) { // FSW, abridged FTW, FOP, FIP, FDP
                image[XOUT + k] = 0;
            }
            for (int k = 32; k < 160; k++) {
                image[XOUT + k] = 0;
            }
        }
        if ((bv & 2) == 0) {
            for (int k = 160; k < 416; k++) {
                image[XOUT + k] = 0;
            }
        }
    }

    @Test
    void mxcsrMaskIsTheLow16Bits() {
        try (CpuTestRig rig = rig()) {
            rig.cpu.r[Cpu.RDI] = DATA;
            rig.code(0x0F, 0xAE, 0x07);
            rig.run(10);
            assertEquals(0xFFFF, rig.mem.readInt(DATA + 28));
        }
    }

    @Test
    void fxsaveImagesMatchTheHost() {
        assumeTrue(NativeX87.available());
        Random rnd = new Random(1);
        try (NativeX87 nat = new NativeX87(); CpuTestRig rig = rig()) {
            for (int round = 0; round < ROUNDS; round++) {
                byte[] img = randomImage(rnd);
                boolean wideIn = rnd.nextBoolean(), wideOut = rnd.nextBoolean();
                byte[] code = cat(group15(wideIn, 1, IN), group15(wideOut, 0, OUT));
                byte[][] r = both(nat, rig, code, freshBlock(rnd, img));
                List<String> d = diff(r[0], r[1], OUT, OUT + 512);
                assertTrue(d.isEmpty(), "fxrstor" + (wideIn ? "64" : "") + "/fxsave" + (wideOut ? "64" : "") + ": " + d);
            }
        }
    }

    @Test
    void xsaveImagesMatchTheHost() {
        assumeTrue(NativeX87.available());
        Random rnd = new Random(2);
        try (NativeX87 nat = new NativeX87(); CpuTestRig rig = rig()) {
            for (int round = 0; round < ROUNDS; round++) {
                byte[] img = randomImage(rnd);
                byte[] block = freshBlock(rnd, img);
                System.arraycopy(img, 0, block, XAREA, 512);
                ByteBuffer b = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
                for (int k = 512; k < 576; k += 8) {
                    b.putLong(XAREA + k, 0);
                    b.putLong(XOUT + k, 0);
                }
                long bv = rnd.nextInt(4);
                b.putLong(XAREA + 512, bv);
                boolean wide = rnd.nextBoolean();
                int saveOp = rnd.nextBoolean() ? 4 : 6; // XSAVE or XSAVEOPT
                byte[] code = cat(MASK_X87_SSE, group15(wide, 5, XAREA), group15(wide, saveOp, XOUT),
                        group15(true, 0, OUT));
                byte[][] r = both(nat, rig, code, block);
                long hostBv = ByteBuffer.wrap(r[0]).order(ByteOrder.LITTLE_ENDIAN).getLong(XOUT + 512);
                long guestBv = ByteBuffer.wrap(r[1]).order(ByteOrder.LITTLE_ENDIAN).getLong(XOUT + 512);
                // A component in its initial state may be saved with its XSTATE_BV bit clear (and,
                // by XSAVEOPT, left unwritten) or written out with the bit set: processors differ
                // in which components XINUSE tracks. Both images mean the same state once the
                // components marked as not saved read as their initial values.
                asInitialWhereSkipped(r[0], hostBv);
                asInitialWhereSkipped(r[1], guestBv);
                List<String> d = diff(r[0], r[1], XOUT, XOUT + 512);
                assertTrue(d.isEmpty(), "xrstor/" + (saveOp == 6 ? "xsaveopt" : "xsave") + ", XSTATE_BV " + bv
                        + " (saved: host " + hostBv + ", guest " + guestBv + "): " + d);
                List<String> f = diff(r[0], r[1], OUT, OUT + 512);
                assertTrue(f.isEmpty(), "fxsave after xrstor, XSTATE_BV " + bv + ": " + f);
                assertTrue(diff(r[0], r[1], XOUT + 520, XOUT + 576).isEmpty(), "XSAVE header beyond XSTATE_BV");
            }
        }
    }

    @Test
    void fnsaveAndEnvironmentImagesMatchTheHost() {
        assumeTrue(NativeX87.available());
        Random rnd = new Random(3);
        try (NativeX87 nat = new NativeX87(); CpuTestRig rig = rig()) {
            for (int round = 0; round < ROUNDS; round++) {
                byte[] img = randomImage(rnd);
                // FNSAVE/FNSTENV store FIP/FDP as FXRSTOR loaded them: 32-bit values in these layouts.
                ByteBuffer ib = ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN);
                ib.putLong(8, ib.getLong(8) & 0xFFFFFFFFL);
                ib.putLong(16, ib.getLong(16) & 0xFFFFFFFFL);
                boolean o16 = rnd.nextBoolean();
                byte[] prefix = o16 ? new byte[] {0x66} : new byte[0];
                int size = o16 ? 94 : 108;
                byte[] save = cat(prefix, new byte[] {(byte) 0xDD, 0x36}); // fnsave [rsi]
                byte[] env = cat(prefix, new byte[] {(byte) 0xD9, 0x36}); // fnstenv [rsi]
                byte[] code = cat(group15(true, 1, IN), rnd.nextBoolean() ? save : env, group15(true, 0, OUT));
                byte[][] r = both(nat, rig, code, freshBlock(rnd, img));
                List<String> d = diff(r[0], r[1], NativeX87.OPERAND, NativeX87.OPERAND + size);
                assertTrue(d.isEmpty(), (o16 ? "16" : "32") + "-bit image: " + d);
                List<String> f = diff(r[0], r[1], OUT, OUT + 512);
                assertTrue(f.isEmpty(), "state after: " + f);
            }
        }
    }

    @Test
    void frstorAndFldenvMatchTheHost() {
        assumeTrue(NativeX87.available());
        Random rnd = new Random(4);
        try (NativeX87 nat = new NativeX87(); CpuTestRig rig = rig()) {
            for (int round = 0; round < ROUNDS; round++) {
                byte[] img = randomImage(rnd);
                byte[] block = freshBlock(rnd, img);
                // A first state saved with FNSAVE, then restored over a second one.
                boolean o16 = rnd.nextBoolean();
                byte[] prefix = o16 ? new byte[] {0x66} : new byte[0];
                byte[] img2 = randomImage(rnd, false);
                System.arraycopy(img2, 0, block, XAREA, 512);
                byte[] load = rnd.nextBoolean() ? new byte[] {(byte) 0xDD, 0x26} : new byte[] {(byte) 0xD9, 0x26};
                byte[] code = cat(group15(true, 1, IN), prefix, new byte[] {(byte) 0xDD, 0x36},
                        group15(true, 1, XAREA), prefix, load, group15(true, 0, OUT));
                byte[][] r = both(nat, rig, code, block);
                List<String> d = diff(r[0], r[1], OUT, OUT + 512);
                assertTrue(d.isEmpty(), (load[0] == (byte) 0xDD ? "frstor" : "fldenv") + (o16 ? "16" : "32") + ": " + d);
            }
        }
    }
}
