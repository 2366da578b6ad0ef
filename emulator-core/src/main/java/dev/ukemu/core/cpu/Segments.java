package dev.ukemu.core.cpu;

/** Segment registers, descriptor tables, far transfers. */
final class Segments {
    private Segments() {
    }

    static boolean protectedMode(Cpu c) {
        return (c.cr0 & Cpu.CR0_PE) != 0 && (c.flagsRest & Cpu.RF_VM) == 0;
    }

    /** Reads the 8-byte descriptor for {@code sel}; #GP(sel) if it is outside its table. */
    static long descriptor(Cpu c, int sel) {
        long base;
        long limit;
        if ((sel & 4) != 0) {
            base = c.ldtBase;
            limit = c.ldtLimit;
            if ((c.ldtSel & ~3) == 0) {
                throw CpuException.gp(sel & 0xFFFC);
            }
        } else {
            base = c.gdtBase;
            limit = c.gdtLimit;
        }
        long off = sel & ~7L;
        if (off + 7 > limit) {
            throw CpuException.gp(sel & 0xFFFC);
        }
        return c.readSystem(tableAddr(c, base + off), 8);
    }

    static long descriptorHigh(Cpu c, int sel) {
        long base = (sel & 4) != 0 ? c.ldtBase : c.gdtBase;
        long limit = (sel & 4) != 0 ? c.ldtLimit : c.gdtLimit;
        long off = (sel & ~7L) + 8;
        if (off + 7 > limit) {
            throw CpuException.gp(sel & 0xFFFC);
        }
        return c.readSystem(tableAddr(c, base + off), 8);
    }

    private static long tableAddr(Cpu c, long a) {
        return c.bits == 64 || c.longMode() ? a : a & 0xFFFFFFFFL;
    }

    static long descBase(long d) {
        return ((d >>> 16) & 0xFFFFFF) | ((d >>> 32) & 0xFF000000L);
    }

    static long descLimit(long d) {
        long l = (d & 0xFFFF) | ((d >>> 32) & 0xF0000);
        if ((d & (1L << 55)) != 0) {
            l = (l << 12) | 0xFFF;
        }
        return l;
    }

    static int descAttr(long d) {
        return (int) ((d >>> 40) & 0xF0FF);
    }

    /** Loads a data or stack segment register (MOV, POP, LDS...), with the protected-mode checks. */
    static void load(Cpu c, int seg, int sel) {
        sel &= 0xFFFF;
        if (!protectedMode(c)) {
            c.segSel[seg] = sel;
            c.segBase[seg] = (long) sel << 4;
            if ((c.flagsRest & Cpu.RF_VM) != 0) {
                c.segLimit[seg] = 0xFFFF;
                c.segAttr[seg] = seg == Cpu.CS ? 0xFB : 0xF3;
            }
            if (seg == Cpu.SS) {
                c.updateMode();
            }
            return;
        }
        if ((sel & ~3) == 0) {
            if (seg == Cpu.SS && (c.bits != 64 || c.cpl == 3)) {
                throw CpuException.gp(0);
            }
            c.setSegmentRaw(seg, sel, 0, 0, 0);
            if (seg == Cpu.SS) {
                c.updateMode();
            }
            return;
        }
        long d = descriptor(c, sel);
        int attr = descAttr(d);
        int rpl = sel & 3;
        int dpl = (attr >> 5) & 3;
        boolean s = (attr & 0x10) != 0;
        boolean code = (attr & 8) != 0;
        boolean rw = (attr & 2) != 0;
        if (seg == Cpu.SS) {
            if (!s || code || !rw || rpl != c.cpl || dpl != c.cpl) {
                throw CpuException.gp(sel & 0xFFFC);
            }
            if ((attr & 0x80) == 0) {
                throw CpuException.fault(CpuException.SS, sel & 0xFFFC);
            }
        } else {
            if (!s || (code && !rw)) {
                throw CpuException.gp(sel & 0xFFFC);
            }
            boolean conforming = code && (attr & 4) != 0;
            if (!conforming && (rpl > dpl || c.cpl > dpl)) {
                throw CpuException.gp(sel & 0xFFFC);
            }
            if ((attr & 0x80) == 0) {
                throw CpuException.fault(CpuException.NP, sel & 0xFFFC);
            }
        }
        setAccessed(c, sel, d);
        c.setSegmentRaw(seg, sel, descBase(d), descLimit(d), attr);
        if (seg == Cpu.SS) {
            c.updateMode();
        }
    }

    private static void setAccessed(Cpu c, int sel, long d) {
        if ((d & (1L << 40)) == 0) {
            long base = (sel & 4) != 0 ? c.ldtBase : c.gdtBase;
            c.writeSystem(tableAddr(c, base + (sel & ~7L)), 8, d | (1L << 40));
        }
    }

    /** Loads CS for a far transfer at privilege {@code cpl}. */
    static void loadCs(Cpu c, int sel, long d, int cpl) {
        c.setSegmentRaw(Cpu.CS, (sel & ~3) | cpl, descBase(d), descLimit(d), descAttr(d));
        c.cpl = cpl;
        c.updateMode();
    }

    /** Checks a code-segment descriptor for a far JMP/CALL; returns it. */
    static long codeDescriptor(Cpu c, int sel) {
        if ((sel & ~3) == 0) {
            throw CpuException.gp(0);
        }
        long d = descriptor(c, sel);
        int attr = descAttr(d);
        if ((attr & 0x18) != 0x18) {
            // System descriptors (call gates, TSS) are not supported for far transfers.
            throw CpuException.gp(sel & 0xFFFC);
        }
        int dpl = (attr >> 5) & 3;
        boolean conforming = (attr & 4) != 0;
        if (conforming ? dpl > c.cpl : (dpl != c.cpl || (sel & 3) > c.cpl)) {
            throw CpuException.gp(sel & 0xFFFC);
        }
        if ((attr & 0x80) == 0) {
            throw CpuException.fault(CpuException.NP, sel & 0xFFFC);
        }
        if (c.longMode() && (attr & Cpu.ATTR_L) != 0 && (attr & Cpu.ATTR_DB) != 0) {
            throw CpuException.gp(sel & 0xFFFC); // L and D both set
        }
        return d;
    }

    /** The code segment named by an interrupt gate (no RPL/CPL check: privilege may rise). */
    static long codeDescriptorForGate(Cpu c, int sel) {
        if ((sel & ~3) == 0) {
            throw CpuException.gp(0);
        }
        long d = descriptor(c, sel);
        int attr = descAttr(d);
        if ((attr & 0x18) != 0x18 || ((attr >> 5) & 3) > c.cpl) {
            throw CpuException.gp(sel & 0xFFFC);
        }
        if ((attr & 0x80) == 0) {
            throw CpuException.fault(CpuException.NP, sel & 0xFFFC);
        }
        return d;
    }

    static void farJump(Cpu c, int sel, long off) {
        if (!protectedMode(c)) {
            c.segSel[Cpu.CS] = sel & 0xFFFF;
            c.segBase[Cpu.CS] = (long) (sel & 0xFFFF) << 4;
            if ((c.flagsRest & Cpu.RF_VM) == 0) {
                c.updateMode();
            }
            c.rip = off & 0xFFFF_FFFFL;
            c.stopBlock = true;
            return;
        }
        long d = codeDescriptor(c, sel);
        long oldRip = c.rip;
        loadCs(c, sel, d, c.cpl);
        c.rip = c.bits == 64 ? off : off & 0xFFFFFFFFL;
        if (c.bits == 16) {
            c.rip &= 0xFFFF;
        }
        c.stopBlock = true;
    }

    static void farJumpMem(Cpu c, Insn i) {
        long la = c.ea(i);
        long off = c.read(la, i.size);
        int sel = c.read16((la + i.size) & i.linMask);
        farJump(c, sel, off);
    }

    static void farCall(Cpu c, Insn i, int sel, long off) {
        int oldCs = c.segSel[Cpu.CS];
        long ret = c.rip;
        if (protectedMode(c)) {
            codeDescriptor(c, sel);
        }
        long sp = c.sp();
        try {
            c.push(oldCs, i.size);
            c.push(ret, i.size);
            farJump(c, sel, off);
        } catch (CpuException e) {
            c.setSp(sp);
            throw e;
        }
    }

    static void farCallMem(Cpu c, Insn i) {
        long la = c.ea(i);
        long off = c.read(la, i.size);
        int sel = c.read16((la + i.size) & i.linMask);
        farCall(c, i, sel, off);
    }

    static void farReturn(Cpu c, Insn i) {
        int size = c.bits == 64 && (i.prefixes & Decoder.P_REX) != 0 && i.size == 8 ? 8 : i.size;
        long off = c.peek(0, size);
        int sel = (int) c.peek(size, size) & 0xFFFF;
        if (!protectedMode(c)) {
            c.setSp(c.sp() + 2L * size + i.imm);
            farJump(c, sel, off);
            return;
        }
        int rpl = sel & 3;
        if (rpl < c.cpl) {
            throw CpuException.gp(sel & 0xFFFC);
        }
        long d = descriptor(c, sel);
        if (rpl == c.cpl) {
            c.setSp(c.sp() + 2L * size + i.imm);
            loadCs(c, sel, d, rpl);
            c.rip = c.bits == 64 ? off : off & 0xFFFFFFFFL;
        } else {
            long newSp = c.peek(2L * size + i.imm, size);
            int newSs = (int) c.peek(3L * size + i.imm, size) & 0xFFFF;
            loadCs(c, sel, d, rpl);
            c.rip = c.bits == 64 ? off : off & 0xFFFFFFFFL;
            load(c, Cpu.SS, newSs);
            c.setSp(newSp + i.imm);
        }
        c.stopBlock = true;
    }

    static void movToSeg(Cpu c, Insn i) {
        int sel = (int) c.readRm(i) & 0xFFFF;
        load(c, i.sub, sel);
        if (i.sub == Cpu.SS) {
            c.interruptShadow = true;
        }
        c.stopBlock = true;
    }

    static void popSeg(Cpu c, Insn i) {
        int sel = (int) c.peek(0, i.size) & 0xFFFF;
        load(c, i.sub, sel);
        c.setSp(c.sp() + i.size);
        if (i.sub == Cpu.SS) {
            c.interruptShadow = true;
        }
        c.stopBlock = true;
    }

    static void loadFar(Cpu c, Insn i) {
        long la = c.ea(i);
        long off = c.read(la, i.size);
        int sel = c.read16((la + i.size) & i.linMask);
        load(c, i.sub, sel);
        c.setReg(i.reg, i.size, off);
        c.stopBlock = true;
    }

    static void lldt(Cpu c, Insn i) {
        requireCpl0Protected(c);
        int sel = (int) c.readRm(i) & 0xFFFF;
        if ((sel & ~3) == 0) {
            c.ldtSel = sel;
            c.ldtBase = 0;
            c.ldtLimit = 0;
            return;
        }
        if ((sel & 4) != 0) {
            throw CpuException.gp(sel & 0xFFFC);
        }
        long d = descriptor(c, sel);
        if (((d >>> 40) & 0x1F) != 0x02) {
            throw CpuException.gp(sel & 0xFFFC);
        }
        if ((d & (1L << 47)) == 0) {
            throw CpuException.fault(CpuException.NP, sel & 0xFFFC);
        }
        long base = descBase(d);
        if (c.longMode()) {
            base |= (descriptorHigh(c, sel) & 0xFFFFFFFFL) << 32;
        }
        c.ldtSel = sel;
        c.ldtBase = base;
        c.ldtLimit = descLimit(d);
    }

    static void ltr(Cpu c, Insn i) {
        requireCpl0Protected(c);
        int sel = (int) c.readRm(i) & 0xFFFF;
        if ((sel & ~3) == 0 || (sel & 4) != 0) {
            throw CpuException.gp(sel & 0xFFFC);
        }
        long d = descriptor(c, sel);
        int type = (int) (d >>> 40) & 0x1F;
        // Available 16-bit (1) or 32/64-bit (9) TSS.
        if (type != 0x09 && type != 0x01) {
            throw CpuException.gp(sel & 0xFFFC);
        }
        if ((d & (1L << 47)) == 0) {
            throw CpuException.fault(CpuException.NP, sel & 0xFFFC);
        }
        long base = descBase(d);
        if (c.longMode()) {
            base |= (descriptorHigh(c, sel) & 0xFFFFFFFFL) << 32;
        }
        c.write64(tableAddr(c, c.gdtBase + (sel & ~7L)), d | (2L << 40)); // mark busy
        c.trSel = sel;
        c.trBase = base;
        c.trLimit = descLimit(d);
        c.trAttr = descAttr(d) | 2;
    }

    private static void requireCpl0Protected(Cpu c) {
        if (!protectedMode(c)) {
            throw CpuException.ud();
        }
        if (c.cpl != 0) {
            throw CpuException.gp(0);
        }
    }

    /** VERR, VERW, LAR, LSL, ARPL and BOUND. */
    static void descriptorQuery(Cpu c, Insn i) {
        switch (i.op) {
            case Op.ARPL -> {
                long dst = c.readRm(i);
                long src = c.reg(i.reg, 2);
                int f = c.arithFlags() & ~LazyFlags.ZF;
                if ((dst & 3) < (src & 3)) {
                    c.writeRm(i, (dst & ~3L) | (src & 3));
                    f |= LazyFlags.ZF;
                }
                c.setFlagsArith(f);
            }
            case Op.BOUND -> {
                long la = c.ea(i);
                int sz = LazyFlags.log2(i.size);
                long idx = LazyFlags.signExtend(c.reg(i.reg, i.size), sz);
                long lo = LazyFlags.signExtend(c.read(la, i.size), sz);
                long hi = LazyFlags.signExtend(c.read((la + i.size) & i.linMask, i.size), sz);
                if (idx < lo || idx > hi) {
                    throw CpuException.fault(CpuException.BR);
                }
            }
            default -> {
                if (!protectedMode(c)) {
                    throw CpuException.ud();
                }
                int sel = (int) c.readRm(i) & 0xFFFF;
                int f = c.arithFlags() & ~LazyFlags.ZF;
                long d = 0;
                boolean ok = (sel & ~3) != 0;
                if (ok) {
                    try {
                        d = descriptor(c, sel);
                    } catch (CpuException e) {
                        ok = false;
                    }
                }
                if (ok) {
                    int attr = descAttr(d);
                    int dpl = (attr >> 5) & 3;
                    boolean code = (attr & 0x18) == 0x18;
                    boolean conforming = code && (attr & 4) != 0;
                    if ((attr & 0x10) != 0 && !conforming && (dpl < c.cpl || dpl < (sel & 3))) {
                        ok = false;
                    }
                    switch (i.op) {
                        case Op.VERR -> ok &= (attr & 0x10) != 0 && (!code || (attr & 2) != 0);
                        case Op.VERW -> ok &= (attr & 0x10) != 0 && !code && (attr & 2) != 0;
                        case Op.LAR -> {
                            if (ok) c.setReg(i.reg, i.size, (d >>> 32) & 0x00F0FF00L);
                        }
                        default -> {
                            if (ok) c.setReg(i.reg, i.size, descLimit(d));
                        }
                    }
                }
                c.setFlagsArith(ok ? f | LazyFlags.ZF : f);
            }
        }
    }
}
