package dev.ukemu.core.cpu;

import java.util.ArrayList;
import java.util.List;

/**
 * Guest code under construction for {@link JitDifferentialTest}: a sequence of encoded
 * instructions, each with its assembly text, some with a 32-bit field filled in once the layout
 * is known (a branch or call to a label, a RIP-relative operand, the absolute address of a
 * label). Sequences nest freely before layout: an instruction's length never depends on where it
 * ends up, so local branches over a finished sequence are encoded directly.
 */
final class FuzzCode {
    /** A position in the code; bound by a zero-length marker item. */
    static final class Label {
        final String name;
        int offset = -1;

        Label(String name) {
            this.name = name;
        }
    }

    enum Fix { NONE, REL_LABEL, REL_ABS, ABS_LABEL }

    /** One instruction, or a marker (no bytes) that binds a label. */
    static final class Item {
        final byte[] bytes;
        final String text;
        Fix fix = Fix.NONE;
        /** Offset of the 32-bit field in {@link #bytes}. */
        int fixPos;
        Label target;
        /** Added to the label's address (a field inside the labelled instruction). */
        int targetDelta;
        long absolute;
        Label binds;
        /** The program means this instruction to fault (now and then, or always). */
        boolean mayFault;
        /** Set by {@link Seq#layout}. */
        int offset;

        Item(byte[] bytes, String text) {
            this.bytes = bytes;
            this.text = text;
        }
    }

    /** A sequence of items; {@link #dyn} estimates the instructions one pass through it executes. */
    static final class Seq {
        final List<Item> items = new ArrayList<>();
        int length;
        long dyn;
        /** Some instruction in here stores into the code. */
        boolean smc;

        Seq add(byte[] bytes, String text) {
            return add(new Item(bytes, text));
        }

        Seq add(Item i) {
            items.add(i);
            length += i.bytes.length;
            if (i.bytes.length > 0) {
                dyn++;
            }
            return this;
        }

        /** Adds an instruction whose 32-bit field at {@code pos} is {@code label - end of instruction}. */
        Seq rel(byte[] bytes, int pos, Label label, String text) {
            Item i = new Item(bytes, text);
            i.fix = Fix.REL_LABEL;
            i.fixPos = pos;
            i.target = label;
            return add(i);
        }

        /** Adds an instruction with a RIP-relative field at {@code pos} reaching {@code address}. */
        Seq ripTo(byte[] bytes, int pos, long address, String text) {
            Item i = new Item(bytes, text);
            i.fix = Fix.REL_ABS;
            i.fixPos = pos;
            i.absolute = address;
            return add(i);
        }

        /** Adds an instruction whose 32-bit field at {@code pos} is the guest address of {@code label}. */
        Seq absOf(byte[] bytes, int pos, Label label, String text) {
            Item i = new Item(bytes, text);
            i.fix = Fix.ABS_LABEL;
            i.fixPos = pos;
            i.target = label;
            return add(i);
        }

        Seq bind(Label l) {
            Item i = new Item(new byte[0], l.name + ":");
            i.binds = l;
            return add(i);
        }

        /** Appends {@code s} (its items move here). */
        Seq append(Seq s) {
            items.addAll(s.items);
            length += s.length;
            dyn += s.dyn;
            smc |= s.smc;
            return this;
        }

        Item last() {
            return items.get(items.size() - 1);
        }

        /** Assigns offsets from {@code start}, binds the labels and fills in the fields. */
        byte[] layout(long codeBase) {
            int off = 0;
            for (Item i : items) {
                i.offset = off;
                if (i.binds != null) {
                    i.binds.offset = off;
                }
                off += i.bytes.length;
            }
            byte[] code = new byte[off];
            for (Item i : items) {
                long v = switch (i.fix) {
                    case NONE -> 0;
                    case REL_LABEL -> bound(i.target) + i.targetDelta - (i.offset + i.bytes.length);
                    case REL_ABS -> i.absolute - (codeBase + i.offset + i.bytes.length);
                    case ABS_LABEL -> codeBase + bound(i.target) + i.targetDelta;
                };
                if (i.fix != Fix.NONE) {
                    if (v != (int) v) {
                        throw new IllegalStateException("field out of range in " + i.text);
                    }
                    for (int k = 0; k < 4; k++) {
                        i.bytes[i.fixPos + k] = (byte) (v >>> (8 * k));
                    }
                }
                System.arraycopy(i.bytes, 0, code, i.offset, i.bytes.length);
            }
            return code;
        }

        private static int bound(Label l) {
            if (l.offset < 0) {
                throw new IllegalStateException("label " + l.name + " never bound");
            }
            return l.offset;
        }
    }

    private FuzzCode() {
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            if (!sb.isEmpty()) {
                sb.append(' ');
            }
            sb.append(String.format("%02x", x & 0xFF));
        }
        return sb.toString();
    }
}
