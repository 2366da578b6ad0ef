package dev.ukemu.core.cpu;

/** Integer arithmetic and logic, data movement with flags, exchanges. */
final class Alu {
    private Alu() {
    }

    static final int ADD = 0, OR = 1, ADC = 2, SBB = 3, AND = 4, SUB = 5, XOR = 6, CMP = 7;

    /** Computes {@code dst op src}, records flags, returns the result (unmasked). */
    static long alu(Cpu c, int kind, int size, long dst, long src) {
        int sz = LazyFlags.log2(size);
        long m = LazyFlags.MASK[sz];
        dst &= m;
        src &= m;
        long res;
        switch (kind) {
            case ADD -> { res = dst + src; c.setCc(LazyFlags.ADD << 2 | sz, dst, src, res); }
            case OR -> { res = dst | src; c.setCc(LazyFlags.LOGIC << 2 | sz, 0, 0, res); }
            case ADC -> {
                if (c.cf()) {
                    res = dst + src + 1;
                    c.setCc(LazyFlags.ADC << 2 | sz, dst, src, res);
                } else {
                    res = dst + src;
                    c.setCc(LazyFlags.ADD << 2 | sz, dst, src, res);
                }
            }
            case SBB -> {
                if (c.cf()) {
                    res = dst - src - 1;
                    c.setCc(LazyFlags.SBB << 2 | sz, dst, src, res);
                } else {
                    res = dst - src;
                    c.setCc(LazyFlags.SUB << 2 | sz, dst, src, res);
                }
            }
            case AND -> { res = dst & src; c.setCc(LazyFlags.LOGIC << 2 | sz, 0, 0, res); }
            case XOR -> { res = dst ^ src; c.setCc(LazyFlags.LOGIC << 2 | sz, 0, 0, res); }
            default -> { res = dst - src; c.setCc(LazyFlags.SUB << 2 | sz, dst, src, res); }
        }
        return res;
    }

    static void aluEG(Cpu c, Insn i) {
        long src = c.reg(i.reg, i.size);
        if (i.mem) {
            long la = c.ea(i);
            if (i.lock) {
                Atomics.aluLocked(c, i, la, src);
                return;
            }
            long dst = c.read(la, i.size);
            rmw(c, i, la, dst, src);
        } else {
            long res = alu(c, i.sub, i.size, c.reg(i.rm, i.size), src);
            if (i.sub != CMP) {
                c.setReg(i.rm, i.size, res);
            }
        }
    }

    /**
     * {@code [la] = [la] op src}: a store that faults leaves the flags as they were, like every
     * other effect of the instruction.
     */
    private static void rmw(Cpu c, Insn i, long la, long dst, long src) {
        int op0 = c.ccOp;
        long d0 = c.ccDst, s0 = c.ccSrc, r0 = c.ccRes;
        long res = alu(c, i.sub, i.size, dst, src);
        if (i.sub != CMP) {
            try {
                c.write(la, i.size, res);
            } catch (CpuException e) {
                c.setCc(op0, d0, s0, r0);
                throw e;
            }
        }
    }

    static void aluGE(Cpu c, Insn i) {
        long src = i.mem ? c.read(c.ea(i), i.size) : c.reg(i.rm, i.size);
        long res = alu(c, i.sub, i.size, c.reg(i.reg, i.size), src);
        if (i.sub != CMP) {
            c.setReg(i.reg, i.size, res);
        }
    }

    static void aluEI(Cpu c, Insn i) {
        if (i.mem) {
            long la = c.ea(i);
            if (i.lock) {
                Atomics.aluLocked(c, i, la, i.imm);
                return;
            }
            long dst = c.read(la, i.size);
            rmw(c, i, la, dst, i.imm);
        } else {
            long res = alu(c, i.sub, i.size, c.reg(i.rm, i.size), i.imm);
            if (i.sub != CMP) {
                c.setReg(i.rm, i.size, res);
            }
        }
    }

    static void test(Cpu c, Insn i, long src) {
        long dst = c.readRm(i);
        int sz = LazyFlags.log2(i.size);
        c.setCc(LazyFlags.LOGIC << 2 | sz, 0, 0, dst & src & LazyFlags.MASK[sz]);
    }

    static void incDec(Cpu c, Insn i, boolean inc) {
        int sz = LazyFlags.log2(i.size);
        long m = LazyFlags.MASK[sz];
        long la = i.mem ? c.ea(i) : 0;
        if (i.mem && i.lock) {
            Atomics.incDecLocked(c, i, la, inc);
            return;
        }
        long dst = (i.mem ? c.read(la, i.size) : c.reg(i.rm, i.size)) & m;
        long res = inc ? dst + 1 : dst - 1;
        if (i.mem) {
            c.write(la, i.size, res);
        } else {
            c.setReg(i.rm, i.size, res);
        }
        recordIncDec(c, inc, sz, dst, res);
    }

    static void recordIncDec(Cpu c, boolean inc, int sz, long dst, long res) {
        long cf = c.cf() ? 1 : 0;
        c.setCc((inc ? LazyFlags.INC : LazyFlags.DEC) << 2 | sz, dst, cf, res);
    }

    static void not(Cpu c, Insn i) {
        if (i.mem) {
            long la = c.ea(i);
            if (i.lock) {
                Atomics.notLocked(c, i, la);
                return;
            }
            c.write(la, i.size, ~c.read(la, i.size));
        } else {
            c.setReg(i.rm, i.size, ~c.reg(i.rm, i.size));
        }
    }

    static void neg(Cpu c, Insn i) {
        int sz = LazyFlags.log2(i.size);
        if (i.mem && i.lock) {
            Atomics.negLocked(c, i, c.ea(i));
            return;
        }
        long la = i.mem ? c.ea(i) : 0;
        long v = (i.mem ? c.read(la, i.size) : c.reg(i.rm, i.size)) & LazyFlags.MASK[sz];
        long res = -v;
        if (i.mem) {
            c.write(la, i.size, res);
        } else {
            c.setReg(i.rm, i.size, res);
        }
        c.setCc(LazyFlags.NEG << 2 | sz, 0, v, res);
    }

    static void lea(Cpu c, Insn i) {
        long a = i.disp;
        if (i.base >= 0) {
            a += i.base == Insn.RIP ? c.rip : c.r[i.base];
        }
        if (i.index >= 0) {
            a += c.r[i.index] << i.scale;
        }
        if (i.asize == 4) {
            a &= 0xFFFFFFFFL;
        } else if (i.asize == 2) {
            a &= 0xFFFF;
        }
        c.setReg(i.reg, i.size, a);
    }

    static void movsxd(Cpu c, Insn i) {
        if (i.size == 8) {
            long v = i.mem ? c.read32(c.ea(i)) : c.reg(i.rm, 4);
            c.r[i.reg] = (int) v;
        } else {
            c.setReg(i.reg, i.size, c.readRm(i));
        }
    }

    static void xchg(Cpu c, Insn i) {
        if (i.mem) {
            // XCHG with memory is always locked.
            long la = c.ea(i);
            long old = Atomics.exchange(c, la, i.size, c.reg(i.reg, i.size));
            c.setReg(i.reg, i.size, old);
        } else {
            long a = c.reg(i.rm, i.size);
            long b = c.reg(i.reg, i.size);
            c.setReg(i.rm, i.size, b);
            c.setReg(i.reg, i.size, a);
        }
    }

    static void xadd(Cpu c, Insn i) {
        long src = c.reg(i.reg, i.size);
        if (i.mem) {
            long la = c.ea(i);
            long dst = i.lock ? Atomics.fetchAdd(c, la, i.size, src) : c.read(la, i.size);
            if (!i.lock) {
                c.write(la, i.size, dst + src);
            }
            alu(c, ADD, i.size, dst, src);
            c.setReg(i.reg, i.size, dst);
        } else {
            long dst = c.reg(i.rm, i.size);
            long res = alu(c, ADD, i.size, dst, src);
            c.setReg(i.reg, i.size, dst);
            c.setReg(i.rm, i.size, res);
        }
    }

    static void cmpxchg(Cpu c, Insn i) {
        long acc = c.reg(Cpu.RAX, i.size);
        long src = c.reg(i.reg, i.size);
        if (i.mem) {
            long la = c.ea(i);
            long dst = i.lock ? Atomics.compareExchange(c, la, i.size, acc, src) : c.read(la, i.size);
            long m = LazyFlags.MASK[LazyFlags.log2(i.size)];
            // The store comes first: if it faults, the flags are unchanged.
            if ((dst & m) == (acc & m)) {
                if (!i.lock) {
                    c.write(la, i.size, src);
                }
            } else {
                if (!i.lock) {
                    c.write(la, i.size, dst); // the destination is always written
                }
                c.setReg(Cpu.RAX, i.size, dst);
            }
            alu(c, CMP, i.size, acc, dst);
        } else {
            long dst = c.reg(i.rm, i.size);
            alu(c, CMP, i.size, acc, dst);
            if (c.zf()) {
                c.setReg(i.rm, i.size, src);
            } else {
                c.setReg(Cpu.RAX, i.size, dst);
            }
        }
    }

    static void cmpxchg8b(Cpu c, Insn i) {
        long la = c.ea(i);
        long expected = (c.r[Cpu.RDX] << 32) | (c.r[Cpu.RAX] & 0xFFFFFFFFL);
        long desired = (c.r[Cpu.RBX] & 0xFFFFFFFFL) | (c.r[Cpu.RCX] << 32);
        long old = Atomics.compareExchange(c, la, 8, expected, desired);
        int f = c.arithFlags();
        if (old == expected) {
            c.setFlagsArith(f | LazyFlags.ZF);
        } else {
            c.setFlagsArith(f & ~LazyFlags.ZF);
            c.r[Cpu.RAX] = old & 0xFFFFFFFFL;
            c.r[Cpu.RDX] = old >>> 32;
        }
    }

    static void cmpxchg16b(Cpu c, Insn i) {
        long la = c.ea(i);
        if ((la & 15) != 0) {
            throw CpuException.gp(0);
        }
        long[] old = Atomics.compareExchange128(c, la, c.r[Cpu.RAX], c.r[Cpu.RDX], c.r[Cpu.RBX], c.r[Cpu.RCX]);
        int f = c.arithFlags();
        if (old == null) {
            c.setFlagsArith(f | LazyFlags.ZF);
        } else {
            c.setFlagsArith(f & ~LazyFlags.ZF);
            c.r[Cpu.RAX] = old[0];
            c.r[Cpu.RDX] = old[1];
        }
    }

    static void cmov(Cpu c, Insn i) {
        long v = c.readRm(i); // the source is read (and may fault) whatever the condition
        if (c.cond(i.sub)) {
            c.setReg(i.reg, i.size, v);
        } else if (i.size == 4) {
            c.r[i.reg] &= 0xFFFFFFFFL; // 32-bit destination is zero-extended even when not moved
        }
    }

    static void cbw(Cpu c, Insn i) {
        switch (i.size) {
            case 2 -> c.setReg(Cpu.RAX, 2, (byte) c.r[Cpu.RAX]);
            case 4 -> c.setReg(Cpu.RAX, 4, (short) c.r[Cpu.RAX]);
            default -> c.r[Cpu.RAX] = (int) c.r[Cpu.RAX];
        }
    }

    static void cwd(Cpu c, Insn i) {
        switch (i.size) {
            case 2 -> c.setReg(Cpu.RDX, 2, ((short) c.r[Cpu.RAX]) >> 15);
            case 4 -> c.setReg(Cpu.RDX, 4, ((int) c.r[Cpu.RAX]) >> 31);
            default -> c.r[Cpu.RDX] = c.r[Cpu.RAX] >> 63;
        }
    }

    static void sahf(Cpu c) {
        int ah = (int) (c.r[Cpu.RAX] >>> 8) & 0xFF;
        int f = c.arithFlags() & LazyFlags.OF;
        f |= ah & (LazyFlags.CF | LazyFlags.PF | LazyFlags.AF | LazyFlags.ZF | LazyFlags.SF);
        c.setFlagsArith(f);
    }

    static void xlat(Cpu c, Insn i) {
        long a = c.r[Cpu.RBX] + (c.r[Cpu.RAX] & 0xFF);
        if (i.asize == 4) {
            a &= 0xFFFFFFFFL;
        } else if (i.asize == 2) {
            a &= 0xFFFF;
        }
        c.setReg(Cpu.RAX, 1, c.read8((a + c.segBase[i.seg]) & i.linMask));
    }
}
