package dev.ukemu.core.cpu;

/**
 * How a machine's vCPUs run guest code: the interpreter alone, or the interpreter plus the
 * region compiler (guest code translated to JVM bytecode once it is hot).
 *
 * @param enabled     translate hot code
 * @param threshold   runs of a block before its region is compiled (0: the first run)
 * @param synchronous compile on the vCPU thread that asked, before running on (tests);
 *                    otherwise a background thread compiles while the interpreter goes on
 * @param maxRegions  compiled regions kept; the coldest are dropped beyond this
 */
public record JitConfig(boolean enabled, int threshold, boolean synchronous, int maxRegions) {
    public static final JitConfig OFF = new JitConfig(false, 0, false, 0);
    public static final int DEFAULT_THRESHOLD = 50, DEFAULT_MAX_REGIONS = 8192;

    public static JitConfig on() {
        return new JitConfig(true, DEFAULT_THRESHOLD, false, DEFAULT_MAX_REGIONS);
    }

    /**
     * The default for machines built without an explicit choice: on, unless the system property
     * {@code ukemu.jit} says {@code off}; {@code ukemu.jit.threshold} and {@code ukemu.jit.sync}
     * tune it (the test suite runs every CPU test with the JIT at threshold 0, synchronous).
     */
    public static JitConfig fromSystemProperties() {
        String mode = System.getProperty("ukemu.jit", "on");
        if (mode.equals("off") || mode.equals("false")) {
            return OFF;
        }
        int threshold = Integer.getInteger("ukemu.jit.threshold", DEFAULT_THRESHOLD);
        boolean sync = Boolean.getBoolean("ukemu.jit.sync");
        int max = Integer.getInteger("ukemu.jit.regions", DEFAULT_MAX_REGIONS);
        return new JitConfig(true, Math.max(0, threshold), sync, Math.max(16, max));
    }
}
