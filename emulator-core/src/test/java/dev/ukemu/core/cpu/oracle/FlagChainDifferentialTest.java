package dev.ukemu.core.cpu.oracle;

import static dev.ukemu.core.cpu.oracle.Ops.name;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Flag producer followed by a flag consumer, against the host CPU. The single-instruction
 * tests hand every instruction flags that were written whole (POPF, SAHF); here the consumer
 * reads the flags the emulator still holds lazily from the producer, which is how real code
 * runs: {@code cmp; setcc}, {@code add; adc}, {@code sub; jcc}, {@code shl; rcl},
 * {@code neg; cmov}, {@code bt; lahf}, ... A consumer that reads a flag the producer left
 * undefined has its result ignored.
 */
class FlagChainDifferentialTest extends OracleTestSupport {

    /** The flags condition {@code cc} reads. */
    static int condFlags(int cc) {
        return switch (cc >> 1) {
            case 0 -> OF;
            case 1 -> CF;
            case 2 -> ZF;
            case 3 -> CF | ZF;
            case 4 -> SF;
            case 5 -> PF;
            case 6 -> SF | OF;
            default -> ZF | SF | OF;
        };
    }

    /** Producers: register and memory forms from the single-instruction tests. */
    static List<Function<Random, Form>> producers() {
        List<Function<Random, Form>> p = new ArrayList<>();
        for (AluDifferentialTest.Shape s : AluDifferentialTest.Shape.values()) {
            p.add(r -> AluDifferentialTest.alu(r, s));
        }
        p.add(r -> AluDifferentialTest.test(r, r.nextInt(5)));
        p.add(r -> AluDifferentialTest.unary(r, r.nextInt(4), r.nextBoolean()));
        p.add(r -> AluDifferentialTest.xadd(r, r.nextBoolean()));
        p.add(r -> AluDifferentialTest.cmpxchg(r, r.nextBoolean()));
        p.add(r -> AluDifferentialTest.noOperand(r)); // sahf, cmc, clc, stc, ... (flag-neutral ones too)
        p.add(r -> ShiftDifferentialTest.shift(r, r.nextInt(3), r.nextBoolean()));
        p.add(r -> ShiftDifferentialTest.shift(r, r.nextInt(3), r.nextBoolean()));
        p.add(r -> ShiftDifferentialTest.doubleShift(r, r.nextBoolean(), r.nextBoolean(), r.nextBoolean()));
        p.add(r -> MulDivDifferentialTest.mul1(r, r.nextBoolean(), r.nextBoolean()));
        p.add(r -> MulDivDifferentialTest.imul(r, r.nextInt(3), r.nextBoolean()));
        p.add(r -> BitOpsDifferentialTest.btReg(r, r.nextBoolean()));
        p.add(r -> BitOpsDifferentialTest.scan(r, pick(r, 0, 1, 4), r.nextBoolean()));
        return p;
    }

    /** The consumer kinds. */
    enum Consumer { SETCC, CMOVCC, JCC, ADC_SBB, RCL_RCR, INC_DEC, LAHF, CMC, ROL_ROR, BT }

    /**
     * Appends a consumer to {@code p}. Its registers avoid RSP and the producer's memory
     * operand registers; the producer's own undefined results (16-bit SHLD beyond 16, ...)
     * make the whole case's registers uncompared only where the producer already said so.
     */
    static Form chain(Random r, Form p, Consumer kind) {
        if (p.regs != null) {
            throw new IllegalArgumentException("producer with undefined register results");
        }
        boolean[] avoid = new boolean[16];
        avoid[Ops.RSP] = true;
        if (p.mem != null) {
            if (p.mem.base() >= 0 && p.mem.base() < 16) {
                avoid[p.mem.base()] = true;
            }
            if (p.mem.index() >= 0) {
                avoid[p.mem.index()] = true;
            }
        }
        int x;
        do {
            x = r.nextInt(16);
        } while (avoid[x]);
        int y;
        do {
            y = r.nextInt(16);
        } while (avoid[y]);
        int size = pick(r, 4, 8);
        int cc = r.nextInt(16);
        int reads;
        Encoder e;
        String text;
        long dmask = -1L; // bits of register x the consumer writes
        Form.FlagRule after;
        byte[] code;
        Form.FlagRule before = p.flags;
        final int dst = x;
        switch (kind) {
            case SETCC -> {
                reads = condFlags(cc);
                code = Encoder.op(0x0F, 0x90 | cc).ext(0).rm(x, true).build();
                text = "set" + AluDifferentialTest.CC[cc] + " " + name(x, 1);
                dmask = 0xFF;
                after = before;
            }
            case CMOVCC -> {
                reads = condFlags(cc);
                code = Encoder.op(0x0F, 0x40 | cc).osize(size).reg(x, false).rm(y, false).build();
                text = "cmov" + AluDifferentialTest.CC[cc] + " " + name(x, size) + ", " + name(y, size);
                after = before;
            }
            case JCC -> {
                // jcc over "not r64": both paths stay inside the sequence.
                reads = condFlags(cc);
                byte[] not = Encoder.op(0xF7).osize(8).ext(2).rm(x, false).build();
                code = new byte[2 + not.length];
                code[0] = (byte) (0x70 | cc);
                code[1] = (byte) not.length;
                System.arraycopy(not, 0, code, 2, not.length);
                text = "j" + AluDifferentialTest.CC[cc] + " +" + not.length + "; not " + name(x, 8);
                after = before;
            }
            case ADC_SBB -> {
                reads = CF;
                boolean sbb = r.nextBoolean();
                code = Encoder.op(sbb ? 0x19 : 0x11).osize(size).reg(y, false).rm(x, false).build();
                text = (sbb ? "sbb " : "adc ") + name(x, size) + ", " + name(y, size);
                after = s -> (before.defined(s) & CF) != 0 ? ALL : 0;
            }
            case RCL_RCR -> {
                reads = CF;
                boolean right = r.nextBoolean();
                code = Encoder.op(0xD1).osize(size).ext(right ? 3 : 2).rm(x, false).build();
                text = (right ? "rcr " : "rcl ") + name(x, size) + ", 1";
                after = s -> {
                    int b = before.defined(s);
                    return (b & (SF | ZF | AF | PF)) | ((b & CF) != 0 ? CF | OF : 0);
                };
            }
            case INC_DEC -> {
                reads = 0;
                boolean dec = r.nextBoolean();
                code = Encoder.op(0xFF).osize(size).ext(dec ? 1 : 0).rm(x, false).build();
                text = (dec ? "dec " : "inc ") + name(x, size);
                after = s -> (ALL & ~CF) | (before.defined(s) & CF);
            }
            case LAHF -> {
                if (avoid[Ops.RAX]) {
                    throw new IllegalArgumentException("LAHF would overwrite the address register");
                }
                reads = 0;
                code = new byte[] {(byte) 0x9F};
                text = "lahf";
                after = before;
            }
            case CMC -> {
                reads = 0;
                code = new byte[] {(byte) 0xF5};
                text = "cmc";
                after = before;
            }
            case ROL_ROR -> {
                reads = 0;
                boolean right = r.nextBoolean();
                int count = 1 + r.nextInt(3);
                code = Encoder.op(0xC1).osize(size).ext(right ? 1 : 0).rm(x, false).imm(count, 1).build();
                text = (right ? "ror " : "rol ") + name(x, size) + ", " + count;
                after = s -> (before.defined(s) & (SF | ZF | AF | PF)) | CF | (count == 1 ? OF : 0);
            }
            default -> {
                reads = 0;
                int bit = r.nextInt(64);
                code = Encoder.op(0x0F, 0xBA).osize(8).ext(4).rm(x, false).imm(bit, 1).build();
                text = "bt " + name(x, 8) + ", " + bit;
                after = s -> (before.defined(s) & ZF) | CF;
            }
        }
        byte[] all = new byte[p.code.length + code.length];
        System.arraycopy(p.code, 0, all, 0, p.code.length);
        System.arraycopy(code, 0, all, p.code.length, code.length);
        String consumerFamily = kind == Consumer.SETCC || kind == Consumer.CMOVCC || kind == Consumer.JCC
                ? text.substring(0, text.indexOf(' ')) : kind.name().toLowerCase();
        Form f = new Form(p.family + " ; " + consumerFamily, p.text + " ; " + text, all);
        f.mem = p.mem;
        f.memOffset = p.memOffset;
        f.memSize = p.memSize;
        f.ripDispPos = p.ripDispPos;
        f.ripEnd = p.ripEnd;
        f.firstLength = p.firstLength;
        f.inputs = p.inputs;
        f.flags(after);
        int readsFinal = reads;
        long written = dmask;
        if (kind == Consumer.LAHF) {
            // AH gets SF ZF AF PF CF: the bits of undefined flags are undefined.
            f.regs((s, reg) -> reg == Ops.RAX ? ~((long) (ALL & ~OF & ~before.defined(s)) << 8) : -1L);
        } else if (readsFinal != 0) {
            f.regs((s, reg) -> reg == dst && (before.defined(s) & readsFinal) != readsFinal ? ~written : -1L);
        }
        return f;
    }

    @Test
    void consumersReadLazilyHeldFlags() {
        List<Function<Random, Form>> fs = new ArrayList<>();
        List<Function<Random, Form>> prods = producers();
        for (Consumer c : Consumer.values()) {
            for (Function<Random, Form> p : prods) {
                fs.add(r -> chain(r, p.apply(r), c));
            }
        }
        differential("flag chains", 0.10, fs);
    }
}
