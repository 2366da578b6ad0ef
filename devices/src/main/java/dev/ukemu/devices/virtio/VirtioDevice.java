package dev.ukemu.devices.virtio;

/**
 * The device-type half of a virtio device (net, block, ...): its feature bits, its configuration
 * space and what it does when a queue is notified. The transport ({@link VirtioPci}) owns the
 * status, the negotiation, the queues and the interrupt, and calls these methods with its lock
 * held unless a method says otherwise.
 */
public interface VirtioDevice {
    /** Virtio device ID (section 5): 1 for a network card. */
    int deviceType();

    /** PCI class code ({@code 0xCCSSPP}) of the function. */
    int pciClass();

    /** Device-specific feature bits offered (the transport adds the ring and version bits). */
    long deviceFeatures();

    /** Sizes of the queues, in queue order. */
    int[] queueSizes();

    /** Bytes of device configuration space. */
    int configSize();

    /** Reads {@code size} bytes of configuration space at {@code offset} (inside it). */
    long readConfig(int offset, int size);

    /** Writes configuration space (read-only fields ignore it). */
    void writeConfig(int offset, int size, long value);

    /** Called once, before anything else, with the transport's services. */
    void attach(VirtioTransport transport);

    /** The driver notified queue {@code queue}. Called without the transport lock. */
    void queueNotified(int queue);

    /** The driver set DRIVER_OK (or DMA became possible): start work. Called without the lock. */
    void activated();

    /** Device reset (status 0): forget all queue work in progress. */
    void reset();
}
