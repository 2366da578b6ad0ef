package dev.ukemu.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ukemu.core.memory.GuestMemory;
import dev.ukemu.devices.net.FrameSink;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Random descriptor chains (addresses in and out of RAM, in the VGA and BIOS holes and past the
 * end, random lengths, flags and next pointers, loops, indirect tables of garbage), random
 * available indices, random register writes and random frames from the backend, against one
 * virtio-net card. The device may refuse, drop or need a reset; the host must never throw, and
 * nothing outside guest RAM may change. {@code -Dukemu.fuzz.chains=1000000} runs the full count;
 * {@code -Dukemu.fuzz.seed=N} reproduces a run.
 */
class VirtioFuzzTest {
    static final int CHAINS = Integer.getInteger("ukemu.fuzz.chains", 100_000);
    static final long SEED = Long.getLong("ukemu.fuzz.seed", 0x5EEDL);
    /** Not RAM: the VGA window, and the BIOS area (0xC0000-0xDFFFF between them is RAM on a PC). */
    static final long HOLE = 0xA0000, HOLE_END = 0x100000, OPTION_ROM = 0xC0000, BIOS = 0xE0000;

    private long badWrites;
    private long writes;

    @Test
    void randomChainsAndFramesNeverHurtTheHost() {
        SplittableRandom rnd = new SplittableRandom(SEED);
        NetRig rig = new NetRig(VirtioNet.parseMac(VirtioNet.DEFAULT_MAC), (pa, len) -> {
            writes++;
            boolean vga = pa < OPTION_ROM && pa + len > HOLE;
            boolean bios = pa < HOLE_END && pa + len > BIOS;
            if (!(pa >= 0 && len >= 0 && pa + len <= 16L << 20) || vga || bios) {
                badWrites++;
            }
        });
        try (rig) {
            MemorySegment seg = rig.mem.segment();
            seg.asSlice(HOLE, HOLE_END - HOLE).fill((byte) 0xA5);
            long[] sent = {0};
            boolean[] refuse = {false};
            List<Runnable> waiting = new ArrayList<>();
            rig.net.setBackend(new FrameSink() {
                @Override
                public boolean offer(ByteBuffer frame) {
                    if (refuse[0]) {
                        return false;
                    }
                    assertTrue(frame.remaining() <= VirtioNet.MAX_FRAME);
                    frame.position(frame.limit());
                    sent[0]++;
                    return true;
                }

                @Override
                public void whenWritable(Runnable action) {
                    waiting.add(action);
                }
            });
            List<Runnable> rxWaiting = new ArrayList<>();
            TestRing[] rings = bringUp(rig, rnd);
            long chains = 0, frames = 0, resets = 0, accepted = 0;
            while (chains + frames < CHAINS) {
                int what = rnd.nextInt(100);
                if (what < 45) {
                    int q = rnd.nextInt(2);
                    chains += rnd.nextInt(4) == 0 ? randomChains(rig, rnd, rings[q]) : goodChains(rig, rnd, rings[q], q == 0);
                    rig.notifyLegacy(rnd.nextInt(8) == 0 ? rnd.nextInt(3) : q);
                } else if (what < 80) {
                    byte[] f = new byte[rnd.nextInt(10) == 0 ? rnd.nextInt(70_000) : rnd.nextInt(1600)];
                    rnd.nextBytes(f);
                    if (rig.net.toGuest().offer(ByteBuffer.wrap(f))) {
                        accepted++;
                    } else if (rnd.nextBoolean()) {
                        rig.net.toGuest().whenWritable(() -> rxWaiting.add(() -> { }));
                    }
                    frames++;
                } else if (what < 85) {
                    refuse[0] = !refuse[0];
                    if (!refuse[0]) {
                        List<Runnable> run = new ArrayList<>(waiting);
                        waiting.clear();
                        run.forEach(Runnable::run);
                    }
                } else if (what < 92) {
                    scribble(rig, rnd, rings);
                } else if (what < 96) {
                    randomRegisterWrite(rig, rnd);
                } else if ((rig.pci.status() & VirtioPci.STATUS_NEEDS_RESET) != 0 || rnd.nextInt(4) == 0) {
                    rings = bringUp(rig, rnd);
                    resets++;
                }
                if ((rig.pci.status() & VirtioPci.STATUS_NEEDS_RESET) != 0 && rnd.nextInt(3) == 0) {
                    rings = bringUp(rig, rnd);
                    resets++;
                }
                if (rnd.nextInt(4) == 0) {
                    rig.in(VirtioPci.ISR_STATUS, 1);
                }
            }
            for (long a = HOLE; a < HOLE_END; a += 8) {
                if (a < OPTION_ROM || a >= BIOS) {
                    assertEquals(0xA5A5A5A5A5A5A5A5L, seg.get(GuestMemory.LONG, a), "the VGA/BIOS hole was written");
                }
            }
            assertEquals(0, badWrites, "DMA stores outside guest RAM");
            System.out.printf("virtio fuzz: %d chains, %d frames offered (%d taken), %d frames sent, %d resets, "
                    + "%d DMA stores, %d protocol errors caught%n", chains, frames, accepted, sent[0], resets, writes,
                    rig.errors.size());
        }
    }

    private static final long[] FEATURE_SETS = {
        1L << VirtioNet.F_MAC,
        1L << VirtioNet.F_MAC | 1L << VirtioNet.F_MRG_RXBUF,
        1L << VirtioNet.F_MAC | 1L << VirtioPci.F_EVENT_IDX | 1L << VirtioPci.F_INDIRECT_DESC,
        1L << VirtioNet.F_MRG_RXBUF | 1L << VirtioPci.F_EVENT_IDX | 1L << VirtioPci.F_INDIRECT_DESC,
    };

    private static TestRing[] bringUp(NetRig rig, SplittableRandom rnd) {
        long f = FEATURE_SETS[rnd.nextInt(FEATURE_SETS.length)];
        if (rnd.nextBoolean()) {
            return rig.legacyUp(f);
        }
        return rig.modernUp(f | 1L << VirtioPci.F_VERSION_1, 1 << (1 + rnd.nextInt(8)));
    }

    /** An address that is sometimes fine, sometimes in a hole, past RAM or absurd. */
    private static long address(SplittableRandom rnd) {
        return switch (rnd.nextInt(10)) {
            case 0 -> HOLE + rnd.nextLong(HOLE_END - HOLE);
            case 1 -> (16L << 20) - rnd.nextInt(4096);
            case 2 -> rnd.nextLong();
            case 3 -> 0xFEC00000L + rnd.nextInt(0x1000);
            case 4 -> rnd.nextLong(1L << 40);
            default -> NetRig.BUFFERS + rnd.nextInt(8 << 20);
        };
    }

    private static long length(SplittableRandom rnd) {
        return switch (rnd.nextInt(10)) {
            case 0 -> 0;
            case 1 -> rnd.nextLong(1L << 32);
            case 2 -> 0xFFFFFFFFL;
            case 3 -> 16L * (1 + rnd.nextInt(20)); // plausible indirect tables
            default -> 1 + rnd.nextInt(2048);
        };
    }

    /** Well-formed chains of 1-4 buffers, sometimes through an indirect table; returns how many. */
    private static int goodChains(NetRig rig, SplittableRandom rnd, TestRing ring, boolean receive) {
        int n = 1 + rnd.nextInt(4);
        for (int k = 0; k < n; k++) {
            TestRing.Seg[] segs = new TestRing.Seg[1 + rnd.nextInt(4)];
            for (int i = 0; i < segs.length; i++) {
                long addr = NetRig.BUFFERS + rnd.nextInt(8 << 20);
                int len = 1 + rnd.nextInt(rnd.nextBoolean() ? 64 : 2048);
                segs[i] = receive ? TestRing.in(addr, len) : TestRing.out(addr, len);
            }
            if (rnd.nextInt(4) == 0) {
                ring.addIndirect(NetRig.TABLES + 0x1000L * rnd.nextInt(16), segs);
            } else {
                ring.add(segs);
            }
        }
        return n;
    }

    /** Writes random descriptors and makes a few heads available; returns how many. */
    private static int randomChains(NetRig rig, SplittableRandom rnd, TestRing ring) {
        int size = ring.size;
        int n = 1 + rnd.nextInt(4);
        for (int k = 0; k < n * 3; k++) {
            int flags = rnd.nextInt(8) == 0 ? rnd.nextInt(0x10000) : rnd.nextInt(8);
            int next = rnd.nextInt(10) == 0 ? rnd.nextInt(0x10000) : rnd.nextInt(size);
            ring.writeDesc(rnd.nextInt(size), address(rnd), length(rnd), flags, next);
        }
        if (rnd.nextInt(5) == 0) {
            // A table of garbage descriptors for INDIRECT heads to point at.
            long table = NetRig.TABLES + 16L * rnd.nextInt(64);
            for (int k = 0; k < 16; k++) {
                long d = table + 16L * k;
                rig.mem.writeLong(d, address(rnd));
                rig.mem.writeInt(d + 8, (int) length(rnd));
                rig.mem.writeShort(d + 12, rnd.nextInt(8));
                rig.mem.writeShort(d + 14, rnd.nextInt(20));
            }
            ring.writeDesc(rnd.nextInt(size), table, 16L * (1 + rnd.nextInt(16)), Virtqueue.DESC_F_INDIRECT, 0);
        }
        for (int k = 0; k < n; k++) {
            ring.publishHead(rnd.nextInt(20) == 0 ? rnd.nextInt(0x10000) : rnd.nextInt(size));
        }
        if (rnd.nextInt(50) == 0) {
            rig.mem.writeShort(ring.avail + 2, rnd.nextInt(0x10000)); // run the index anywhere
        }
        return n;
    }

    private static void scribble(NetRig rig, SplittableRandom rnd, TestRing[] rings) {
        TestRing r = rings[rnd.nextInt(2)];
        switch (rnd.nextInt(4)) {
            case 0 -> r.setAvailFlags(rnd.nextInt(4));
            case 1 -> r.setUsedEvent(rnd.nextInt(0x10000));
            case 2 -> rig.mem.writeShort(r.used + 2, rnd.nextInt(0x10000)); // a driver trampling the used index
            default -> rig.mem.writeShort(r.avail + 4 + 2L * rnd.nextInt(r.size), rnd.nextInt(0x10000));
        }
    }

    private static final int[] LEGACY_REGS = {VirtioPci.GUEST_FEATURES, VirtioPci.QUEUE_PFN, VirtioPci.QUEUE_SEL,
        VirtioPci.QUEUE_NOTIFY, VirtioPci.DEVICE_STATUS, VirtioPci.LEGACY_CONFIG};
    private static final int[] COMMON_REGS = {VirtioPci.DRIVER_FEATURE, VirtioPci.COMMON_QUEUE_SELECT,
        VirtioPci.QUEUE_SIZE, VirtioPci.QUEUE_ENABLE, VirtioPci.QUEUE_DESC, VirtioPci.QUEUE_DRIVER,
        VirtioPci.QUEUE_DEVICE, VirtioPci.QUEUE_DESC + 4, VirtioPci.COMMON_STATUS};

    private static void randomRegisterWrite(NetRig rig, SplittableRandom rnd) {
        if (rnd.nextBoolean()) {
            int reg = LEGACY_REGS[rnd.nextInt(LEGACY_REGS.length)];
            long v = reg == VirtioPci.QUEUE_PFN ? address(rnd) >>> 12 : rnd.nextInt();
            rig.out(reg, reg == VirtioPci.DEVICE_STATUS ? 1 : reg == VirtioPci.GUEST_FEATURES || reg == VirtioPci.QUEUE_PFN ? 4 : 2, v);
        } else {
            int reg = COMMON_REGS[rnd.nextInt(COMMON_REGS.length)];
            long v = reg >= VirtioPci.QUEUE_DESC ? address(rnd) : rnd.nextInt();
            rig.common(reg, reg == VirtioPci.COMMON_STATUS ? 1 : reg == VirtioPci.QUEUE_SIZE
                    || reg == VirtioPci.COMMON_QUEUE_SELECT || reg == VirtioPci.QUEUE_ENABLE ? 2 : 4, v);
        }
        rig.mmio.write(rig.modernBase + VirtioPci.NOTIFY_CFG + 4L * rnd.nextInt(4), 2, 0);
    }
}
