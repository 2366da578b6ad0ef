package dev.ukemu.core.cpu.oracle;

import static dev.ukemu.core.cpu.oracle.Ops.name;

import dev.ukemu.core.cpu.oracle.Encoder.Mem;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Shifts and rotates against the host CPU: ROL ROR RCL RCR SHL SHR SAL(/6) SAR by 1, by CL and
 * by imm8 (counts 0..70 and any byte, so the 5/6-bit count masking and the RCL/RCR modulo are
 * exercised), and SHLD/SHRD by imm8 and CL.
 */
class ShiftDifferentialTest extends OracleTestSupport {
    static final String[] NAMES = {"rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"};
    static final int ROL = 0, ROR = 1, RCL = 2, RCR = 3, SHL = 4, SHR = 5, SAL = 6, SAR = 7;

    /**
     * The flags the SDM defines after a shift or rotate (vol. 2B, SAL/SAR/SHL/SHR and
     * RCL/RCR/ROL/ROR "Flags Affected"): nothing changes for a masked count of 0; OF only for a
     * count of 1; SHL/SHR leave CF undefined for counts of at least the operand width; AF is
     * undefined after a non-zero shift; rotates leave SF, ZF, AF, PF alone.
     */
    static int shiftFlags(int kind, int size, int rawCount) {
        int bits = size * 8;
        int c = rawCount & (size == 8 ? 63 : 31);
        if (c == 0) {
            return ALL;
        }
        int d;
        if (kind <= RCR) {
            d = ALL & ~OF;
        } else {
            d = CF | SF | ZF | PF;
            if (kind != SAR && c >= bits) {
                d &= ~CF;
            }
        }
        if (c == 1) {
            d |= OF;
        }
        return d;
    }

    /** @param shape 0: by 1 (D0/D1), 1: by CL (D2/D3), 2: by imm8 (C0/C1) */
    static Form shift(Random r, int shape, boolean mem) {
        int kind = r.nextInt(8);
        int size = SIZES[r.nextInt(4)];
        boolean b = size == 1;
        int w = b ? 0 : 1;
        Ops o = shape == 1 ? new Ops(r, Ops.RCX) : new Ops(r);
        int opc = (shape == 0 ? 0xD0 : shape == 1 ? 0xD2 : 0xC0) | w;
        int imm = shape == 0 ? 1 : shape == 2 ? Values.count(r) : -1;
        Encoder e = Encoder.op(opc).osize(size).ext(kind);
        if (shape == 2) {
            e.imm(imm, 1);
        }
        String dst;
        int rm = -1;
        if (mem) {
            Mem m = o.mem(size, false);
            e.mem(m);
            dst = Ops.name(m, size);
        } else {
            rm = o.reg(size);
            e.rm(rm, b);
            dst = name(rm, size);
        }
        String cnt = shape == 0 ? "1" : shape == 1 ? "cl" : "0x" + Integer.toHexString(imm);
        String fam = NAMES[kind] + " " + (mem ? "m" : "r") + size * 8 + ", " + (shape == 0 ? "1" : shape == 1 ? "cl" : "imm8");
        Form f = o.attach(new Form(fam, NAMES[kind] + " " + dst + ", " + cnt, e.build()));
        if (shape == 1) {
            f.inputs((rnd, s) -> {
                // The count register may also be the operand (shl cl, cl): then it is both.
                s.r[Ops.RCX] = (s.r[Ops.RCX] & ~0xFFL) | Values.count(rnd);
                return true;
            });
            f.flags(s -> shiftFlags(kind, size, (int) s.r[Ops.RCX] & 0xFF));
        } else {
            int c = imm;
            f.flags(s -> shiftFlags(kind, size, c));
        }
        return f;
    }

    @Test
    void shiftsAndRotates() {
        List<Function<Random, Form>> fs = new ArrayList<>();
        for (int shape = 0; shape < 3; shape++) {
            int sh = shape;
            fs.add(r -> shift(r, sh, false));
            fs.add(r -> shift(r, sh, true));
        }
        differential("shifts/rotates", 0.17, fs);
    }

    /**
     * SHLD/SHRD flags (vol. 2B): nothing changes for a masked count of 0; a count above the
     * operand width (16-bit operands only) leaves result and flags undefined; otherwise CF, SF,
     * ZF, PF are defined, OF only for a count of 1, AF never.
     */
    static int doubleShiftFlags(int size, int rawCount) {
        int c = rawCount & (size == 8 ? 63 : 31);
        if (c == 0) {
            return ALL;
        }
        if (c > size * 8) {
            return 0;
        }
        return CF | SF | ZF | PF | (c == 1 ? OF : 0);
    }

    static Form doubleShift(Random r, boolean left, boolean byCl, boolean mem) {
        int size = pick(r, 2, 4, 8);
        Ops o = byCl ? new Ops(r, Ops.RCX) : new Ops(r);
        int opc = (left ? 0xA4 : 0xAC) | (byCl ? 1 : 0);
        int src = o.reg(size);
        int imm = -1;
        Encoder e = Encoder.op(0x0F, opc).osize(size).reg(src, false);
        if (!byCl) {
            imm = Values.count(r);
            if (mem && size == 2 && (imm & 31) > 16) {
                imm &= 15; // the memory result would be undefined
            }
            e.imm(imm, 1);
        }
        String dst;
        int rm = -1;
        if (mem) {
            Mem m = o.mem(size, false);
            e.mem(m);
            dst = Ops.name(m, size);
        } else {
            rm = o.reg(size);
            e.rm(rm, false);
            dst = name(rm, size);
        }
        String mn = left ? "shld" : "shrd";
        String fam = mn + " " + (mem ? "m" : "r") + size * 8 + ", r" + size * 8 + ", " + (byCl ? "cl" : "imm8");
        Form f = o.attach(new Form(fam, mn + " " + dst + ", " + name(src, size) + ", "
                + (byCl ? "cl" : "0x" + Integer.toHexString(imm)), e.build()));
        int rmReg = rm;
        if (byCl) {
            f.inputs((rnd, s) -> {
                s.r[Ops.RCX] = (s.r[Ops.RCX] & ~0xFFL) | Values.count(rnd);
                // A 16-bit memory destination shifted by more than 16 holds an undefined result.
                return !(mem && size == 2 && (s.r[Ops.RCX] & 31) > 16);
            });
            f.flags(s -> doubleShiftFlags(size, (int) s.r[Ops.RCX] & 0xFF));
            if (size == 2) {
                f.regs((s, reg) -> reg == rmReg && (s.r[Ops.RCX] & 31) > 16 ? ~0xFFFFL : -1L);
            }
        } else {
            int c = imm;
            f.flags(s -> doubleShiftFlags(size, c));
            if (size == 2 && (c & 31) > 16) {
                f.regs((s, reg) -> reg == rmReg ? ~0xFFFFL : -1L);
            }
        }
        return f;
    }

    @Test
    void doublePrecisionShifts() {
        List<Function<Random, Form>> fs = new ArrayList<>();
        for (int k = 0; k < 8; k++) {
            boolean left = (k & 1) != 0, cl = (k & 2) != 0, mem = (k & 4) != 0;
            fs.add(r -> doubleShift(r, left, cl, mem));
        }
        differential("shld/shrd", 0.06, fs);
    }
}
