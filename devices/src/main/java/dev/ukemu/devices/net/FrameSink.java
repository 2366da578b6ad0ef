package dev.ukemu.devices.net;

import java.nio.ByteBuffer;

/**
 * Where Ethernet frames go: a NIC hands frames the guest sent to its backend, and a backend
 * hands frames for the guest to the NIC. {@link #offer} may refuse a frame when the receiver has
 * no room (the guest's receive ring is full); the sender then keeps it and waits for
 * {@link #whenWritable}, so no frame of a TCP stream is ever dropped for lack of buffers.
 */
public interface FrameSink {
    /**
     * Takes one complete Ethernet frame (destination MAC first, no FCS) from {@code frame}'s
     * position to its limit; returns false, consuming nothing, if there is no room now.
     */
    boolean offer(ByteBuffer frame);

    /** Runs {@code action} once, as soon as {@link #offer} may succeed again (possibly at once). */
    void whenWritable(Runnable action);
}
