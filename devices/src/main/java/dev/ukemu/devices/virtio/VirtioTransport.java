package dev.ukemu.devices.virtio;

/** What a {@link VirtioDevice} may ask of its transport. */
public interface VirtioTransport {
    /** The lock that guards queues, status and interrupt state. */
    Object lock();

    /** Guest RAM for DMA. */
    GuestRam ram();

    /** Queue {@code n}. */
    Virtqueue queue(int n);

    /** Features the driver accepted. */
    long negotiatedFeatures();

    /** True while the driver has set DRIVER_OK, the device is not broken and may master the bus. */
    boolean live();

    /** Raises the queue interrupt if the driver wants one for {@code q} (call with the lock held). */
    void interruptIfNeeded(Virtqueue q);

    /** The driver broke the protocol: set DEVICE_NEEDS_RESET and tell it (call with the lock held). */
    void fail(VirtioError e);

    /** The configuration space changed: bump the generation and interrupt. */
    void configChanged();

    /** Increments on every device reset, so work started before one can be recognised. */
    int resetCount();
}
