package dev.ukemu.core.cpu.oracle;

import static dev.ukemu.core.cpu.oracle.Ops.name;

import dev.ukemu.core.cpu.oracle.Encoder.Mem;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Integer ALU instructions against the host CPU: the eight two-operand ALU operations in every
 * encoding, TEST, INC/DEC/NEG/NOT, MOVZX/MOVSX/MOVSXD, CMOVcc/SETcc, XCHG/XADD/CMPXCHG, the
 * sign-extension and flag-register instructions, BSWAP and LEA with every ModRM/SIB form.
 */
class AluDifferentialTest extends OracleTestSupport {
    static final String[] ALU = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"};
    static final String[] CC = {"o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"};

    enum Shape { RM_R, R_RM, RM_R_MEM, R_RM_MEM, RM_I, RM_I8, RM_I_MEM, RM_I8_MEM, ACC_I }

    static String bits(int size) {
        return String.valueOf(size * 8);
    }

    static String immText(long v) {
        return "0x" + Long.toHexString(v);
    }

    // ------------------------------------------------------------------ ADD OR ADC SBB AND SUB XOR CMP

    static Form alu(Random r, Shape shape) {
        int op = r.nextInt(8);
        int size = SIZES[r.nextInt(4)];
        if ((shape == Shape.RM_I8 || shape == Shape.RM_I8_MEM) && size == 1) {
            size = pick(r, 2, 4, 8);
        }
        boolean b = size == 1;
        int w = b ? 0 : 1;
        boolean mem = shape == Shape.RM_R_MEM || shape == Shape.R_RM_MEM || shape == Shape.RM_I_MEM || shape == Shape.RM_I8_MEM;
        boolean lock = mem && op != 7 && shape != Shape.R_RM_MEM && r.nextInt(4) == 0;
        String mn = (lock ? "lock " : "") + ALU[op];
        String sz = bits(size);
        Ops o = new Ops(r);
        Encoder e;
        String fam;
        String text;
        int immBytes = b ? 1 : size == 2 ? 2 : 4;
        switch (shape) {
            case RM_R, RM_R_MEM -> {
                int src = o.reg(size);
                e = Encoder.op(op << 3 | w).osize(size).reg(src, b);
                String dst;
                if (mem) {
                    Mem m = o.mem(size, lock && r.nextBoolean());
                    e.mem(m);
                    dst = Ops.name(m, size);
                } else {
                    int d = o.reg(size);
                    e.rm(d, b);
                    dst = name(d, size);
                }
                fam = mn + " " + (mem ? "m" : "r") + sz + ", r" + sz + " (" + Integer.toHexString(op << 3 | w) + ")";
                text = mn + " " + dst + ", " + name(src, size);
            }
            case R_RM, R_RM_MEM -> {
                int dst = o.reg(size);
                e = Encoder.op(op << 3 | 2 | w).osize(size).reg(dst, b);
                String src;
                if (mem) {
                    Mem m = o.mem(size, false);
                    e.mem(m);
                    src = Ops.name(m, size);
                } else {
                    int s = o.reg(size);
                    e.rm(s, b);
                    src = name(s, size);
                }
                fam = mn + " r" + sz + ", " + (mem ? "m" : "r") + sz + " (" + Integer.toHexString(op << 3 | 2 | w) + ")";
                text = mn + " " + name(dst, size) + ", " + src;
            }
            case RM_I, RM_I8, RM_I_MEM, RM_I8_MEM -> {
                boolean i8 = shape == Shape.RM_I8 || shape == Shape.RM_I8_MEM;
                int opc = i8 ? 0x83 : b ? 0x80 : 0x81;
                int ib = i8 ? 1 : immBytes;
                long imm = imm(r, ib);
                e = Encoder.op(opc).osize(size).ext(op).imm(imm, ib);
                String dst;
                if (mem) {
                    Mem m = o.mem(size, lock && r.nextBoolean());
                    e.mem(m);
                    dst = Ops.name(m, size);
                } else {
                    int d = o.reg(size);
                    e.rm(d, b);
                    dst = name(d, size);
                }
                fam = mn + " " + (mem ? "m" : "r") + sz + ", imm" + ib * 8 + " (" + Integer.toHexString(opc) + " /" + op + ")";
                text = mn + " " + dst + ", " + immText(imm);
            }
            default -> {
                long imm = imm(r, immBytes);
                e = Encoder.op(op << 3 | 4 | w).osize(size).imm(imm, immBytes);
                fam = mn + " " + name(0, size) + ", imm (" + Integer.toHexString(op << 3 | 4 | w) + ")";
                text = mn + " " + name(0, size) + ", " + immText(imm);
            }
        }
        if (lock) {
            e.lock();
        }
        e.shufflePrefixes(r);
        Form f = o.attach(new Form(fam, text, e.build()));
        boolean logic = op == 1 || op == 4 || op == 6;
        return f.flags(logic ? ALL & ~AF : ALL);
    }

    @Test
    void aluOperationsInEveryEncoding() {
        List<Function<Random, Form>> fs = new ArrayList<>();
        for (Shape s : Shape.values()) {
            fs.add(r -> alu(r, s));
        }
        differential("alu", 0.18, fs);
    }

    // ------------------------------------------------------------------ TEST

    static Form test(Random r, int shape) {
        int size = SIZES[r.nextInt(4)];
        boolean b = size == 1;
        int w = b ? 0 : 1;
        int immBytes = b ? 1 : size == 2 ? 2 : 4;
        Ops o = new Ops(r);
        String sz = bits(size);
        Encoder e;
        String fam, text;
        switch (shape) {
            case 0, 1 -> { // TEST r/m, r
                int src = o.reg(size);
                e = Encoder.op(0x84 | w).osize(size).reg(src, b);
                String dst;
                if (shape == 1) {
                    Mem m = o.mem(size, false);
                    e.mem(m);
                    dst = Ops.name(m, size);
                } else {
                    int d = o.reg(size);
                    e.rm(d, b);
                    dst = name(d, size);
                }
                fam = "test " + (shape == 1 ? "m" : "r") + sz + ", r" + sz;
                text = "test " + dst + ", " + name(src, size);
            }
            case 2, 3 -> { // TEST r/m, imm (F6/F7 /0, and the /1 alias)
                long imm = imm(r, immBytes);
                int ext = r.nextInt(4) == 0 ? 1 : 0;
                e = Encoder.op(0xF6 | w).osize(size).ext(ext).imm(imm, immBytes);
                String dst;
                if (shape == 3) {
                    Mem m = o.mem(size, false);
                    e.mem(m);
                    dst = Ops.name(m, size);
                } else {
                    int d = o.reg(size);
                    e.rm(d, b);
                    dst = name(d, size);
                }
                fam = "test " + (shape == 3 ? "m" : "r") + sz + ", imm (f6/f7 /" + ext + ")";
                text = "test " + dst + ", " + immText(imm);
            }
            default -> {
                long imm = imm(r, immBytes);
                e = Encoder.op(0xA8 | w).osize(size).imm(imm, immBytes);
                fam = "test " + name(0, size) + ", imm";
                text = fam + " " + immText(imm);
            }
        }
        return o.attach(new Form(fam, text, e.build())).flags(ALL & ~AF);
    }

    // ------------------------------------------------------------------ INC DEC NOT NEG

    static Form unary(Random r, int kind, boolean mem) {
        int size = SIZES[r.nextInt(4)];
        boolean b = size == 1;
        int w = b ? 0 : 1;
        boolean lock = mem && r.nextInt(4) == 0;
        String mn = (lock ? "lock " : "") + new String[] {"inc", "dec", "not", "neg"}[kind];
        int opc = kind < 2 ? 0xFE | w : 0xF6 | w;
        int ext = kind < 2 ? kind : kind;
        Ops o = new Ops(r);
        Encoder e = Encoder.op(opc).osize(size).ext(ext);
        String dst;
        if (mem) {
            Mem m = o.mem(size, lock && r.nextBoolean());
            e.mem(m);
            dst = Ops.name(m, size);
        } else {
            int d = o.reg(size);
            e.rm(d, b);
            dst = name(d, size);
        }
        if (lock) {
            e.lock();
        }
        Form f = o.attach(new Form(mn + " " + (mem ? "m" : "r") + bits(size), mn + " " + dst, e.build()));
        return f.flags(ALL);
    }

    @Test
    void testIncDecNotNeg() {
        List<Function<Random, Form>> fs = new ArrayList<>();
        for (int s = 0; s < 5; s++) {
            int shape = s;
            fs.add(r -> test(r, shape));
        }
        for (int k = 0; k < 4; k++) {
            int kind = k;
            fs.add(r -> unary(r, kind, false));
            fs.add(r -> unary(r, kind, true));
        }
        differential("test/inc/dec/not/neg", 0.05, fs);
    }

    // ------------------------------------------------------------------ MOVZX MOVSX MOVSXD

    static Form movx(Random r, boolean mem) {
        boolean signed = r.nextBoolean();
        int src = pick(r, 1, 2);
        int dst = pick(r, 2, 4, 8);
        int opc = (signed ? 0xBE : 0xB6) | (src == 2 ? 1 : 0);
        Ops o = new Ops(r);
        int d = o.reg(dst);
        Encoder e = Encoder.op(0x0F, opc).osize(dst).reg(d, false);
        String s;
        if (mem) {
            Mem m = o.mem(src, false);
            e.mem(m);
            s = Ops.name(m, src);
        } else {
            int x = o.reg(src);
            e.rm(x, src == 1);
            s = name(x, src);
        }
        String mn = signed ? "movsx" : "movzx";
        return o.attach(new Form(mn + " r" + bits(dst) + ", " + (mem ? "m" : "r") + bits(src),
                mn + " " + name(d, dst) + ", " + s, e.build()));
    }

    static Form movsxd(Random r, boolean mem) {
        int dst = pick(r, 8, 8, 4, 2);
        int src = dst == 8 ? 4 : dst;
        Ops o = new Ops(r);
        int d = o.reg(dst);
        Encoder e = Encoder.op(0x63).osize(dst).reg(d, false);
        String s;
        if (mem) {
            Mem m = o.mem(src, false);
            e.mem(m);
            s = Ops.name(m, src);
        } else {
            int x = o.reg(src);
            e.rm(x, false);
            s = name(x, src);
        }
        return o.attach(new Form("movsxd r" + bits(dst) + ", " + (mem ? "m" : "r") + bits(src),
                "movsxd " + name(d, dst) + ", " + s, e.build()));
    }

    @Test
    void moveWithExtension() {
        differential("movzx/movsx/movsxd", 0.03, List.of(
                r -> movx(r, false), r -> movx(r, true), r -> movsxd(r, false), r -> movsxd(r, true)));
    }

    // ------------------------------------------------------------------ CMOVcc SETcc

    static Form cmov(Random r, boolean mem) {
        int cc = r.nextInt(16);
        int size = pick(r, 2, 4, 8);
        Ops o = new Ops(r);
        int d = o.reg(size);
        Encoder e = Encoder.op(0x0F, 0x40 | cc).osize(size).reg(d, false);
        String s;
        if (mem) {
            Mem m = o.mem(size, false);
            e.mem(m);
            s = Ops.name(m, size);
        } else {
            int x = o.reg(size);
            e.rm(x, false);
            s = name(x, size);
        }
        return o.attach(new Form("cmov" + CC[cc] + " r" + bits(size) + ", " + (mem ? "m" : "r") + bits(size),
                "cmov" + CC[cc] + " " + name(d, size) + ", " + s, e.build()));
    }

    static Form setcc(Random r, boolean mem) {
        int cc = r.nextInt(16);
        int ext = r.nextInt(4) == 0 ? r.nextInt(8) : 0; // ModRM.reg is ignored
        Ops o = new Ops(r);
        Encoder e = Encoder.op(0x0F, 0x90 | cc).ext(ext);
        String dst;
        if (mem) {
            Mem m = o.mem(1, false);
            e.mem(m);
            dst = Ops.name(m, 1);
        } else {
            int x = o.reg(1);
            e.rm(x, true);
            dst = name(x, 1);
        }
        return o.attach(new Form("set" + CC[cc] + " " + (mem ? "m8" : "r8"), "set" + CC[cc] + " " + dst + " (/" + ext + ")", e.build()));
    }

    @Test
    void conditionalMovesAndSets() {
        differential("cmovcc/setcc", 0.05, List.of(
                r -> cmov(r, false), r -> cmov(r, true), r -> setcc(r, false), r -> setcc(r, true)));
    }

    // ------------------------------------------------------------------ XCHG XADD CMPXCHG

    static Form xchg(Random r, int shape) {
        int size = SIZES[r.nextInt(4)];
        boolean b = size == 1;
        Ops o = new Ops(r);
        Encoder e;
        String fam, text;
        if (shape == 2) {
            size = pick(r, 2, 4, 8);
            int x = o.reg(size);
            e = Encoder.op(0x90).osize(size).opReg(x, false);
            if (x == 0) {
                fam = "nop (" + Encoder.hex(e.build()) + ")";
                text = fam;
            } else {
                fam = "xchg " + name(0, size) + ", r" + bits(size) + " (90+r)";
                text = "xchg " + name(0, size) + ", " + name(x, size);
            }
        } else {
            int src = o.reg(size);
            e = Encoder.op(0x86 | (b ? 0 : 1)).osize(size).reg(src, b);
            String dst;
            if (shape == 1) {
                Mem m = o.mem(size, r.nextBoolean());
                e.mem(m);
                dst = Ops.name(m, size);
            } else {
                int d = o.reg(size);
                e.rm(d, b);
                dst = name(d, size);
            }
            fam = "xchg " + (shape == 1 ? "m" : "r") + bits(size) + ", r" + bits(size);
            text = "xchg " + dst + ", " + name(src, size);
        }
        Form f = o.attach(new Form(fam, text, e.build()));
        return f;
    }

    static Form xadd(Random r, boolean mem) {
        int size = SIZES[r.nextInt(4)];
        boolean b = size == 1;
        boolean lock = mem && r.nextBoolean();
        Ops o = new Ops(r);
        int src = o.reg(size);
        Encoder e = Encoder.op(0x0F, 0xC0 | (b ? 0 : 1)).osize(size).reg(src, b);
        String dst;
        if (mem) {
            Mem m = o.mem(size, lock && r.nextBoolean());
            e.mem(m);
            dst = Ops.name(m, size);
        } else {
            int d = o.reg(size);
            e.rm(d, b);
            dst = name(d, size);
        }
        if (lock) {
            e.lock();
        }
        String mn = (lock ? "lock " : "") + "xadd";
        Form f = o.attach(new Form(mn + " " + (mem ? "m" : "r") + bits(size) + ", r" + bits(size),
                mn + " " + dst + ", " + name(src, size), e.build()));
        return f.flags(ALL);
    }

    static Form cmpxchg(Random r, boolean mem) {
        int size = SIZES[r.nextInt(4)];
        boolean b = size == 1;
        boolean lock = mem && r.nextBoolean();
        Ops o = new Ops(r, Ops.RAX);
        int src = o.reg(size);
        Encoder e = Encoder.op(0x0F, 0xB0 | (b ? 0 : 1)).osize(size).reg(src, b);
        String dst;
        int d = -1;
        if (mem) {
            Mem m = o.mem(size, lock && r.nextBoolean());
            e.mem(m);
            dst = Ops.name(m, size);
        } else {
            d = o.reg(size);
            e.rm(d, b);
            dst = name(d, size);
        }
        if (lock) {
            e.lock();
        }
        String mn = (lock ? "lock " : "") + "cmpxchg";
        Form f = o.attach(new Form(mn + " " + (mem ? "m" : "r") + bits(size) + ", r" + bits(size),
                mn + " " + dst + ", " + name(src, size), e.build()));
        int dreg = d;
        return f.flags(ALL).inputs((rnd, s) -> {
            if (rnd.nextBoolean()) {
                // Make the comparison succeed: the accumulator equals the destination.
                long v = operand(s, f, dreg, size);
                writeReg(s.r, 0, size, v);
                if (size != 8 && rnd.nextBoolean()) {
                    s.r[0] ^= rnd.nextLong() & ~Values.mask(size * 8); // garbage above must not matter
                }
            }
            return true;
        });
    }

    /** CMPXCHG8B m64 / CMPXCHG16B m128 (0F C7 /1): ZF reports the comparison, other flags stay. */
    static Form cmpxchgWide(Random r) {
        boolean wide = r.nextBoolean() && HostCpu.hasFeature("cx16");
        int size = wide ? 16 : 8;
        boolean lock = r.nextBoolean();
        Ops o = new Ops(r, Ops.RAX, Ops.RCX, Ops.RDX, Ops.RBX);
        Mem m = o.mem(size, wide || r.nextBoolean()); // CMPXCHG16B #GPs unless 16-byte aligned
        Encoder e = Encoder.op(0x0F, 0xC7).osize(wide ? 8 : 4).ext(1).mem(m);
        if (lock) {
            e.lock();
        }
        String mn = (lock ? "lock " : "") + (wide ? "cmpxchg16b" : "cmpxchg8b");
        Form f = o.attach(new Form(mn + " m" + size * 8, mn + " " + Ops.name(m, 8).replace("qword", wide ? "oword" : "qword"),
                e.build()));
        return f.inputs((rnd, s) -> {
            if (rnd.nextBoolean()) {
                long lo = s.scratch(f.memOffset, 8);
                if (wide) {
                    s.r[Ops.RAX] = lo;
                    s.r[Ops.RDX] = s.scratch(f.memOffset + 8, 8);
                } else {
                    s.r[Ops.RAX] = (s.r[Ops.RAX] & ~0xFFFFFFFFL) | (lo & 0xFFFFFFFFL);
                    s.r[Ops.RDX] = (s.r[Ops.RDX] & ~0xFFFFFFFFL) | (lo >>> 32);
                }
            }
            return true;
        });
    }

    @Test
    void exchanges() {
        differential("xchg/xadd/cmpxchg", 0.05, List.of(
                r -> xchg(r, 0), r -> xchg(r, 1), r -> xchg(r, 2),
                r -> xadd(r, false), r -> xadd(r, true),
                r -> cmpxchg(r, false), r -> cmpxchg(r, true), AluDifferentialTest::cmpxchgWide));
    }

    // ------------------------------------------------------------------ MOV

    /** @param shape 0: 88/89 r/m, r; 1: 8A/8B r, r/m; 2: C6/C7 r/m, imm; 3: B0+r / B8+r imm */
    static Form mov(Random r, int shape, boolean mem) {
        int size = SIZES[r.nextInt(4)];
        boolean b = size == 1;
        int w = b ? 0 : 1;
        Ops o = new Ops(r);
        Encoder e;
        String text, fam;
        String sz = bits(size);
        switch (shape) {
            case 0, 1 -> {
                int x = o.reg(size);
                e = Encoder.op((shape == 0 ? 0x88 : 0x8A) | w).osize(size).reg(x, b);
                String rm;
                if (mem) {
                    Mem m = o.mem(size, false);
                    e.mem(m);
                    rm = Ops.name(m, size);
                } else {
                    int y = o.reg(size);
                    e.rm(y, b);
                    rm = name(y, size);
                }
                fam = shape == 0 ? "mov " + (mem ? "m" : "r") + sz + ", r" + sz : "mov r" + sz + ", " + (mem ? "m" : "r") + sz;
                text = shape == 0 ? "mov " + rm + ", " + name(x, size) : "mov " + name(x, size) + ", " + rm;
            }
            case 2 -> {
                int ib = b ? 1 : size == 2 ? 2 : 4;
                long imm = imm(r, ib);
                e = Encoder.op(0xC6 | w).osize(size).ext(0).imm(imm, ib);
                String rm;
                if (mem) {
                    Mem m = o.mem(size, false);
                    e.mem(m);
                    rm = Ops.name(m, size);
                } else {
                    int y = o.reg(size);
                    e.rm(y, b);
                    rm = name(y, size);
                }
                fam = "mov " + (mem ? "m" : "r") + sz + ", imm" + ib * 8;
                text = "mov " + rm + ", " + immText(imm);
            }
            default -> {
                int x = o.reg(size);
                long imm = imm(r, size);
                e = Encoder.op(b ? 0xB0 : 0xB8).osize(size).opReg(x, b).imm(imm, size);
                fam = "mov r" + sz + ", imm" + sz + " (" + (b ? "b0" : "b8") + "+r)";
                text = "mov " + name(x, size) + ", " + immText(imm);
            }
        }
        return o.attach(new Form(fam, text, e.build()));
    }

    @Test
    void moves() {
        differential("mov", 0.02, List.of(
                r -> mov(r, 0, false), r -> mov(r, 0, true), r -> mov(r, 1, false), r -> mov(r, 1, true),
                r -> mov(r, 2, false), r -> mov(r, 2, true), r -> mov(r, 3, false)));
    }

    // ------------------------------------------------------------------ CBW.. LAHF SAHF CMC CLC STC BSWAP

    static Form noOperand(Random r) {
        int k = r.nextInt(8);
        int size = pick(r, 2, 4, 8);
        return switch (k) {
            case 0 -> new Form(new String[] {"cbw", "cwde", "cdqe"}[size >> 2 < 2 ? size >> 2 : 2],
                    "", Encoder.op(0x98).osize(size).build());
            case 1 -> new Form(new String[] {"cwd", "cdq", "cqo"}[size >> 2 < 2 ? size >> 2 : 2],
                    "", Encoder.op(0x99).osize(size).build());
            case 2 -> new Form("lahf", "", new byte[] {(byte) 0x9F});
            case 3 -> new Form("sahf", "", new byte[] {(byte) 0x9E});
            case 4 -> new Form("cmc", "", new byte[] {(byte) 0xF5});
            case 5 -> new Form("clc", "", new byte[] {(byte) 0xF8});
            case 6 -> new Form("stc", "", new byte[] {(byte) 0xF9});
            default -> {
                int s = pick(r, 4, 8);
                Ops o = new Ops(r);
                int x = o.reg(s);
                yield new Form("bswap r" + bits(s), "bswap " + name(x, s), Encoder.op(0x0F, 0xC8).osize(s).opReg(x, false).build());
            }
        };
    }

    @Test
    void conversionsFlagOpsAndBswap() {
        differential("cbw/cwd/lahf/sahf/cmc/clc/stc/bswap", 0.02, List.of(r -> {
            Form f = noOperand(r);
            return f.text.isEmpty() ? new Form(f.family, f.family, f.code) : f;
        }));
    }

    // ------------------------------------------------------------------ LEA

    /**
     * LEA with a random ModRM/SIB/REX/66/67 combination: every addressing form, including
     * RIP-relative (whose host result is translated by the distance between the two copies of
     * the code), no-base SIB, and 32-bit address size. Only RSP is avoided, as base and as
     * destination.
     */
    static Form lea(Random r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean p66 = r.nextInt(4) == 0;
        boolean p67 = r.nextInt(4) == 0;
        if (r.nextInt(8) == 0) {
            out.write(pick(r, 0x2E, 0x3E, 0x64, 0x65)); // segment overrides do not affect LEA
        }
        if (p66) {
            out.write(0x66);
        }
        if (p67) {
            out.write(0x67);
        }
        int rex = r.nextInt(3) == 0 ? 0 : 0x40 | r.nextInt(16);
        if (rex != 0) {
            out.write(rex);
        }
        out.write(0x8D);
        int mod = r.nextInt(3);
        int reg = r.nextInt(8);
        int rm = r.nextInt(8);
        int dest = reg | (rex & 4) << 1;
        if (dest == Ops.RSP) {
            throw new IllegalArgumentException("RSP destination");
        }
        out.write(mod << 6 | reg << 3 | rm);
        boolean ripRel = mod == 0 && rm == 5;
        int dispBytes = mod == 1 ? 1 : mod == 2 || ripRel ? 4 : 0;
        if (rm == 4) {
            int sib = r.nextInt(256);
            int base = (sib & 7) | (rex & 1) << 3;
            boolean noBase = mod == 0 && (sib & 7) == 5;
            if (!noBase && base == Ops.RSP) {
                throw new IllegalArgumentException("RSP base");
            }
            if (noBase) {
                dispBytes = 4;
            }
            out.write(sib);
        }
        long disp = 0;
        for (int k = 0; k < dispBytes; k++) {
            int x = r.nextInt(256);
            out.write(x);
            disp |= (long) x << (8 * k);
        }
        disp = Values.signExtend(disp, Math.max(8, dispBytes * 8));
        byte[] code = out.toByteArray();
        int size = (rex & 8) != 0 ? 8 : p66 ? 2 : 4;
        String fam = "lea r" + bits(size) + (p67 ? ", a32" : ", a64") + " mod=" + mod + " rm=" + rm
                + (rm == 4 ? " sib" : "") + (ripRel ? " rip" : "");
        Form f = new Form(fam, "lea " + name(dest, size) + " [" + Encoder.hex(code) + "]", code);
        if (ripRel) {
            long d = disp;
            long amask = p67 ? 0xFFFFFFFFL : -1L;
            long dmask = Values.mask(size * 8);
            f.fixup((in, expected, hostEnd, emuEnd) -> {
                long hostAddr = (hostEnd + d) & amask;
                long emuAddr = (emuEnd + d) & amask;
                expected[dest] ^= (hostAddr ^ emuAddr) & dmask;
            });
        }
        return f;
    }

    @Test
    void leaWithEveryAddressingForm() {
        differential("lea", 0.05, List.of(AluDifferentialTest::lea));
    }
}
