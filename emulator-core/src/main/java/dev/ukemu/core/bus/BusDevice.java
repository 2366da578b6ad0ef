package dev.ukemu.core.bus;

/**
 * Anything that sits on the port-I/O or MMIO bus. A device sees offsets into its own range, never
 * absolute addresses, and knows nothing of the machine around it.
 */
public interface BusDevice {
    /** Reads {@code size} bytes (1, 2, 4 or 8) at {@code offset}; the result is zero-extended. */
    long read(long offset, int size);

    /** Writes the low {@code size} bytes of {@code value} at {@code offset}. */
    void write(long offset, int size, long value);
}
