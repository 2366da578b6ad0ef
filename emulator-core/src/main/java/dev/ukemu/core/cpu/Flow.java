package dev.ukemu.core.cpu;

/** Near branches, calls and returns, and the stack instructions. */
final class Flow {
    private Flow() {
    }

    /** Branch targets wrap to the operand size outside 64-bit mode. */
    static long target(Cpu c, Insn i, long t) {
        if (i.size == 2) {
            return t & 0xFFFF;
        }
        if (c.bits != 64) {
            return t & 0xFFFFFFFFL;
        }
        if (!Cpu.canonical(t)) {
            throw CpuException.gp(0);
        }
        return t;
    }

    static void jumpRel(Cpu c, Insn i) {
        c.rip = target(c, i, c.rip + i.imm);
    }

    static void jumpTo(Cpu c, Insn i, long t) {
        c.rip = target(c, i, t);
    }

    /**
     * JMP r/m. With a JIT, the targets are noted on the instruction: a region that holds the
     * jump takes the blocks it went to (a jump table's cases) along.
     */
    static void jumpIndirect(Cpu c, Insn i) {
        c.rip = target(c, i, c.readRm(i));
        if (c.code.jit != null) {
            i.noteTarget(c.rip);
        }
    }

    static void call(Cpu c, Insn i) {
        long t = target(c, i, c.rip + i.imm);
        c.push(c.rip, i.size);
        c.rip = t;
    }

    static void callE(Cpu c, Insn i) {
        long t = target(c, i, c.readRm(i));
        c.push(c.rip, i.size);
        c.rip = t;
    }

    static void ret(Cpu c, Insn i) {
        long t = c.peek(0, i.size);
        t = target(c, i, t);
        c.setSp(c.sp() + i.size + i.imm);
        c.rip = t;
    }

    static void loop(Cpu c, Insn i) {
        long cx = c.reg(Cpu.RCX, i.asize) - 1;
        c.setReg(Cpu.RCX, i.asize, cx);
        long m = i.asize == 8 ? -1L : i.asize == 4 ? 0xFFFFFFFFL : 0xFFFF;
        boolean taken = (cx & m) != 0;
        if (i.sub == 0) {
            taken &= !c.zf();
        } else if (i.sub == 1) {
            taken &= c.zf();
        }
        if (taken) {
            jumpRel(c, i);
        }
    }

    static void jcxz(Cpu c, Insn i) {
        if (c.reg(Cpu.RCX, i.asize) == 0) {
            jumpRel(c, i);
        }
    }

    static void popR(Cpu c, Insn i) {
        long v = c.pop(i.size);
        c.setReg(i.reg, i.size, v);
    }

    static void popE(Cpu c, Insn i) {
        long v = c.peek(0, i.size);
        long oldSp = c.sp();
        // The address is computed with RSP already incremented (SDM POP).
        c.setSp(oldSp + i.size);
        try {
            c.writeRm(i, v);
        } catch (CpuException e) {
            c.setSp(oldSp);
            throw e;
        }
    }

    static void pushf(Cpu c, Insn i) {
        // VM and RF are cleared in the image.
        c.push(c.rflags() & ~(Cpu.RF_VM | Cpu.RF_RF), i.size);
    }

    static void popf(Cpu c, Insn i) {
        long v = c.peek(0, i.size);
        long old = c.rflags();
        long mask = Cpu.RFLAGS_WRITABLE & ~(Cpu.RF_VM | Cpu.RF_VIP | Cpu.RF_VIF);
        int iopl = (int) (old >> 12) & 3;
        if (c.cpl > 0) {
            mask &= ~Cpu.RF_IOPL;
            if (c.cpl > iopl) {
                mask &= ~Cpu.RF_IF;
            }
        }
        if (i.size == 2) {
            mask &= 0xFFFF;
        }
        c.setSp(c.sp() + i.size);
        c.setRflags((old & ~mask) | (v & mask));
        c.stopBlock = true;
    }

    static void pusha(Cpu c, Insn i) {
        long sp = c.r[Cpu.RSP];
        for (int r = 0; r < 8; r++) {
            c.push(r == Cpu.RSP ? sp : c.r[r], i.size);
        }
    }

    static void popa(Cpu c, Insn i) {
        for (int r = 7; r >= 0; r--) {
            long v = c.pop(i.size);
            if (r != Cpu.RSP) {
                c.setReg(r, i.size, v);
            }
        }
    }

    static void enter(Cpu c, Insn i) {
        int level = (int) i.imm2 & 31;
        int size = i.size;
        c.push(c.reg(Cpu.RBP, size), size);
        long frame = c.sp();
        if (level > 0) {
            long bp = c.reg(Cpu.RBP, c.stackSize);
            for (int k = 1; k < level; k++) {
                bp -= size;
                long v = c.read(c.stackAddr(bp & mask(c.stackSize)), size);
                c.push(v, size);
            }
            c.push(frame, size);
        }
        c.setReg(Cpu.RBP, size, frame);
        c.setSp(c.sp() - i.imm);
    }

    private static long mask(int size) {
        return size == 8 ? -1L : size == 4 ? 0xFFFFFFFFL : 0xFFFF;
    }

    static void leave(Cpu c, Insn i) {
        long bp = c.reg(Cpu.RBP, c.stackSize);
        long v = c.read(c.stackAddr(bp), i.size);
        c.setSp(bp + i.size);
        c.setReg(Cpu.RBP, i.size, v);
    }
}
