package dev.ukemu.core.cpu.oracle;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A small x86-64 instruction encoder for the differential tests: legacy prefixes, REX, one to
 * three opcode bytes, ModRM with a register or any 64-bit memory form (SIB, disp8/disp32,
 * RIP-relative, no base), and an immediate. Register numbers are 0-15 (RAX..R15); for byte
 * operands 16-19 name AH, CH, DH, BH, which cannot be encoded together with a REX prefix.
 * A combination that cannot be encoded throws {@link IllegalArgumentException}, so callers can
 * pick other registers.
 */
public final class Encoder {
    /** Register numbers of AH, CH, DH, BH for byte operands. */
    public static final int AH = 16, CH = 17, DH = 18, BH = 19;
    /** Pseudo base register for RIP-relative addressing. */
    public static final int RIP = 32;

    /**
     * A memory operand: {@code [base + index << scale + disp]}; base or index -1 when absent.
     * With {@code a32} the instruction gets a 67 prefix (32-bit address size).
     */
    public record Mem(int base, int index, int scale, long disp, int dispWidth, boolean a32) {
        /** {@code [base + disp]} with the shortest displacement. */
        public static Mem of(int base, long disp) {
            return new Mem(base, -1, 0, disp, 0);
        }

        public Mem(int base, int index, int scale, long disp, int dispWidth) {
            this(base, index, scale, disp, dispWidth, false);
        }

        public Mem {
            if (index == 4) {
                throw new IllegalArgumentException("RSP cannot be an index");
            }
            if (dispWidth != 0 && dispWidth != 1 && dispWidth != 4) {
                throw new IllegalArgumentException("displacement width " + dispWidth);
            }
            if (dispWidth == 1 && disp != (byte) disp || disp != (int) disp) {
                throw new IllegalArgumentException("displacement " + disp + " does not fit");
            }
        }
    }

    private final List<Integer> legacy = new ArrayList<>();
    private int[] opcode = new int[0];
    private boolean rexW, rexR, rexX, rexB, needRex, forbidRex;
    private boolean hasModrm;
    private int modrmReg;
    private Integer rmReg;
    private Mem mem;
    private long imm;
    private int immBytes;
    private int opRegLow = -1;

    /** Starts an instruction with these opcode bytes (after any prefixes). */
    public static Encoder op(int... opcodeBytes) {
        Encoder e = new Encoder();
        e.opcode = opcodeBytes.clone();
        return e;
    }

    /** Operand size: 2 adds the 66 prefix, 8 sets REX.W, 1 and 4 add nothing. */
    public Encoder osize(int size) {
        if (size == 2) {
            legacy.add(0x66);
        } else if (size == 8) {
            rexW = true;
        }
        return this;
    }

    public Encoder lock() {
        legacy.add(0xF0);
        return this;
    }

    /** A raw legacy prefix byte (66, 67, F2, F3, ...), emitted in call order before REX. */
    public Encoder prefix(int b) {
        legacy.add(b);
        return this;
    }

    /** Puts the legacy prefixes in a random order (their order carries no meaning). */
    public Encoder shufflePrefixes(java.util.Random r) {
        java.util.Collections.shuffle(legacy, r);
        return this;
    }

    /** Emits a REX prefix even if no REX bit is set (REX = 0x40). */
    public Encoder rex() {
        needRex = true;
        return this;
    }

    /** ModRM.reg is a register operand. */
    public Encoder reg(int r, boolean byteReg) {
        hasModrm = true;
        modrmReg = regBits(r, byteReg);
        rexR = (r & 8) != 0 && r < 16;
        return this;
    }

    /** ModRM.reg is an opcode extension (/digit). */
    public Encoder ext(int digit) {
        hasModrm = true;
        modrmReg = digit & 7;
        return this;
    }

    /** ModRM.rm names a register. */
    public Encoder rm(int r, boolean byteReg) {
        hasModrm = true;
        rmReg = regBits(r, byteReg);
        rexB = (r & 8) != 0 && r < 16;
        return this;
    }

    /** ModRM.rm is a memory operand. */
    public Encoder mem(Mem m) {
        hasModrm = true;
        mem = m;
        if (m.a32()) {
            legacy.add(0x67);
        }
        if (m.base() >= 0 && m.base() != RIP) {
            rexB = (m.base() & 8) != 0;
        }
        if (m.index() >= 0) {
            rexX = (m.index() & 8) != 0;
        }
        return this;
    }

    /** The register is encoded in the low three bits of the last opcode byte (BSWAP, XCHG rAX). */
    public Encoder opReg(int r, boolean byteReg) {
        opRegLow = regBits(r, byteReg);
        rexB = (r & 8) != 0 && r < 16;
        return this;
    }

    public Encoder imm(long v, int bytes) {
        imm = v;
        immBytes = bytes;
        return this;
    }

    private int regBits(int r, boolean byteReg) {
        if (r < 0 || r > 19 || (r >= 16 && !byteReg)) {
            throw new IllegalArgumentException("register " + r);
        }
        if (byteReg) {
            if (r >= 16) {
                forbidRex = true;
                return r - 12;
            }
            if (r >= 4 && r < 8) {
                needRex = true; // SPL, BPL, SIL, DIL
            }
        }
        return r & 7;
    }

    public byte[] build() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16);
        for (int p : legacy) {
            out.write(p);
        }
        int rex = 0x40 | (rexW ? 8 : 0) | (rexR ? 4 : 0) | (rexX ? 2 : 0) | (rexB ? 1 : 0);
        if (rex != 0x40 || needRex) {
            if (forbidRex) {
                throw new IllegalArgumentException("AH/CH/DH/BH cannot be encoded with a REX prefix");
            }
            out.write(rex);
        }
        for (int k = 0; k < opcode.length; k++) {
            int b = opcode[k];
            if (k == opcode.length - 1 && opRegLow >= 0) {
                b |= opRegLow;
            }
            out.write(b);
        }
        if (hasModrm) {
            if (rmReg != null) {
                out.write(0xC0 | modrmReg << 3 | rmReg);
            } else if (mem != null) {
                encodeMem(out);
            } else {
                throw new IllegalArgumentException("ModRM without an r/m operand");
            }
        }
        for (int k = 0; k < immBytes; k++) {
            out.write((int) (imm >>> (8 * k)));
        }
        byte[] b = out.toByteArray();
        if (b.length > 15) {
            throw new IllegalArgumentException("instruction longer than 15 bytes");
        }
        return b;
    }

    private void encodeMem(ByteArrayOutputStream out) {
        Mem m = mem;
        int reg3 = modrmReg << 3;
        if (m.base() == RIP) {
            if (m.index() >= 0) {
                throw new IllegalArgumentException("RIP-relative with an index");
            }
            out.write(reg3 | 5);
            writeDisp(out, m.disp(), 4);
            return;
        }
        int dw = m.dispWidth();
        if (dw == 0) {
            dw = m.disp() == 0 ? 0 : m.disp() == (byte) m.disp() ? 1 : 4;
        }
        if (m.base() < 0) {
            // No base: SIB with base=101, mod=00, disp32.
            int idx = m.index() < 0 ? 4 : m.index() & 7;
            out.write(reg3 | 4);
            out.write(m.scale() << 6 | idx << 3 | 5);
            writeDisp(out, m.disp(), 4);
            return;
        }
        if (dw == 0 && (m.base() & 7) == 5) {
            dw = 1; // [rbp] / [r13] need a displacement
        }
        int mod = dw == 0 ? 0 : dw == 1 ? 0x40 : 0x80;
        boolean sib = m.index() >= 0 || (m.base() & 7) == 4;
        if (sib) {
            int idx = m.index() < 0 ? 4 : m.index() & 7;
            out.write(mod | reg3 | 4);
            out.write(m.scale() << 6 | idx << 3 | (m.base() & 7));
        } else {
            out.write(mod | reg3 | (m.base() & 7));
        }
        writeDisp(out, m.disp(), dw);
    }

    private static void writeDisp(ByteArrayOutputStream out, long disp, int width) {
        for (int k = 0; k < width; k++) {
            out.write((int) (disp >>> (8 * k)));
        }
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            if (!sb.isEmpty()) {
                sb.append(' ');
            }
            sb.append(String.format("%02x", x & 0xFF));
        }
        return sb.toString();
    }
}
