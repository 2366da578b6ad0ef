package dev.ukemu.core.cpu;

/** Handler ids of x87 instructions ({@link X87#exec} dispatches on them). */
final class X87Op {
    private X87Op() {
    }

    static final int FIRST = 2000, END = 3000;

    // Arithmetic family, sub = ModRM.reg: 0 FADD 1 FMUL 2 FCOM 3 FCOMP 4 FSUB 5 FSUBR 6 FDIV 7 FDIVR.
    // With register operands the pair is (ST0, STi): 4 computes ST0-STi, 5 STi-ST0, 6 ST0/STi, 7 STi/ST0.
    static final int ARITH_M32 = 2000, ARITH_M64 = 2001, ARITH_I16 = 2002, ARITH_I32 = 2003,
            ARITH_ST0 = 2004, ARITH_STI = 2005, ARITH_STI_POP = 2006;
    // Loads.
    static final int FLD_M32 = 2010, FLD_M64 = 2011, FLD_M80 = 2012, FILD_M16 = 2013, FILD_M32 = 2014,
            FILD_M64 = 2015, FBLD = 2016, FLD_STI = 2017, FLD_CONST = 2018;
    // Stores; sub = 1 pops.
    static final int FST_M32 = 2020, FST_M64 = 2021, FSTP_M80 = 2022, FIST_M16 = 2023, FIST_M32 = 2024,
            FISTP_M64 = 2025, FISTTP_M16 = 2026, FISTTP_M32 = 2027, FISTTP_M64 = 2028, FBSTP = 2029,
            FST_STI = 2030;
    // Register operations.
    static final int FXCH = 2040, FFREE = 2041, FCHS = 2042, FABS = 2043, FTST = 2044, FXAM = 2045,
            FDECSTP = 2046, FINCSTP = 2047, FNOP = 2048, FCMOV = 2049;
    // Compares: FCOM_STI/FUCOM_STI sub = pops; FCOMI sub bit 0 = pop, bit 1 = unordered-quiet.
    static final int FCOM_STI = 2050, FUCOM_STI = 2051, FCOMPP = 2052, FUCOMPP = 2053, FCOMI = 2054;
    // Arithmetic and transcendental functions on the stack top.
    static final int FSQRT = 2060, FRNDINT = 2061, FSCALE = 2062, FXTRACT = 2063, FPREM = 2064, FPREM1 = 2065,
            F2XM1 = 2066, FYL2X = 2067, FYL2XP1 = 2068, FPTAN = 2069, FPATAN = 2070, FSIN = 2071, FCOS = 2072,
            FSINCOS = 2073;
    // Control.
    static final int FLDCW = 2080, FNSTCW = 2081, FNSTSW_M = 2082, FNSTSW_AX = 2083, FNCLEX = 2084,
            FNINIT = 2085, FLDENV = 2086, FNSTENV = 2087, FRSTOR = 2088, FNSAVE = 2089, FWAIT = 2090,
            FLEGACY = 2091;
}
