package dev.ukemu.core.cpu;

/** Decodes the SSE encodings of the 0F, 0F 38 and 0F 3A maps. */
final class SseDecoder {
    private SseDecoder() {
    }

    static void decode0F(Decoder d, Insn i, int b) {
        d.modrm(i);
        i.op = Op.UNIMPL;
    }

    static void decode38(Decoder d, Insn i, int b) {
        d.modrm(i);
        i.op = Op.UNIMPL;
    }

    static void decode3A(Decoder d, Insn i, int b) {
        d.modrm(i);
        d.next();
        i.op = Op.UNIMPL;
    }
}
