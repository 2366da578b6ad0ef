package dev.ukemu.devices.testing;

import dev.ukemu.core.machine.SystemControl;

import java.util.ArrayList;
import java.util.List;

/** A machine that records what devices asked of it as readable event strings. */
public final class RecordingSystemControl implements SystemControl {
    private final List<String> events = new ArrayList<>();

    @Override
    public synchronized void powerOff() {
        events.add("powerOff");
    }

    @Override
    public synchronized void debugExit(int value) {
        events.add("debugExit " + value);
    }

    @Override
    public synchronized void reset(String why) {
        events.add("reset " + why);
    }

    @Override
    public synchronized void panic(String why) {
        events.add("panic " + why);
    }

    public synchronized List<String> events() {
        return List.copyOf(events);
    }
}
