package dev.ukemu.core.cpu;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The machine-wide JIT: counts block runs, queues hot blocks for {@link RegionCompiler}, installs
 * the compiled regions on their entry blocks and keeps their number bounded, dropping the least
 * used when there are too many. Compilation happens on one background daemon thread (or on the
 * asking vCPU thread when {@link JitConfig#synchronous}); vCPUs keep interpreting meanwhile.
 */
public final class Jit {
    private static final boolean TRACE = Boolean.getBoolean("ukemu.jit.trace");
    /**
     * Guest instructions a vCPU runs before it asks for compilation (unless the threshold is 0):
     * a short run, such as a unikernel's boot, is over before compiled code would repay the JIT's
     * own start-up (its classes loading, HotSpot compiling the regions). A few ms of
     * interpretation.
     */
    static final long START = Long.getLong("ukemu.jit.start", 200_000);
    final JitConfig config;
    /**
     * {@link #START} for a machine; 0 when compiling synchronously (tests, which want the
     * threshold alone to decide) or at threshold 0.
     */
    final long start;
    private final CodeCache code;
    private final LinkedBlockingQueue<Block> queue = new LinkedBlockingQueue<>();
    private final List<Region> live = new ArrayList<>();
    private Thread worker;
    final AtomicLong regionsCompiled = new AtomicLong(), regionsEvicted = new AtomicLong(),
            regionsRejected = new AtomicLong(), bytecodeBytes = new AtomicLong(), guestInsnsCompiled = new AtomicLong();

    Jit(JitConfig config, CodeCache code) {
        this.config = config;
        this.code = code;
        this.start = config.synchronous() || config.threshold() == 0 ? 0 : START;
    }

    /** Called by the interpreter when {@code b} has reached the hotness threshold. */
    void request(Block b) {
        request(b, null);
    }

    /** As {@link #request(Block)}, from vCPU {@code c}, whose instruction TLB says where the neighbouring pages are. */
    void request(Block b, Cpu c) {
        if (b.compileRequested) {
            return;
        }
        b.compileRequested = true;
        if (c != null) {
            long lp = b.linear >>> 12;
            b.prevPhys = c.execPage(lp - 1);
            b.nextPhys = c.execPage(lp + 1);
        }
        if (config.synchronous()) {
            compile(b);
            return;
        }
        synchronized (this) {
            if (worker == null) {
                worker = Thread.ofPlatform().daemon().name("ukemu-jit").start(this::work);
            }
        }
        queue.add(b);
    }

    private void work() {
        while (true) {
            Block b;
            try {
                b = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            try {
                compile(b);
            } catch (RuntimeException | LinkageError e) {
                // A region the compiler cannot handle stays interpreted.
                regionsRejected.incrementAndGet();
            }
        }
    }

    private void compile(Block b) {
        if (!b.valid || b.region != null) {
            return; // gone, or already taken into a region compiled since it was queued
        }
        Region r = RegionCompiler.compile(b, code);
        if (r == null) {
            regionsRejected.incrementAndGet();
            return;
        }
        regionsCompiled.incrementAndGet();
        if (TRACE) {
            StringBuilder sb = new StringBuilder();
            for (Block x : r.blocks) {
                sb.append(' ').append(Long.toHexString(x.linear));
            }
            System.err.printf("ukemu jit: region at %x: %d blocks, %d instructions, %d bytes:%s%n", b.linear,
                    r.blocks.length, r.guestInsns, r.bytecodeBytes, sb);
        }
        bytecodeBytes.addAndGet(r.bytecodeBytes);
        guestInsnsCompiled.addAndGet(r.guestInsns);
        // Installed only if every block is still valid, under the lock that invalidation takes:
        // a region must not jump into code that a store has replaced meanwhile.
        synchronized (code) {
            for (Block x : r.blocks) {
                if (!x.valid) {
                    regionsRejected.incrementAndGet();
                    return;
                }
            }
            for (Block x : r.blocks) {
                x.region = r;
                x.compileRequested = true;
            }
        }
        List<Region> dropped = null;
        synchronized (live) {
            live.add(r);
            if (live.size() > config.maxRegions()) {
                dropped = evict();
            }
        }
        if (dropped != null) {
            for (Region d : dropped) {
                for (Block x : d.blocks) {
                    if (x.region == d) {
                        x.region = null;
                        x.hits = 0;
                        x.compileRequested = false;
                    }
                }
            }
        }
    }

    /** Drops the less used half of the live regions (and those whose code is gone). */
    private List<Region> evict() {
        List<Region> sorted = new ArrayList<>(live);
        sorted.sort(Comparator.comparingInt((Region r) -> r.entry.valid && r.entry.region == r ? r.uses : -1));
        int drop = sorted.size() / 2;
        List<Region> dropped = new ArrayList<>(sorted.subList(0, drop));
        live.clear();
        for (Region r : sorted.subList(drop, sorted.size())) {
            r.uses = 0;
            live.add(r);
        }
        regionsEvicted.addAndGet(drop);
        return dropped;
    }

    /** Regions currently installed. */
    public int liveRegions() {
        synchronized (live) {
            return live.size();
        }
    }

    /** The regions currently installed (tests). */
    List<Region> regions() {
        synchronized (live) {
            return new ArrayList<>(live);
        }
    }

    /** Forgets every region (all decoded code is being dropped). */
    void clear() {
        synchronized (live) {
            live.clear();
        }
        queue.clear();
    }

    public long regionsCompiled() {
        return regionsCompiled.get();
    }

    public long regionsEvicted() {
        return regionsEvicted.get();
    }

    public long regionsRejected() {
        return regionsRejected.get();
    }

    /** JVM bytecode bytes generated for the live and past regions. */
    public long bytecodeBytes() {
        return bytecodeBytes.get();
    }

    public long guestInstructionsCompiled() {
        return guestInsnsCompiled.get();
    }

    public JitConfig config() {
        return config;
    }
}
