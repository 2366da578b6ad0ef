package dev.ukemu.core.cpu;

/**
 * String instructions with REP/REPE/REPNE. A repeated instruction runs in chunks and re-executes
 * itself (RIP is set back) so interrupts and events are seen between chunks, as on hardware.
 */
final class Strings {
    private Strings() {
    }

    static final int CHUNK = 4096;

    private static long mask(int asize) {
        return asize == 8 ? -1L : asize == 4 ? 0xFFFFFFFFL : 0xFFFF;
    }

    private static long addr(Cpu c, Insn i, int seg, long off) {
        return (c.segBase[seg] + (off & mask(i.asize))) & i.linMask;
    }

    private static int srcSeg(Insn i) {
        return i.seg;
    }

    private static int dstSeg(Cpu c) {
        return c.bits == 64 ? Cpu.SEG_NONE : Cpu.ES;
    }

    private static long step(Cpu c, Insn i) {
        return (c.flagsRest & Cpu.RF_DF) != 0 ? -i.size : i.size;
    }

    private static void setIndex(Cpu c, int reg, int asize, long v) {
        c.setReg(reg, asize, v);
    }

    /** Repeat count for this chunk; 0 means nothing to do. */
    private static long count(Cpu c, Insn i) {
        return i.rep != 0 ? c.reg(Cpu.RCX, i.asize) : 1;
    }

    /** After a chunk: if iterations remain, run this instruction again. */
    private static void finishChunk(Cpu c, Insn i, long left) {
        finishChunk(c, i, left, false);
    }

    private static void finishChunk(Cpu c, Insn i, long left, boolean stop) {
        if (i.rep != 0) {
            c.setReg(Cpu.RCX, i.asize, left);
            if (left != 0 && !stop) {
                c.rip = c.insnStart;
                c.stopBlock = true;
            }
        }
    }

    static void movs(Cpu c, Insn i) {
        long n = count(c, i);
        if (n == 0) return;
        long d = step(c, i);
        long si = c.reg(Cpu.RSI, i.asize), di = c.reg(Cpu.RDI, i.asize);
        int ss = srcSeg(i), ds = dstSeg(c);
        long todo = Math.min(n, CHUNK);
        long done = 0;
        try {
            while (done < todo) {
                long v = c.read(addr(c, i, ss, si), i.size);
                c.write(addr(c, i, ds, di), i.size, v);
                si += d;
                di += d;
                done++;
            }
        } finally {
            setIndex(c, Cpu.RSI, i.asize, si);
            setIndex(c, Cpu.RDI, i.asize, di);
            if (i.rep != 0) c.setReg(Cpu.RCX, i.asize, n - done);
        }
        finishChunk(c, i, n - done);
    }

    static void stos(Cpu c, Insn i) {
        long n = count(c, i);
        if (n == 0) return;
        long d = step(c, i);
        long di = c.reg(Cpu.RDI, i.asize);
        long v = c.reg(Cpu.RAX, i.size);
        int ds = dstSeg(c);
        long todo = Math.min(n, CHUNK);
        long done = 0;
        try {
            while (done < todo) {
                c.write(addr(c, i, ds, di), i.size, v);
                di += d;
                done++;
            }
        } finally {
            setIndex(c, Cpu.RDI, i.asize, di);
            if (i.rep != 0) c.setReg(Cpu.RCX, i.asize, n - done);
        }
        finishChunk(c, i, n - done);
    }

    static void lods(Cpu c, Insn i) {
        long n = count(c, i);
        if (n == 0) return;
        long d = step(c, i);
        long si = c.reg(Cpu.RSI, i.asize);
        long todo = Math.min(n, CHUNK);
        long done = 0;
        try {
            while (done < todo) {
                c.setReg(Cpu.RAX, i.size, c.read(addr(c, i, srcSeg(i), si), i.size));
                si += d;
                done++;
            }
        } finally {
            setIndex(c, Cpu.RSI, i.asize, si);
            if (i.rep != 0) c.setReg(Cpu.RCX, i.asize, n - done);
        }
        finishChunk(c, i, n - done);
    }

    static void cmps(Cpu c, Insn i) {
        long n = count(c, i);
        if (n == 0) return;
        long d = step(c, i);
        long si = c.reg(Cpu.RSI, i.asize), di = c.reg(Cpu.RDI, i.asize);
        long todo = Math.min(n, CHUNK);
        long done = 0;
        boolean stop = false;
        try {
            while (done < todo && !stop) {
                long a = c.read(addr(c, i, srcSeg(i), si), i.size);
                long b = c.read(addr(c, i, dstSeg(c), di), i.size);
                Alu.alu(c, Alu.CMP, i.size, a, b);
                si += d;
                di += d;
                done++;
                stop = i.rep == Insn.REP ? !c.zf() : i.rep == Insn.REPNE && c.zf();
            }
        } finally {
            setIndex(c, Cpu.RSI, i.asize, si);
            setIndex(c, Cpu.RDI, i.asize, di);
            if (i.rep != 0) c.setReg(Cpu.RCX, i.asize, n - done);
        }
        finishChunk(c, i, n - done, stop);
    }

    static void scas(Cpu c, Insn i) {
        long n = count(c, i);
        if (n == 0) return;
        long d = step(c, i);
        long di = c.reg(Cpu.RDI, i.asize);
        long acc = c.reg(Cpu.RAX, i.size);
        long todo = Math.min(n, CHUNK);
        long done = 0;
        boolean stop = false;
        try {
            while (done < todo && !stop) {
                long b = c.read(addr(c, i, dstSeg(c), di), i.size);
                Alu.alu(c, Alu.CMP, i.size, acc, b);
                di += d;
                done++;
                stop = i.rep == Insn.REP ? !c.zf() : i.rep == Insn.REPNE && c.zf();
            }
        } finally {
            setIndex(c, Cpu.RDI, i.asize, di);
            if (i.rep != 0) c.setReg(Cpu.RCX, i.asize, n - done);
        }
        finishChunk(c, i, n - done, stop);
    }

    static void ins(Cpu c, Insn i) {
        Sys.checkIo(c, (int) c.r[Cpu.RDX] & 0xFFFF, i.size);
        long n = count(c, i);
        if (n == 0) return;
        long d = step(c, i);
        long di = c.reg(Cpu.RDI, i.asize);
        int port = (int) c.r[Cpu.RDX] & 0xFFFF;
        long todo = Math.min(n, CHUNK);
        long done = 0;
        try {
            while (done < todo) {
                long la = addr(c, i, dstSeg(c), di);
                c.translate(la, Cpu.ACC_WRITE);
                c.write(la, i.size, c.io.read(port, i.size));
                di += d;
                done++;
            }
        } finally {
            setIndex(c, Cpu.RDI, i.asize, di);
            if (i.rep != 0) c.setReg(Cpu.RCX, i.asize, n - done);
        }
        finishChunk(c, i, n - done);
    }

    static void outs(Cpu c, Insn i) {
        Sys.checkIo(c, (int) c.r[Cpu.RDX] & 0xFFFF, i.size);
        long n = count(c, i);
        if (n == 0) return;
        long d = step(c, i);
        long si = c.reg(Cpu.RSI, i.asize);
        int port = (int) c.r[Cpu.RDX] & 0xFFFF;
        long todo = Math.min(n, CHUNK);
        long done = 0;
        try {
            while (done < todo) {
                c.io.write(port, i.size, c.read(addr(c, i, srcSeg(i), si), i.size));
                si += d;
                done++;
            }
        } finally {
            setIndex(c, Cpu.RSI, i.asize, si);
            if (i.rep != 0) c.setReg(Cpu.RCX, i.asize, n - done);
        }
        finishChunk(c, i, n - done);
    }
}
