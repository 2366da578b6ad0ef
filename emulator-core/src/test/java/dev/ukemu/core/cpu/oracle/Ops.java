package dev.ukemu.core.cpu.oracle;

import dev.ukemu.core.cpu.oracle.Encoder.Mem;
import java.util.Random;

/**
 * Picks operands for one instruction instance: registers (never RSP, which the host stub owns;
 * AH..BH for byte operands), and memory operands whose base and index registers are not
 * used by anything else, so the harness can point them at the scratch buffer.
 */
final class Ops {
    static final int RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7;

    private static final String[] R64 = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"};
    private static final String[] R32 = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
        "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"};
    private static final String[] R16 = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
        "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w"};
    private static final String[] R8 = {"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
        "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b", "ah", "ch", "dh", "bh"};

    final Random r;
    private final boolean[] used = new boolean[16];
    Mem mem;
    int memOffset;
    int memSize;

    /** @param implicit registers the instruction uses implicitly (never a memory base) */
    Ops(Random r, int... implicit) {
        this.r = r;
        used[RSP] = true;
        for (int x : implicit) {
            used[x] = true;
        }
    }

    static int family(int reg) {
        return reg >= 16 ? reg - 16 : reg;
    }

    /** Any register operand of this size (repeats allowed); byte operands may be AH..BH. */
    int reg(int size) {
        int x;
        if (size == 1 && r.nextInt(4) == 0) {
            x = 16 + r.nextInt(4);
        } else {
            do {
                x = r.nextInt(16);
            } while (x == RSP);
        }
        used[family(x)] = true;
        return x;
    }

    /** Marks a register as used (an explicit operand chosen elsewhere). */
    Ops use(int reg) {
        used[family(reg)] = true;
        return this;
    }

    private int free() {
        int x;
        int tries = 0;
        do {
            x = r.nextInt(16);
            if (++tries > 1000) {
                throw new IllegalArgumentException("no free register");
            }
        } while (used[x]);
        used[x] = true;
        return x;
    }

    /**
     * A memory operand of {@code size} bytes somewhere in the scratch buffer: {@code [base]},
     * {@code [base+disp8]}, {@code [base+disp32]} or {@code [base+index*scale+disp]}.
     */
    Mem mem(int size, boolean aligned) {
        return mem(size, aligned, 0, HostCpu.SCRATCH_SIZE);
    }

    /** Placeholder displacement of RIP-relative operands; the harness patches the real one in. */
    static final int RIP_PLACEHOLDER = 0x7A5A5A5A;

    /**
     * As {@link #mem(int, boolean)}, with the operand inside scratch bytes [lo, hi). One in
     * eight operands uses 32-bit address size (67 prefix; the harness puts garbage in the upper
     * halves of the address registers); some are RIP-relative or have no base register.
     */
    Mem mem(int size, boolean aligned, int lo, int hi) {
        int step = aligned ? size : 1;
        int first = (lo + step - 1) / step * step;
        int slots = (hi - size - first) / step + 1;
        memOffset = first + r.nextInt(slots) * step;
        memSize = size;
        boolean a32 = r.nextInt(8) == 0;
        int shape = r.nextInt(20);
        if (shape == 19) {
            mem = new Mem(Encoder.RIP, -1, 0, RIP_PLACEHOLDER, 4, a32);
            return mem;
        }
        if (shape == 18) {
            // [index*scale + disp32]: the index carries the address.
            int index = free();
            int scale = r.nextInt(4);
            long disp = r.nextInt(1 << 20) - (1 << 19);
            disp += (memOffset - disp) & ((1 << scale) - 1); // index*scale must reach the operand
            mem = new Mem(-1, index, scale, disp, 4, a32);
            return mem;
        }
        int base = free();
        long disp = 0;
        int dw = 0;
        if (shape < 6) {
            disp = 0;
        } else if (shape < 11) {
            disp = r.nextInt(256) - 128;
            dw = 1;
        } else if (shape < 14) {
            disp = r.nextBoolean() ? r.nextInt() : r.nextInt(512) - 256;
            dw = 4;
        }
        int index = -1, scale = 0;
        if (shape >= 14) {
            index = free();
            scale = r.nextInt(4);
            int d = r.nextInt(3);
            disp = d == 0 ? 0 : d == 1 ? r.nextInt(256) - 128 : r.nextInt();
            dw = d == 0 ? 0 : d == 1 ? 1 : 4;
            if (d == 1 && disp == 0) {
                disp = 1;
            }
        }
        mem = new Mem(base, index, scale, disp, dw, a32);
        return mem;
    }

    /** Attaches the chosen memory operand (if any) to the form. */
    Form attach(Form f) {
        if (mem != null) {
            f.mem(mem, memOffset, memSize);
            if (mem.base() == Encoder.RIP) {
                f.ripEnd = f.code.length;
                for (int p = 1; p + 4 <= f.code.length; p++) {
                    if ((f.code[p - 1] & 0xC7) == 0x05 && f.code[p] == 0x5A && f.code[p + 1] == 0x5A
                            && f.code[p + 2] == 0x5A && f.code[p + 3] == 0x7A) {
                        f.ripDispPos = p;
                        break;
                    }
                }
                if (f.ripDispPos < 0) {
                    throw new IllegalStateException("no RIP-relative displacement in " + Encoder.hex(f.code));
                }
            }
        }
        return f;
    }

    static String name(int reg, int size) {
        return switch (size) {
            case 1 -> R8[reg];
            case 2 -> R16[reg];
            case 4 -> R32[reg];
            default -> R64[reg];
        };
    }

    static String ptr(int size) {
        return switch (size) {
            case 1 -> "byte";
            case 2 -> "word";
            case 4 -> "dword";
            default -> "qword";
        };
    }

    static String name(Mem m, int size) {
        StringBuilder sb = new StringBuilder(ptr(size)).append(m.a32() ? " a32[" : " [");
        String[] regs = m.a32() ? R32 : R64;
        if (m.base() == Encoder.RIP) {
            sb.append(m.a32() ? "eip+disp" : "rip+disp");
            return sb.append(']').toString();
        } else if (m.base() >= 0) {
            sb.append(regs[m.base()]);
        }
        if (m.index() >= 0) {
            sb.append(m.base() >= 0 ? "+" : "").append(regs[m.index()]).append('*').append(1 << m.scale());
        }
        if (m.disp() != 0 || m.dispWidth() != 0) {
            sb.append(m.disp() < 0 ? "-" : "+").append("0x").append(Long.toHexString(Math.abs(m.disp())));
            if (m.dispWidth() == 4) {
                sb.append("(d32)");
            }
        }
        return sb.append(']').toString();
    }

    /** "r/m" text for the chosen memory operand or register {@code rm}. */
    String rmName(int rm, int size) {
        return mem != null ? name(mem, size) : name(rm, size);
    }

    static String sizeTag(int size) {
        return String.valueOf(size * 8);
    }
}
