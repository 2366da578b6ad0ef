package dev.ukemu.core.cpu;

import java.security.SecureRandom;

/** System instructions: I/O, control registers, MSRs, descriptor tables, time, randomness. */
final class Sys {
    private Sys() {
    }

    // MSR numbers (SDM vol. 4).
    static final int MSR_TSC = 0x10, MSR_APIC_BASE = 0x1B, MSR_FEATURE_CONTROL = 0x3A, MSR_TSC_ADJUST = 0x3B,
            MSR_SPEC_CTRL = 0x48, MSR_UCODE_REV = 0x8B, MSR_MTRRCAP = 0xFE, MSR_SYSENTER_CS = 0x174,
            MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176, MSR_MCG_CAP = 0x179, MSR_MCG_STATUS = 0x17A,
            MSR_MISC_ENABLE = 0x1A0, MSR_PAT = 0x277, MSR_MTRR_DEF_TYPE = 0x2FF,
            MSR_EFER = 0xC0000080, MSR_STAR = 0xC0000081, MSR_LSTAR = 0xC0000082, MSR_CSTAR = 0xC0000083,
            MSR_SFMASK = 0xC0000084, MSR_FS_BASE = 0xC0000100, MSR_GS_BASE = 0xC0000101,
            MSR_KERNEL_GS_BASE = 0xC0000102, MSR_TSC_AUX = 0xC0000103;

    /** RDRAND's source, made on first use: seeding it costs start-up time most guests never repay. */
    private static final class Entropy {
        static final SecureRandom SOURCE = new SecureRandom();
    }

    static boolean protectedMode(Cpu c) {
        return (c.cr0 & Cpu.CR0_PE) != 0;
    }

    static int iopl(Cpu c) {
        return (int) (c.flagsRest >> 12) & 3;
    }

    static void requireCpl0(Cpu c) {
        if (protectedMode(c) && c.cpl != 0) {
            throw CpuException.gp(0);
        }
    }

    static void checkIo(Cpu c, int port, int size) {
        if (protectedMode(c) && (c.cpl > iopl(c) || (c.flagsRest & Cpu.RF_VM) != 0)) {
            if (!ioBitmapAllows(c, port, size)) {
                throw CpuException.gp(0);
            }
        }
    }

    /** The TSS I/O permission bitmap (SDM vol. 1, 19.5.2). */
    private static boolean ioBitmapAllows(Cpu c, int port, int size) {
        if ((c.trSel & ~3) == 0 || c.trLimit < 0x67) {
            return false;
        }
        int base = (int) c.readSystem(c.trBase + 0x66, 2);
        long byteOff = base + (port >> 3);
        if (byteOff + 1 > c.trLimit) {
            return false;
        }
        int bits = (int) c.readSystem(c.trBase + byteOff, 2);
        int mask = ((1 << size) - 1) << (port & 7);
        return (bits & mask) == 0;
    }

    /** LFENCE (/5), MFENCE (/6), SFENCE (/7): MFENCE orders stores before later loads. */
    static void fence(Cpu c, Insn i) {
        switch (i.sub) {
            case 5 -> java.lang.invoke.VarHandle.acquireFence();
            case 6 -> java.lang.invoke.VarHandle.fullFence();
            default -> java.lang.invoke.VarHandle.releaseFence();
        }
    }

    static void in(Cpu c, Insn i, int port) {
        checkIo(c, port, i.size);
        c.portIoExits++;
        long v = c.io.read(port, i.size);
        c.setReg(Cpu.RAX, i.size, v);
    }

    static void out(Cpu c, Insn i, int port) {
        checkIo(c, port, i.size);
        c.portIoExits++;
        c.io.write(port, i.size, c.reg(Cpu.RAX, i.size));
    }

    static void cli(Cpu c) {
        if (protectedMode(c) && c.cpl > iopl(c)) {
            throw CpuException.gp(0);
        }
        c.flagsRest &= ~Cpu.RF_IF;
    }

    static void sti(Cpu c) {
        if (protectedMode(c) && c.cpl > iopl(c)) {
            throw CpuException.gp(0);
        }
        if ((c.flagsRest & Cpu.RF_IF) == 0) {
            c.flagsRest |= Cpu.RF_IF;
            c.interruptShadow = true;
        }
        c.stopBlock = true;
    }

    static void hlt(Cpu c) {
        requireCpl0(c);
        c.halts++;
        c.halted = true;
        c.stopBlock = true;
    }

    static void softInt(Cpu c, int vector) {
        if ((c.flagsRest & Cpu.RF_VM) != 0 && iopl(c) < 3) {
            throw CpuException.gp(0);
        }
        throw CpuException.softwareInterrupt(vector);
    }

    static void unimplemented(Cpu c, Insn i) {
        long linear = (c.segBase[Cpu.CS] + c.insnStart) & (c.bits == 64 ? -1L : 0xFFFFFFFFL);
        String bytes = Interpreter.instructionBytes(c, linear);
        int n = Math.max(1, Math.min(i.len, 15));
        String[] parts = bytes.split(" ");
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < Math.min(n, parts.length); k++) {
            sb.append(k > 0 ? " " : "").append(parts[k]);
        }
        throw new GuestStop(GuestStop.Kind.UNIMPLEMENTED, String.format(
                "vCPU %d: unimplemented instruction at RIP=0x%x in %s: %s (#UD, vector 6)",
                c.index, c.insnStart, c.modeName(), sb));
    }

    static long tsc(Cpu c) {
        return c.hooks.tsc(c) + c.tscOffset;
    }

    static void rdtsc(Cpu c) {
        if ((c.cr4 & Cpu.CR4_TSD) != 0 && c.cpl > 0 && protectedMode(c)) {
            throw CpuException.gp(0);
        }
        long t = tsc(c);
        c.r[Cpu.RAX] = t & 0xFFFFFFFFL;
        c.r[Cpu.RDX] = t >>> 32;
    }

    static void rdtscp(Cpu c) {
        if (!c.cpuid.has(CpuidModel.F_RDTSCP)) {
            throw CpuException.ud();
        }
        rdtsc(c);
        c.r[Cpu.RCX] = c.tscAux & 0xFFFFFFFFL;
    }

    static void rdmsr(Cpu c) {
        requireCpl0(c);
        long msr = c.r[Cpu.RCX] & 0xFFFFFFFFL;
        long v = switch ((int) msr) {
            case MSR_TSC -> tsc(c);
            case MSR_APIC_BASE -> c.apicBase;
            case MSR_FEATURE_CONTROL -> 1; // locked, VMX off
            case MSR_TSC_ADJUST -> c.tscOffset;
            case MSR_UCODE_REV -> 0x1_0000_0000L;
            case MSR_MTRRCAP -> 0;
            case MSR_SYSENTER_CS -> c.sysenterCs;
            case MSR_SYSENTER_ESP -> c.sysenterEsp;
            case MSR_SYSENTER_EIP -> c.sysenterEip;
            case MSR_MCG_CAP, MSR_MCG_STATUS -> 0;
            case MSR_MISC_ENABLE -> c.miscEnable;
            case MSR_PAT -> c.pat;
            case MSR_MTRR_DEF_TYPE -> 0;
            case MSR_EFER -> c.efer;
            case MSR_STAR -> c.star;
            case MSR_LSTAR -> c.lstar;
            case MSR_CSTAR -> c.cstar;
            case MSR_SFMASK -> c.sfmask;
            case MSR_FS_BASE -> c.segBase[Cpu.FS];
            case MSR_GS_BASE -> c.segBase[Cpu.GS];
            case MSR_KERNEL_GS_BASE -> c.kernelGsBase;
            case MSR_TSC_AUX -> c.tscAux;
            default -> {
                Long ext = c.msrExtension == null ? null : c.msrExtension.read(c, msr);
                if (ext == null) {
                    c.hooks.onUnknownMsr(c, msr, false, 0);
                    throw CpuException.gp(0);
                }
                yield ext;
            }
        };
        c.r[Cpu.RAX] = v & 0xFFFFFFFFL;
        c.r[Cpu.RDX] = v >>> 32;
    }

    static void wrmsr(Cpu c) {
        requireCpl0(c);
        long msr = c.r[Cpu.RCX] & 0xFFFFFFFFL;
        long v = (c.r[Cpu.RDX] << 32) | (c.r[Cpu.RAX] & 0xFFFFFFFFL);
        switch ((int) msr) {
            case MSR_TSC -> c.tscOffset = v - c.hooks.tsc(c);
            case MSR_TSC_ADJUST -> c.tscOffset = v;
            case MSR_APIC_BASE -> {
                if (c.msrExtension == null || !c.msrExtension.write(c, msr, v)) {
                    c.apicBase = (v & ~0xFFFL & 0xF_FFFF_FFFF_F000L) | (v & 0x900) | (c.apicBase & 0x100);
                }
            }
            case MSR_SYSENTER_CS -> c.sysenterCs = v & 0xFFFF;
            case MSR_SYSENTER_ESP -> c.sysenterEsp = canonicalOrGp(v);
            case MSR_SYSENTER_EIP -> c.sysenterEip = canonicalOrGp(v);
            case MSR_MISC_ENABLE -> c.miscEnable = v;
            case MSR_PAT -> {
                for (int k = 0; k < 8; k++) {
                    int t = (int) (v >>> (k * 8)) & 0xFF;
                    if (t == 2 || t == 3 || t > 7) {
                        throw CpuException.gp(0);
                    }
                }
                c.pat = v;
            }
            case MSR_SPEC_CTRL, MSR_MTRR_DEF_TYPE, MSR_MCG_STATUS, MSR_UCODE_REV -> {
            }
            case MSR_EFER -> writeEfer(c, v);
            case MSR_STAR -> c.star = v;
            case MSR_LSTAR -> c.lstar = canonicalOrGp(v);
            case MSR_CSTAR -> c.cstar = canonicalOrGp(v);
            case MSR_SFMASK -> c.sfmask = v & 0xFFFFFFFFL;
            case MSR_FS_BASE -> c.segBase[Cpu.FS] = canonicalOrGp(v);
            case MSR_GS_BASE -> c.segBase[Cpu.GS] = canonicalOrGp(v);
            case MSR_KERNEL_GS_BASE -> c.kernelGsBase = canonicalOrGp(v);
            case MSR_TSC_AUX -> c.tscAux = v & 0xFFFFFFFFL;
            default -> {
                if (c.msrExtension == null || !c.msrExtension.write(c, msr, v)) {
                    c.hooks.onUnknownMsr(c, msr, true, v);
                    throw CpuException.gp(0);
                }
            }
        }
        c.stopBlock = true;
    }

    private static long canonicalOrGp(long v) {
        if (!Cpu.canonical(v)) {
            throw CpuException.gp(0);
        }
        return v;
    }

    private static void writeEfer(Cpu c, long v) {
        long allowed = Cpu.EFER_LME | Cpu.EFER_LMA;
        if (c.cpuid.has(CpuidModel.F_SYSCALL)) allowed |= Cpu.EFER_SCE;
        if (c.cpuid.has(CpuidModel.F_NX)) allowed |= Cpu.EFER_NXE;
        if ((v & ~allowed) != 0) {
            throw CpuException.gp(0);
        }
        boolean paging = (c.cr0 & Cpu.CR0_PG) != 0;
        if (paging && ((v ^ c.efer) & Cpu.EFER_LME) != 0) {
            throw CpuException.gp(0); // LME cannot change while paging is on
        }
        c.efer = (v & ~Cpu.EFER_LMA) | (c.efer & Cpu.EFER_LMA);
        c.flushTlb();
        c.updateMode();
    }

    static void movFromCr(Cpu c, Insn i) {
        requireCpl0(c);
        long v = switch (i.reg) {
            case 0 -> c.cr0;
            case 2 -> c.cr2;
            case 3 -> c.cr3;
            case 4 -> c.cr4;
            case 8 -> c.cr8;
            default -> throw CpuException.ud();
        };
        c.setReg(i.rm, i.size, v);
    }

    static void movToCr(Cpu c, Insn i) {
        requireCpl0(c);
        long v = c.reg(i.rm, i.size);
        switch (i.reg) {
            case 0 -> writeCr0(c, v);
            case 2 -> c.cr2 = v;
            case 3 -> {
                c.cr3 = c.longMode() ? v & 0x000F_FFFF_FFFF_FFFFL : v & 0xFFFFFFFFL;
                c.flushTlb();
            }
            case 4 -> writeCr4(c, v);
            case 8 -> {
                if ((v & ~0xFL) != 0) throw CpuException.gp(0);
                c.cr8 = v;
            }
            default -> throw CpuException.ud();
        }
        c.stopBlock = true;
    }

    static void writeCr0(Cpu c, long v) {
        if (c.bits == 64 || c.longMode()) {
            if ((v >>> 32) != 0) throw CpuException.gp(0);
        }
        v &= 0xFFFFFFFFL;
        if ((v & Cpu.CR0_PG) != 0 && (v & Cpu.CR0_PE) == 0) {
            throw CpuException.gp(0);
        }
        if ((v & Cpu.CR0_NW) != 0 && (v & Cpu.CR0_CD) == 0) {
            throw CpuException.gp(0);
        }
        boolean pgOn = (v & Cpu.CR0_PG) != 0 && (c.cr0 & Cpu.CR0_PG) == 0;
        boolean pgOff = (v & Cpu.CR0_PG) == 0 && (c.cr0 & Cpu.CR0_PG) != 0;
        if (pgOn && (c.efer & Cpu.EFER_LME) != 0) {
            if ((c.cr4 & Cpu.CR4_PAE) == 0) {
                throw CpuException.gp(0);
            }
            c.efer |= Cpu.EFER_LMA;
        }
        if (pgOff && c.longMode()) {
            if (c.bits == 64) {
                throw CpuException.gp(0);
            }
            c.efer &= ~Cpu.EFER_LMA;
        }
        c.cr0 = v | Cpu.CR0_ET;
        if ((v & Cpu.CR0_PE) == 0) {
            c.cpl = 0;
        }
        c.flushTlb();
        c.updateMode();
    }

    static void writeCr4(Cpu c, long v) {
        if ((v & ~c.cpuid.cr4Allowed()) != 0) {
            throw CpuException.gp(0);
        }
        if (c.longMode() && (v & Cpu.CR4_PAE) == 0) {
            throw CpuException.gp(0);
        }
        c.cr4 = v;
        c.flushTlb();
        c.updateMode();
    }

    static void movFromDr(Cpu c, Insn i) {
        requireCpl0(c);
        int n = i.reg;
        if (n == 4 || n == 5) {
            if ((c.cr4 & Cpu.CR4_DE) != 0) throw CpuException.ud();
            n += 2;
        }
        if (n > 7) throw CpuException.ud();
        long v = c.dr[n];
        if (n == 6) v |= 0xFFFF0FF0L;
        if (n == 7) v |= 0x400;
        c.setReg(i.rm, i.size, v);
    }

    static void movToDr(Cpu c, Insn i) {
        requireCpl0(c);
        int n = i.reg;
        if (n == 4 || n == 5) {
            if ((c.cr4 & Cpu.CR4_DE) != 0) throw CpuException.ud();
            n += 2;
        }
        if (n > 7) throw CpuException.ud();
        long v = c.reg(i.rm, i.size);
        if ((n == 6 || n == 7) && (v >>> 32) != 0) throw CpuException.gp(0);
        c.dr[n] = v;
    }

    static void loadDescriptorTable(Cpu c, Insn i) {
        requireCpl0(c);
        long la = c.ea(i);
        int limit = c.read16(la);
        long base;
        if (c.bits == 64) {
            base = c.read64((la + 2) & i.linMask);
        } else {
            base = c.read32((la + 2) & i.linMask);
            if (i.size == 2) base &= 0xFFFFFF;
        }
        if (i.op == Op.LGDT) {
            c.gdtBase = base;
            c.gdtLimit = limit;
        } else {
            c.idtBase = base;
            c.idtLimit = limit;
        }
    }

    static void storeDescriptorTable(Cpu c, Insn i) {
        if ((c.cr4 & Cpu.CR4_UMIP) != 0 && c.cpl > 0) throw CpuException.gp(0);
        long la = c.ea(i);
        boolean gdt = i.op == Op.SGDT;
        c.write16(la, gdt ? c.gdtLimit : c.idtLimit);
        long base = gdt ? c.gdtBase : c.idtBase;
        if (c.bits == 64) {
            c.write64((la + 2) & i.linMask, base);
        } else {
            c.write32((la + 2) & i.linMask, base);
        }
    }

    static void lmsw(Cpu c, Insn i) {
        requireCpl0(c);
        long v = c.readRm(i) & 0xF;
        long cr0 = (c.cr0 & ~0xEL) | v | (c.cr0 & Cpu.CR0_PE); // LMSW cannot clear PE
        writeCr0(c, cr0);
        c.stopBlock = true;
    }

    static void clts(Cpu c) {
        requireCpl0(c);
        c.cr0 &= ~Cpu.CR0_TS;
    }

    static void invlpg(Cpu c, Insn i) {
        requireCpl0(c);
        c.flushTlb(); // large pages are cached as 4 KiB entries: drop them all
        c.stopBlock = true;
    }

    static void swapgs(Cpu c) {
        if (c.cpl != 0) throw CpuException.gp(0);
        long t = c.segBase[Cpu.GS];
        c.segBase[Cpu.GS] = c.kernelGsBase;
        c.kernelGsBase = t;
    }

    static void xgetbv(Cpu c) {
        if ((c.cr4 & Cpu.CR4_OSXSAVE) == 0) throw CpuException.ud();
        if ((c.r[Cpu.RCX] & 0xFFFFFFFFL) != 0) throw CpuException.gp(0);
        c.r[Cpu.RAX] = c.xcr0 & 0xFFFFFFFFL;
        c.r[Cpu.RDX] = c.xcr0 >>> 32;
    }

    static void xsetbv(Cpu c) {
        if ((c.cr4 & Cpu.CR4_OSXSAVE) == 0) throw CpuException.ud();
        requireCpl0(c);
        if ((c.r[Cpu.RCX] & 0xFFFFFFFFL) != 0) throw CpuException.gp(0);
        long v = (c.r[Cpu.RDX] << 32) | (c.r[Cpu.RAX] & 0xFFFFFFFFL);
        if ((v & 1) == 0 || (v & ~c.cpuid.xcr0Supported()) != 0 || ((v & 4) != 0 && (v & 2) == 0)) {
            throw CpuException.gp(0);
        }
        c.xcr0 = v;
    }

    static void syscall(Cpu c, Insn i) {
        if ((c.efer & Cpu.EFER_SCE) == 0 || !c.longMode()) throw CpuException.ud();
        c.r[Cpu.RCX] = c.rip;
        c.r[11] = c.rflags() & ~Cpu.RF_RF;
        int cs = (int) (c.star >>> 32) & 0xFFFC;
        c.setSegmentRaw(Cpu.CS, cs, 0, 0xFFFFFFFFL, 0xA09B);
        c.setSegmentRaw(Cpu.SS, cs + 8, 0, 0xFFFFFFFFL, 0xC093);
        if (c.cpl != 0) c.flushTlb();
        c.cpl = 0;
        c.setRflags(c.rflags() & ~c.sfmask & ~Cpu.RF_RF);
        c.rip = c.lstar;
        c.updateMode();
    }

    static void sysret(Cpu c, Insn i) {
        if ((c.efer & Cpu.EFER_SCE) == 0 || !c.longMode()) throw CpuException.ud();
        if (c.cpl != 0) throw CpuException.gp(0);
        int base = (int) (c.star >>> 48) & 0xFFFF;
        long target = c.r[Cpu.RCX];
        if (i.size == 8) {
            if (!Cpu.canonical(target)) throw CpuException.gp(0);
            c.setSegmentRaw(Cpu.CS, (base + 16) | 3, 0, 0xFFFFFFFFL, 0xA0FB);
        } else {
            target &= 0xFFFFFFFFL;
            c.setSegmentRaw(Cpu.CS, base | 3, 0, 0xFFFFFFFFL, 0xC0FB);
        }
        c.setSegmentRaw(Cpu.SS, (base + 8) | 3, 0, 0xFFFFFFFFL, 0xC0F3);
        c.setRflags((c.r[11] & 0x3C7FD7L) | Cpu.RF_FIXED);
        c.cpl = 3;
        c.flushTlb();
        c.rip = target;
        c.updateMode();
    }

    /** SYSENTER (SDM vol. 2B): to CPL 0 at IA32_SYSENTER_EIP/ESP with flat segments from SYSENTER_CS. */
    static void sysenter(Cpu c) {
        if (!protectedMode(c) || (c.sysenterCs & 0xFFFC) == 0) {
            throw CpuException.gp(0);
        }
        int cs = (int) c.sysenterCs & 0xFFFC;
        c.flagsRest &= ~(Cpu.RF_IF | Cpu.RF_VM | Cpu.RF_RF);
        if (c.longMode()) {
            c.setSegmentRaw(Cpu.CS, cs, 0, 0xFFFFFFFFL, 0xA09B);
            c.rip = c.sysenterEip;
            c.r[Cpu.RSP] = c.sysenterEsp;
        } else {
            c.setSegmentRaw(Cpu.CS, cs, 0, 0xFFFFFFFFL, 0xC09B);
            c.rip = c.sysenterEip & 0xFFFFFFFFL;
            c.r[Cpu.RSP] = c.sysenterEsp & 0xFFFFFFFFL;
        }
        c.setSegmentRaw(Cpu.SS, cs + 8, 0, 0xFFFFFFFFL, 0xC093);
        if (c.cpl != 0) {
            c.flushTlb();
        }
        c.cpl = 0;
        c.updateMode();
    }

    /** SYSEXIT: back to CPL 3 at RDX/RCX (EDX/ECX without REX.W), segments from SYSENTER_CS. */
    static void sysexit(Cpu c, Insn i) {
        if (!protectedMode(c) || c.cpl != 0 || (c.sysenterCs & 0xFFFC) == 0) {
            throw CpuException.gp(0);
        }
        int base = (int) c.sysenterCs & 0xFFFC;
        if (i.size == 8) {
            long rip = c.r[Cpu.RDX], rsp = c.r[Cpu.RCX];
            if (!Cpu.canonical(rip) || !Cpu.canonical(rsp)) {
                throw CpuException.gp(0);
            }
            c.setSegmentRaw(Cpu.CS, (base + 32) | 3, 0, 0xFFFFFFFFL, 0xA0FB);
            c.setSegmentRaw(Cpu.SS, (base + 40) | 3, 0, 0xFFFFFFFFL, 0xC0F3);
            c.rip = rip;
            c.r[Cpu.RSP] = rsp;
        } else {
            c.setSegmentRaw(Cpu.CS, (base + 16) | 3, 0, 0xFFFFFFFFL, 0xC0FB);
            c.setSegmentRaw(Cpu.SS, (base + 24) | 3, 0, 0xFFFFFFFFL, 0xC0F3);
            c.rip = c.r[Cpu.RDX] & 0xFFFFFFFFL;
            c.r[Cpu.RSP] = c.r[Cpu.RCX] & 0xFFFFFFFFL;
        }
        c.cpl = 3;
        c.flushTlb();
        c.updateMode();
    }

    static void fsgsbase(Cpu c, Insn i) {
        if ((c.cr4 & Cpu.CR4_FSGSBASE) == 0) throw CpuException.ud();
        int seg = (i.op == Op.RDFSBASE || i.op == Op.WRFSBASE) ? Cpu.FS : Cpu.GS;
        int size = i.size == 8 ? 8 : 4;
        if (i.op == Op.RDFSBASE || i.op == Op.RDGSBASE) {
            c.setReg(i.rm, size, c.segBase[seg]);
        } else {
            long v = c.reg(i.rm, size);
            if (!Cpu.canonical(v)) throw CpuException.gp(0);
            c.segBase[seg] = v;
        }
    }

    static void rdrand(Cpu c, Insn i) {
        int feature = i.op == Op.RDRAND ? CpuidModel.F_RDRAND : CpuidModel.F_RDSEED;
        if (!c.cpuid.has(feature)) throw CpuException.ud();
        long v = Entropy.SOURCE.nextLong();
        c.setReg(i.rm, i.size, v);
        c.setFlagsArith(LazyFlags.CF);
    }
}
