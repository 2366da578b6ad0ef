package dev.ukemu.core.cpu.oracle;

import static dev.ukemu.core.cpu.oracle.Ops.name;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.core.cpu.CpuTestRig;
import dev.ukemu.core.cpu.oracle.Encoder.Mem;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * MUL, IMUL (one-, two- and three-operand) and DIV/IDIV against the host CPU. Division inputs
 * that would raise #DE are never run natively (the JVM would die of SIGFPE); a separate test
 * checks the emulator's #DE against the architectural rule.
 */
class MulDivDifferentialTest extends OracleTestSupport {

    // ------------------------------------------------------------------ MUL / IMUL

    static Form mul1(Random r, boolean signed, boolean mem) {
        int size = SIZES[r.nextInt(4)];
        boolean b = size == 1;
        Ops o = new Ops(r, Ops.RAX, Ops.RDX);
        Encoder e = Encoder.op(0xF6 | (b ? 0 : 1)).osize(size).ext(signed ? 5 : 4);
        String src;
        if (mem) {
            Mem m = o.mem(size, false);
            e.mem(m);
            src = Ops.name(m, size);
        } else {
            int x = o.reg(size);
            e.rm(x, b);
            src = name(x, size);
        }
        String mn = signed ? "imul" : "mul";
        // SF, ZF, AF, PF are undefined after MUL and IMUL.
        return o.attach(new Form(mn + " " + (mem ? "m" : "r") + size * 8, mn + " " + src, e.build())).flags(CF | OF);
    }

    /** @param shape 0: IMUL r, r/m (0F AF); 1: IMUL r, r/m, imm32/16 (69); 2: IMUL r, r/m, imm8 (6B) */
    static Form imul(Random r, int shape, boolean mem) {
        int size = pick(r, 2, 4, 8);
        Ops o = new Ops(r);
        int d = o.reg(size);
        Encoder e = shape == 0 ? Encoder.op(0x0F, 0xAF) : Encoder.op(shape == 1 ? 0x69 : 0x6B);
        e.osize(size).reg(d, false);
        String src;
        if (mem) {
            Mem m = o.mem(size, false);
            e.mem(m);
            src = Ops.name(m, size);
        } else {
            int x = o.reg(size);
            e.rm(x, false);
            src = name(x, size);
        }
        String text = "imul " + name(d, size) + ", " + src;
        if (shape > 0) {
            int ib = shape == 2 ? 1 : size == 2 ? 2 : 4;
            long imm = imm(r, ib);
            e.imm(imm, ib);
            text += ", 0x" + Long.toHexString(imm);
        }
        String fam = "imul r" + size * 8 + ", " + (mem ? "m" : "r") + size * 8
                + (shape == 1 ? ", imm" + (size == 2 ? 16 : 32) : shape == 2 ? ", imm8" : "");
        return o.attach(new Form(fam, text, e.build())).flags(CF | OF);
    }

    @Test
    void multiplications() {
        List<Function<Random, Form>> fs = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            boolean signed = (k & 1) != 0, mem = (k & 2) != 0;
            fs.add(r -> mul1(r, signed, mem));
        }
        for (int shape = 0; shape < 3; shape++) {
            int sh = shape;
            fs.add(r -> imul(r, sh, false));
            fs.add(r -> imul(r, sh, true));
        }
        differential("mul/imul", 0.07, fs);
    }

    // ------------------------------------------------------------------ DIV / IDIV

    /** The dividend the instruction sees: AX, DX:AX, EDX:EAX or RDX:RAX. */
    static BigInteger dividend(long[] r, int size, boolean signed) {
        int bits = size * 8;
        long lo, hi;
        if (size == 1) {
            lo = r[Ops.RAX] & 0xFF;
            hi = (r[Ops.RAX] >>> 8) & 0xFF;
        } else {
            lo = r[Ops.RAX] & Values.mask(bits);
            hi = r[Ops.RDX] & Values.mask(bits);
        }
        BigInteger n = new BigInteger(Long.toUnsignedString(hi)).shiftLeft(bits).or(new BigInteger(Long.toUnsignedString(lo)));
        if (signed && n.testBit(2 * bits - 1)) {
            n = n.subtract(BigInteger.ONE.shiftLeft(2 * bits));
        }
        return n;
    }

    static void setDividend(long[] r, int size, BigInteger n) {
        int bits = size * 8;
        long lo = n.longValue() & Values.mask(bits);
        long hi = n.shiftRight(bits).longValue() & Values.mask(bits);
        if (size == 1) {
            r[Ops.RAX] = (r[Ops.RAX] & ~0xFFFFL) | hi << 8 | lo;
        } else {
            long m = Values.mask(bits);
            r[Ops.RAX] = (r[Ops.RAX] & ~m) | lo;
            r[Ops.RDX] = (r[Ops.RDX] & ~m) | hi;
        }
    }

    static BigInteger divisor(long raw, int size, boolean signed) {
        int bits = size * 8;
        return signed ? BigInteger.valueOf(Values.signExtend(raw, bits))
                : new BigInteger(Long.toUnsignedString(raw & Values.mask(bits)));
    }

    /** Quotient and remainder per the SDM's DIV/IDIV pseudocode, or null for #DE. */
    static BigInteger[] divide(long[] r, long divisorRaw, int size, boolean signed) {
        BigInteger d = divisor(divisorRaw, size, signed);
        if (d.signum() == 0) {
            return null;
        }
        BigInteger[] qr = dividend(r, size, signed).divideAndRemainder(d); // truncates toward zero
        int bits = size * 8;
        BigInteger lo = signed ? BigInteger.ONE.shiftLeft(bits - 1).negate() : BigInteger.ZERO;
        BigInteger hi = signed ? BigInteger.ONE.shiftLeft(bits - 1).subtract(BigInteger.ONE)
                : BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE);
        if (qr[0].compareTo(lo) < 0 || qr[0].compareTo(hi) > 0) {
            return null;
        }
        return qr;
    }

    /** Makes a dividend that the current divisor divides without overflow (most of the time). */
    static void shapeDividend(Random rnd, long[] r, long divisorRaw, int size, boolean signed) {
        int bits = size * 8;
        BigInteger d = divisor(divisorRaw, size, signed);
        if (d.signum() == 0) {
            return;
        }
        BigInteger q = signed ? BigInteger.valueOf(Values.signExtend(Values.any(rnd), bits))
                : new BigInteger(Long.toUnsignedString(Values.any(rnd) & Values.mask(bits)));
        BigInteger ad = d.abs();
        BigInteger rem = new BigInteger(bits + 1, rnd).mod(ad);
        if (rnd.nextInt(4) == 0) {
            rem = ad.subtract(BigInteger.ONE); // the largest remainder
        }
        BigInteger prod = q.multiply(d);
        if (prod.signum() < 0 || (prod.signum() == 0 && signed && rnd.nextBoolean())) {
            rem = rem.negate();
        }
        setDividend(r, size, prod.add(rem));
    }

    static Form div(Random r, boolean signed, boolean mem) {
        int size = SIZES[r.nextInt(4)];
        boolean b = size == 1;
        Ops o = new Ops(r, Ops.RAX, Ops.RDX);
        Encoder e = Encoder.op(0xF6 | (b ? 0 : 1)).osize(size).ext(signed ? 7 : 6);
        String src;
        int x = -1;
        if (mem) {
            Mem m = o.mem(size, false);
            e.mem(m);
            src = Ops.name(m, size);
        } else {
            x = o.reg(size);
            e.rm(x, b);
            src = name(x, size);
        }
        String mn = signed ? "idiv" : "div";
        Form f = o.attach(new Form(mn + " " + (mem ? "m" : "r") + size * 8, mn + " " + src, e.build()));
        int rm = x;
        return f.flags(0).inputs((rnd, s) -> {
            if (operand(s, f, rm, size) == 0 && rnd.nextInt(4) != 0) {
                setOperand(s, f, rm, size, Values.any(rnd) | 1);
            }
            if (rnd.nextInt(8) != 0) {
                shapeDividend(rnd, s.r, operand(s, f, rm, size), size, signed);
            }
            // The final word: only inputs that cannot raise #DE ever reach the host.
            return divide(s.r, operand(s, f, rm, size), size, signed) != null;
        });
    }

    @Test
    void divisionsThatDoNotFault() {
        List<Function<Random, Form>> fs = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            boolean signed = (k & 1) != 0, mem = (k & 2) != 0;
            fs.add(r -> div(r, signed, mem));
        }
        differential("div/idiv", 0.05, fs);
    }

    /**
     * #DE in the emulator alone, against the architectural rule (SDM vol. 2A DIV/IDIV): a zero
     * divisor or a quotient that does not fit the destination faults, RIP points at the DIV,
     * and RAX/RDX are unchanged; otherwise quotient and remainder land in AL/AH, AX/DX,
     * EAX/EDX or RAX/RDX.
     */
    @Test
    void divideErrorFollowsTheArchitecturalRule() {
        long seed = Oracle.mix(Oracle.baseSeed(), "divide-error".hashCode());
        Random rnd = new Random(seed);
        int cases = (int) Math.max(2000, Math.min(200_000, Oracle.totalCases() / 50));
        int faults = 0;
        try (CpuTestRig rig = new CpuTestRig()) {
            for (int n = 0; n < cases; n++) {
                int size = SIZES[rnd.nextInt(4)];
                boolean signed = rnd.nextBoolean();
                boolean mem = rnd.nextBoolean();
                // div/idiv rbx-operand or [rbx]
                Encoder e = Encoder.op(0xF6 | (size == 1 ? 0 : 1)).osize(size).ext(signed ? 7 : 6);
                if (mem) {
                    e.mem(Mem.of(Ops.RBX, 0));
                } else {
                    e.rm(Ops.RBX, size == 1);
                }
                byte[] code = e.build();
                long[] r = new long[16];
                for (int k = 0; k < 16; k++) {
                    r[k] = Values.any(rnd);
                }
                long divisorRaw = switch (rnd.nextInt(6)) {
                    case 0 -> rnd.nextLong() & ~Values.mask(size * 8); // zero in the operand's width
                    case 1 -> Values.edge(rnd, size * 8);
                    default -> Values.any(rnd);
                };
                if (rnd.nextInt(3) == 0) {
                    shapeDividend(rnd, r, divisorRaw, size, signed);
                }
                if (mem) {
                    r[Ops.RBX] = Oracle.EMU_SCRATCH;
                    rig.mem.writeLong(Oracle.EMU_SCRATCH, divisorRaw);
                } else {
                    r[Ops.RBX] = divisorRaw;
                }
                BigInteger[] qr = divide(r, divisorRaw, size, signed);
                for (int k = 0; k < code.length; k++) {
                    rig.cpu.writePhys(CpuTestRig.CODE + k, 1, code[k]);
                }
                rig.cpu.writePhys(CpuTestRig.CODE + code.length, 1, 0xF4);
                System.arraycopy(r, 0, rig.cpu.r, 0, 16);
                rig.cpu.r[Ops.RSP] = CpuTestRig.STACK;
                rig.cpu.setRflags(0x202);
                rig.cpu.rip = CpuTestRig.CODE;
                rig.cpu.halted = false;
                rig.vectors.clear();
                rig.run(16);
                String what = String.format("%s%d %s, RDX:RAX=%016x:%016x divisor %x (seed 0x%x case %d)",
                        signed ? "idiv" : "div", size * 8, mem ? "m" : "r", r[Ops.RDX], r[Ops.RAX], divisorRaw, seed, n);
                if (qr == null) {
                    faults++;
                    assertEquals(List.of(0), rig.vectors, "#DE expected: " + what);
                    long pushedRip = rig.mem.readLong(rig.cpu.r[Ops.RSP]);
                    assertEquals(CpuTestRig.CODE, pushedRip, "#DE must point at the DIV: " + what);
                    assertEquals(r[Ops.RAX], rig.cpu.r[Ops.RAX], "RAX after #DE: " + what);
                    assertEquals(r[Ops.RDX], rig.cpu.r[Ops.RDX], "RDX after #DE: " + what);
                } else {
                    assertTrue(rig.vectors.isEmpty(), "no #DE expected: " + what + " got " + rig.vectors);
                    long[] want = r.clone();
                    long q = qr[0].longValue(), rem = qr[1].longValue();
                    if (size == 1) {
                        want[Ops.RAX] = (r[Ops.RAX] & ~0xFFFFL) | (rem & 0xFF) << 8 | (q & 0xFF);
                    } else {
                        writeReg(want, Ops.RAX, size, q);
                        writeReg(want, Ops.RDX, size, rem);
                    }
                    assertEquals(want[Ops.RAX], rig.cpu.r[Ops.RAX], "RAX: " + what);
                    assertEquals(want[Ops.RDX], rig.cpu.r[Ops.RDX], "RDX: " + what);
                }
            }
        }
        assertTrue(faults > cases / 10, "too few faulting cases: " + faults);
        System.out.printf("[oracle] divide-error: %d cases, %d faulting (seed 0x%x)%n", cases, faults, seed);
    }
}
