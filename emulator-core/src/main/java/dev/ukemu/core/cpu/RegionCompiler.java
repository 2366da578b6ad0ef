package dev.ukemu.core.cpu;

/** Translates a hot block and the decoded blocks it reaches on its page into a {@link Region}. */
final class RegionCompiler {
    private RegionCompiler() {
    }

    /** The region entered at {@code entry}, or null when it is not worth compiling. */
    static Region compile(Block entry, CodeCache code) {
        return null;
    }
}
