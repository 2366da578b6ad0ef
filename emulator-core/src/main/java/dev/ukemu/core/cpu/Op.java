package dev.ukemu.core.cpu;

/** Handler ids of decoded instructions; {@link Interpreter#exec} dispatches on them. */
final class Op {
    private Op() {
    }

    static final int UNIMPL = 0, UD = 1, NOP = 2,
    // ALU: sub = 0..7 (ADD OR ADC SBB AND SUB XOR CMP)
    ALU_EG = 3, ALU_GE = 4, ALU_EI = 5, TEST_EG = 6, TEST_EI = 7,
    MOV_EG = 8, MOV_GE = 9, MOV_EI = 10, MOV_RI = 11, MOVZX = 12, MOVSX = 13, LEA = 14,
    XCHG = 15, XADD = 16, CMPXCHG = 17, CMPXCHG8B = 18,
    INC = 19, DEC = 20, NOT = 21, NEG = 22, MUL1 = 23, IMUL1 = 24, DIV = 25, IDIV = 26,
    IMUL_GE = 27, IMUL_GEI = 28,
    // sub = 0..7 (ROL ROR RCL RCR SHL SHR SAL SAR); count in imm, or CL
    SHIFT_I = 29, SHIFT_CL = 30, SHLD_I = 31, SHLD_CL = 32, SHRD_I = 33, SHRD_CL = 34,
    // sub = 0..3 (BT BTS BTR BTC)
    BT_EG = 35, BT_EI = 36, BSF = 37, BSR = 38, TZCNT = 39, LZCNT = 40, POPCNT = 41, BSWAP = 42,
    SETCC = 43, CMOVCC = 44, JCC = 45, JMP = 46, CALL = 47, JMP_E = 48, CALL_E = 49, RET = 50,
    JMPF = 51, JMPF_M = 52, CALLF = 53, CALLF_M = 54, RETF = 55, IRET = 56, LOOP = 57, JCXZ = 58,
    PUSH_R = 59, POP_R = 60, PUSH_I = 61, PUSH_E = 62, POP_E = 63, PUSH_SEG = 64, POP_SEG = 65,
    PUSHF = 66, POPF = 67, PUSHA = 68, POPA = 69, ENTER = 70, LEAVE = 71,
    CBW = 72, CWD = 73, SAHF = 74, LAHF = 75, CMC = 76, CLC = 77, STC = 78, CLI = 79, STI = 80,
    CLD = 81, STD = 82,
    MOVS = 83, CMPS = 84, STOS = 85, LODS = 86, SCAS = 87, INS = 88, OUTS = 89,
    IN_I = 90, IN_DX = 91, OUT_I = 92, OUT_DX = 93,
    INT = 94, INT3 = 95, INTO = 96, INT1 = 97, HLT = 98, PAUSE = 99,
    MOV_TO_SEG = 100, MOV_FROM_SEG = 101, LOAD_FAR = 102, XLAT = 103,
    CPUID = 104, RDTSC = 105, RDTSCP = 106, RDMSR = 107, WRMSR = 108, RDPMC = 109,
    MOV_FROM_CR = 110, MOV_TO_CR = 111, MOV_FROM_DR = 112, MOV_TO_DR = 113,
    SLDT = 114, STR = 115, LLDT = 116, LTR = 117, VERR = 118, VERW = 119,
    SGDT = 120, SIDT = 121, LGDT = 122, LIDT = 123, SMSW = 124, LMSW = 125, INVLPG = 126,
    SWAPGS = 127, XGETBV = 128, XSETBV = 129, CLTS = 130, WBINVD = 131,
    SYSCALL = 132, SYSRET = 133, SYSENTER = 134, SYSEXIT = 135,
    FENCE = 136, CLFLUSH = 137, RDFSBASE = 138, RDGSBASE = 139, WRFSBASE = 140, WRGSBASE = 141,
    RDRAND = 142, RDSEED = 143, RDPID = 144, MOVBE_GE = 145, MOVBE_EG = 146,
    DAA = 147, DAS = 148, AAA = 149, AAS = 150, AAM = 151, AAD = 152, SALC = 153,
    BOUND = 154, ARPL = 155, MOVSXD = 156, LAR = 157, LSL = 158, INVPCID = 159, MONITOR = 160,
    MWAIT = 161, CMPXCHG16B = 162, XLAT_UNUSED = 163, LSS = 164, INVD = 165, UD0 = 166,
    COUNT = 167;
}
