package dev.ukemu.core.cpu;

/**
 * Handler ids of SSE and MMX instructions ({@link Sse#exec} dispatches on them). Families share
 * one id and carry the operation in {@link Insn#sub}: the floating-point arithmetic kind and
 * shape, the packed-integer lane operation, the conversion.
 */
final class SseOp {
    private SseOp() {
    }

    static final int FIRST = 1000, END = 2000;

    // ---- data movement (XMM)
    static final int MOV_LOAD = 1000, MOV_STORE = 1001,
            MOVS_LOAD = 1003, MOVS_STORE = 1004, // sub = element bytes (4, 8)
            MOVQ_X = 1006, MOVQ_STORE = 1007, MOVLO_LOAD = 1008, MOVHI_LOAD = 1009, MOVLO_STORE = 1010,
            MOVHI_STORE = 1011, MOVHLPS = 1012, MOVLHPS = 1013, MOVD_X_E = 1014, MOVD_E_X = 1015,
            MOVMSKPS = 1016, MOVMSKPD = 1017, PMOVMSKB = 1018, MASKMOV = 1019, MOVDDUP = 1020,
            MOVSLDUP = 1021, MOVSHDUP = 1022, MOVNTI = 1023;
    // ---- floating point (XMM); shape in the low two bits of sub: 0 ps, 1 pd, 2 ss, 3 sd
    static final int FP_ARITH = 1030, FP_CMP = 1031, FP_COMI = 1032, FP_HORIZ = 1033, FP_ROUND = 1034,
            FP_DP = 1035, CVT = 1036, CVT_MMX = 1037, FP_APPROX = 1038;
    // ---- packed integer and bitwise (XMM and MMX)
    static final int PINT = 1050, PSHIFT = 1051, PSHIFT_I = 1052, PUNPCK = 1053, PACK = 1054,
            PSHUFB = 1055, PALIGNR = 1056, PHADD = 1057, PSHUFD = 1058, PSHUFHW = 1059, PSHUFLW = 1060,
            PSHUFW = 1061, PBYTESHIFT = 1062, PMOVX = 1063, PTEST = 1064, BLEND = 1065, BLENDV = 1066,
            PINSR = 1067, PEXTR = 1068, EXTRACTPS = 1069, INSERTPS = 1070, PHMINPOSUW = 1071,
            MPSADBW = 1072, SHUFPS = 1073, SHUFPD = 1074;
    // ---- MMX-only and mixed moves
    static final int MOVD_M_E = 1080, MOVD_E_M = 1081, MOVQ_M_MM = 1082, MOVQ_MM_M = 1083, EMMS = 1084,
            MOVQ2DQ = 1085, MOVDQ2Q = 1086;
    // ---- SSE4.2
    static final int PCMPSTR = 1090, CRC32 = 1091;
}
