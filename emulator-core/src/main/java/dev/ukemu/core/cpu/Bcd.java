package dev.ukemu.core.cpu;

/** The BCD adjustments of legacy modes (DAA DAS AAA AAS AAM AAD) and SALC. */
final class Bcd {
    private Bcd() {
    }

    static void exec(Cpu c, Insn i) {
        int f = c.arithFlags();
        boolean cf = (f & LazyFlags.CF) != 0, af = (f & LazyFlags.AF) != 0;
        int al = (int) c.r[Cpu.RAX] & 0xFF;
        switch (i.op) {
            case Op.DAA -> {
                int old = al;
                boolean ncf = false, naf = false;
                if ((al & 0xF) > 9 || af) {
                    al += 6;
                    naf = true;
                }
                if (old > 0x99 || cf) {
                    al += 0x60;
                    ncf = true;
                }
                setAl(c, al);
                logicFlags(c, al, ncf, naf);
            }
            case Op.DAS -> {
                int old = al;
                boolean ncf = false, naf = false;
                if ((al & 0xF) > 9 || af) {
                    al -= 6;
                    naf = true;
                }
                if (old > 0x99 || cf) {
                    al -= 0x60;
                    ncf = true;
                }
                setAl(c, al);
                logicFlags(c, al, ncf, naf);
            }
            case Op.AAA, Op.AAS -> {
                int ax = (int) c.r[Cpu.RAX] & 0xFFFF;
                boolean adj = (al & 0xF) > 9 || af;
                if (adj) {
                    ax = i.op == Op.AAA ? ax + 0x106 : ax - 0x106;
                }
                ax = (ax & 0xFF00) | (ax & 0x0F);
                c.setReg(Cpu.RAX, 2, ax);
                int nf = f & ~(LazyFlags.CF | LazyFlags.AF);
                if (adj) nf |= LazyFlags.CF | LazyFlags.AF;
                c.setFlagsArith(nf);
            }
            case Op.AAM -> {
                int base = (int) i.imm & 0xFF;
                if (base == 0) throw CpuException.fault(CpuException.DE);
                int ah = al / base;
                al = al % base;
                c.setReg(Cpu.RAX, 2, ah << 8 | al);
                logicFlags(c, al, false, false);
            }
            case Op.AAD -> {
                int base = (int) i.imm & 0xFF;
                int ah = (int) (c.r[Cpu.RAX] >>> 8) & 0xFF;
                al = (al + ah * base) & 0xFF;
                c.setReg(Cpu.RAX, 2, al);
                logicFlags(c, al, false, false);
            }
            default -> setAl(c, cf ? 0xFF : 0); // SALC
        }
    }

    private static void setAl(Cpu c, int v) {
        c.setReg(Cpu.RAX, 1, v);
    }

    private static void logicFlags(Cpu c, int res, boolean cf, boolean af) {
        c.setCc(LazyFlags.LOGIC << 2, 0, 0, res & 0xFF);
        int f = c.arithFlags();
        if (cf) f |= LazyFlags.CF;
        if (af) f |= LazyFlags.AF;
        c.setFlagsArith(f);
    }
}
