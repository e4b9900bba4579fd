package org.viridian.machine.acpi;

/**
 * A piece of AML: an object, a named object, a statement. Terms are immutable values built with {@link Aml}, so
 * code elsewhere (VMBus, storage controllers) can construct a device and hand it to {@link AcpiConfig}.
 */
@FunctionalInterface
public interface AmlTerm {
    void emit(ByteSink out);

    default byte[] toBytes() {
        ByteSink out = new ByteSink();
        emit(out);
        return out.toByteArray();
    }
}
