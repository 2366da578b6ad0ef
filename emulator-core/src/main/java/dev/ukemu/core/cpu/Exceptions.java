package dev.ukemu.core.cpu;

/**
 * Exception and interrupt delivery through the IVT (real mode) or the IDT (protected and long
 * mode), double-fault promotion, triple faults, and IRET.
 */
final class Exceptions {
    private Exceptions() {
    }

    static final int SRC_EXCEPTION = 0, SRC_SOFTWARE = 1, SRC_EXTERNAL = 2;

    /** Delivers a fault raised by an instruction, promoting to #DF or a triple fault as needed. */
    static void raise(Cpu c, CpuException e) {
        int src = e.software ? SRC_SOFTWARE : SRC_EXCEPTION;
        try {
            deliverOnce(c, e.vector, e.errorCode, e.hasErrorCode, src);
        } catch (CpuException second) {
            c.rip = c.insnStart;
            if (e.vector == CpuException.DF) {
                throw tripleFault(c, second, e.vector);
            }
            if (isDoubleFault(e.vector, second.vector)) {
                try {
                    deliverOnce(c, CpuException.DF, 0, true, SRC_EXCEPTION);
                } catch (CpuException third) {
                    throw tripleFault(c, third, CpuException.DF);
                }
            } else {
                raise(c, second);
            }
        }
    }

    /** Delivers an external interrupt or a fault; used by the run loop. */
    static void deliver(Cpu c, int vector, int errorCode, boolean hasErrorCode, int src) {
        try {
            deliverOnce(c, vector, errorCode, hasErrorCode, src);
        } catch (CpuException e) {
            raise(c, e);
        }
    }

    private static boolean contributory(int v) {
        return v == CpuException.DE || (v >= CpuException.TS && v <= CpuException.GP);
    }

    private static boolean isDoubleFault(int first, int second) {
        if (contributory(first) && contributory(second)) {
            return true;
        }
        return first == CpuException.PF && (contributory(second) || second == CpuException.PF);
    }

    private static GuestStop tripleFault(Cpu c, CpuException last, int whileDelivering) {
        String msg = String.format("vCPU %d: triple fault in %s at RIP=0x%x (%s while delivering %s)",
                c.index, c.modeName(), c.rip, last.getMessage(), CpuException.mnemonic(whileDelivering));
        return new GuestStop(GuestStop.Kind.TRIPLE_FAULT, msg);
    }

    static void deliverOnce(Cpu c, int vector, int errorCode, boolean hasErrorCode, int src) {
        c.hooks.onInterrupt(c, vector, src == SRC_EXTERNAL, errorCode, hasErrorCode);
        if (src == SRC_EXTERNAL) {
            c.interrupts++;
        } else {
            c.exceptions++;
        }
        c.halted = false;
        if ((c.cr0 & Cpu.CR0_PE) == 0) {
            realMode(c, vector);
        } else if (c.longMode()) {
            longMode(c, vector, errorCode, hasErrorCode, src);
        } else {
            protectedMode(c, vector, errorCode, hasErrorCode, src);
        }
        c.stopBlock = true;
    }

    private static void realMode(Cpu c, int vector) {
        long entry = c.idtBase + vector * 4L;
        if (vector * 4L + 3 > c.idtLimit) {
            throw CpuException.gp(vector * 8 + 2);
        }
        int ip = c.read16(entry);
        int cs = c.read16(entry + 2);
        c.push(c.rflags() & 0xFFFF, 2);
        c.push(c.segSel[Cpu.CS], 2);
        c.push(c.rip & 0xFFFF, 2);
        c.flagsRest &= ~(Cpu.RF_IF | Cpu.RF_TF | Cpu.RF_AC);
        c.segSel[Cpu.CS] = cs;
        c.segBase[Cpu.CS] = (long) cs << 4;
        c.rip = ip;
    }

    private static int extBit(int src) {
        return src == SRC_EXTERNAL ? 1 : 0;
    }

    private static void longMode(Cpu c, int vector, int errorCode, boolean hasErrorCode, int src) {
        if (vector * 16L + 15 > c.idtLimit) {
            throw CpuException.gp(vector * 8 + 2 + extBit(src));
        }
        long lo = c.readSystem(c.idtBase + vector * 16L, 8);
        long hi = c.readSystem(c.idtBase + vector * 16L + 8, 8);
        int type = (int) (lo >>> 40) & 0x1F;
        int dpl = (int) (lo >>> 45) & 3;
        if (type != 0x0E && type != 0x0F) {
            throw CpuException.gp(vector * 8 + 2 + extBit(src));
        }
        if (src == SRC_SOFTWARE && dpl < c.cpl) {
            throw CpuException.gp(vector * 8 + 2);
        }
        if ((lo & (1L << 47)) == 0) {
            throw CpuException.fault(CpuException.NP, vector * 8 + 2 + extBit(src));
        }
        int sel = (int) (lo >>> 16) & 0xFFFF;
        long offset = (lo & 0xFFFF) | ((lo >>> 32) & 0xFFFF0000L) | (hi << 32);
        int ist = (int) (lo >>> 32) & 7;
        long d = Segments.codeDescriptorForGate(c, sel);
        int newCpl = ((d >>> 42) & 1) != 0 ? c.cpl : (int) (d >>> 45) & 3; // conforming keeps CPL
        if (((d >>> 53) & 1) == 0) {
            throw CpuException.gp(sel & 0xFFFC); // the target must be a 64-bit code segment
        }
        long oldSs = c.segSel[Cpu.SS], oldSp = c.r[Cpu.RSP], oldFlags = c.rflags();
        int oldCs = c.segSel[Cpu.CS];
        long rsp;
        if (ist != 0) {
            rsp = c.readSystem(c.trBase + 0x24 + (ist - 1) * 8L, 8);
        } else if (newCpl < c.cpl) {
            rsp = c.readSystem(c.trBase + 4 + newCpl * 8L, 8);
        } else {
            rsp = oldSp;
        }
        rsp &= ~15L;
        long[] frame = hasErrorCode
                ? new long[] {errorCode & 0xFFFFFFFFL, c.rip, oldCs, oldFlags, oldSp, oldSs}
                : new long[] {c.rip, oldCs, oldFlags, oldSp, oldSs};
        // Write the frame before changing any state, so a fault here leaves the old state intact.
        long top = rsp - frame.length * 8L;
        if (!Cpu.canonical(top) || !Cpu.canonical(rsp - 1)) {
            throw CpuException.fault(CpuException.SS, 0);
        }
        int savedCpl = c.cpl;
        c.cpl = newCpl; // stack accesses are at the new privilege level
        try {
            for (int k = 0; k < frame.length; k++) {
                c.write64(top + k * 8L, frame[k]);
            }
        } catch (CpuException e) {
            c.cpl = savedCpl;
            throw e;
        }
        if (newCpl != savedCpl) {
            c.flushTlb();
            c.setSegmentRaw(Cpu.SS, newCpl, 0, 0xFFFFFFFFL, 0);
        }
        Segments.loadCs(c, sel, d, newCpl);
        c.r[Cpu.RSP] = top;
        c.rip = offset;
        c.flagsRest &= ~(Cpu.RF_TF | Cpu.RF_NT | Cpu.RF_RF | Cpu.RF_VM);
        if (type == 0x0E) {
            c.flagsRest &= ~Cpu.RF_IF;
        }
        c.updateMode();
    }

    private static void protectedMode(Cpu c, int vector, int errorCode, boolean hasErrorCode, int src) {
        if (vector * 8L + 7 > c.idtLimit) {
            throw CpuException.gp(vector * 8 + 2 + extBit(src));
        }
        long g = c.readSystem((c.idtBase + vector * 8L) & 0xFFFFFFFFL, 8);
        int type = (int) (g >>> 40) & 0x1F;
        int dpl = (int) (g >>> 45) & 3;
        boolean gate32 = type == 0x0E || type == 0x0F;
        boolean gate16 = type == 0x06 || type == 0x07;
        if (!gate32 && !gate16) {
            throw CpuException.gp(vector * 8 + 2 + extBit(src)); // task gates are not supported
        }
        if (src == SRC_SOFTWARE && dpl < c.cpl) {
            throw CpuException.gp(vector * 8 + 2);
        }
        if ((g & (1L << 47)) == 0) {
            throw CpuException.fault(CpuException.NP, vector * 8 + 2 + extBit(src));
        }
        int sel = (int) (g >>> 16) & 0xFFFF;
        long offset = (g & 0xFFFF) | ((g >>> 32) & 0xFFFF0000L);
        if (gate16) {
            offset &= 0xFFFF;
        }
        long d = Segments.codeDescriptorForGate(c, sel);
        int newCpl = ((d >>> 42) & 1) != 0 ? c.cpl : (int) (d >>> 45) & 3;
        int size = gate32 ? 4 : 2;
        long oldFlags = c.rflags();
        int oldCs = c.segSel[Cpu.CS];
        long oldEip = c.rip;
        if (newCpl < c.cpl) {
            // Inner-privilege stack from the TSS.
            long ssEsp = c.trBase;
            long esp = c.readSystem(ssEsp + 4 + newCpl * 8L, 4);
            int ss = (int) c.readSystem(ssEsp + 8 + newCpl * 8L, 2);
            int oldSs = c.segSel[Cpu.SS];
            long oldEsp = c.r[Cpu.RSP];
            int savedCpl = c.cpl;
            c.cpl = newCpl;
            try {
                Segments.load(c, Cpu.SS, ss);
            } catch (CpuException e) {
                c.cpl = savedCpl;
                throw CpuException.fault(CpuException.TS, ss & 0xFFFC);
            }
            c.flushTlb();
            c.setSp(esp);
            c.push(oldSs, size);
            c.push(oldEsp, size);
        }
        c.push(oldFlags, size);
        c.push(oldCs, size);
        c.push(oldEip, size);
        if (hasErrorCode) {
            c.push(errorCode, size);
        }
        Segments.loadCs(c, sel, d, newCpl);
        c.rip = offset;
        c.flagsRest &= ~(Cpu.RF_TF | Cpu.RF_NT | Cpu.RF_RF | Cpu.RF_VM);
        if ((type & 1) == 0) {
            c.flagsRest &= ~Cpu.RF_IF;
        }
    }

    static void iret(Cpu c, Insn i) {
        int size = i.size;
        if ((c.cr0 & Cpu.CR0_PE) == 0) {
            long ip = c.peek(0, size);
            int cs = (int) c.peek(size, size) & 0xFFFF;
            long fl = c.peek(2L * size, size);
            c.setSp(c.sp() + 3L * size);
            c.segSel[Cpu.CS] = cs;
            c.segBase[Cpu.CS] = (long) cs << 4;
            c.rip = ip & (size == 2 ? 0xFFFF : 0xFFFFFFFFL);
            long mask = size == 2 ? 0xFFFF : Cpu.RFLAGS_WRITABLE & ~(Cpu.RF_VM | Cpu.RF_VIF | Cpu.RF_VIP);
            c.setRflags((c.rflags() & ~mask) | (fl & mask));
            c.stopBlock = true;
            return;
        }
        c.nmiBlocked = false;
        if ((c.flagsRest & Cpu.RF_NT) != 0 && !c.longMode()) {
            throw CpuException.gp(0); // task return: no hardware task switching
        }
        long ip = c.peek(0, size);
        int cs = (int) c.peek(size, size) & 0xFFFF;
        long fl = c.peek(2L * size, size);
        int rpl = cs & 3;
        if (rpl < c.cpl) {
            throw CpuException.gp(cs & 0xFFFC);
        }
        long d = Segments.descriptor(c, cs);
        if ((Segments.descAttr(d) & 0x18) != 0x18) {
            throw CpuException.gp(cs & 0xFFFC);
        }
        if ((d & (1L << 47)) == 0) {
            throw CpuException.fault(CpuException.NP, cs & 0xFFFC);
        }
        boolean popStack = c.bits == 64 || rpl > c.cpl;
        long newSp = 0;
        int newSs = 0;
        if (popStack) {
            newSp = c.peek(3L * size, size);
            newSs = (int) c.peek(4L * size, size) & 0xFFFF;
        }
        int oldCpl = c.cpl;
        long mask = Cpu.RFLAGS_WRITABLE;
        if (oldCpl > 0) {
            mask &= ~(Cpu.RF_IOPL | Cpu.RF_VIF | Cpu.RF_VIP);
        }
        if (oldCpl > ((c.rflags() >> 12) & 3)) {
            mask &= ~Cpu.RF_IF;
        }
        if (size == 2) {
            mask &= 0xFFFF;
        }
        long newFlags = (c.rflags() & ~mask) | (fl & mask);
        if (!popStack) {
            c.setSp(c.sp() + 3L * size);
        }
        Segments.loadCs(c, cs, d, rpl);
        c.rip = c.bits == 64 ? ip : ip & 0xFFFFFFFFL;
        c.setRflags(newFlags);
        if (popStack) {
            if ((newSs & ~3) == 0 && c.longMode() && rpl < 3) {
                c.setSegmentRaw(Cpu.SS, newSs, 0, 0xFFFFFFFFL, 0);
            } else {
                Segments.load(c, Cpu.SS, newSs);
            }
            c.updateMode();
            c.r[Cpu.RSP] = c.stackSize == 8 ? newSp : newSp & (c.stackSize == 4 ? 0xFFFFFFFFL : 0xFFFF);
        }
        if (rpl != oldCpl) {
            c.flushTlb();
            for (int s : new int[] {Cpu.ES, Cpu.DS, Cpu.FS, Cpu.GS}) {
                int dpl = (c.segAttr[s] >> 5) & 3;
                boolean confCode = (c.segAttr[s] & 0x1C) == 0x1C;
                if (!confCode && dpl < rpl && (c.segSel[s] & ~3) != 0) {
                    c.setSegmentRaw(s, 0, 0, 0, 0);
                }
            }
        }
        c.stopBlock = true;
    }
}
