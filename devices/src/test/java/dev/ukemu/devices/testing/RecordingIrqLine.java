package dev.ukemu.devices.testing;

import dev.ukemu.core.irq.IrqLine;

import java.util.ArrayList;
import java.util.List;

/** An interrupt line that remembers every level it was driven to. */
public final class RecordingIrqLine implements IrqLine {
    private final List<Boolean> levels = new ArrayList<>();
    private boolean level;

    @Override
    public synchronized void setLevel(boolean high) {
        levels.add(high);
        level = high;
    }

    public synchronized boolean level() {
        return level;
    }

    /** Every setLevel call so far, oldest first. */
    public synchronized List<Boolean> history() {
        return List.copyOf(levels);
    }

    /** Low-to-high transitions seen, counting from an initial low level. */
    public synchronized int risingEdges() {
        int edges = 0;
        boolean previous = false;
        for (boolean l : levels) {
            if (l && !previous) {
                edges++;
            }
            previous = l;
        }
        return edges;
    }

    public synchronized void clearHistory() {
        levels.clear();
    }
}
