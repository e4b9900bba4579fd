package org.viridian.devices.legacy;

/** An ISA interrupt line as a device drives it (level: true = asserted). */
@FunctionalInterface
public interface IrqLine {
    IrqLine NONE = level -> {};

    void set(boolean level);
}
