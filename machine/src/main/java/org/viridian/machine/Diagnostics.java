package org.viridian.machine;

import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import org.viridian.partition.bus.PortIoHandler;

/**
 * The diagnostic devices a VM may carry for tests and benchmarks, off in a normal VM: the hypervisor interface's echo
 * connection ({@code viridian run --hv-echo}), the VMBus echo channel ({@code --vmbus-echo}), hypercalls allowed from
 * CPL3 (benchmark guests run there), host port devices (a benchmark's ping counter) and handlers for HvSignalEvent on
 * given connection ids (a benchmark counting signals), and leaving out the SMP hypercalls
 * ({@code --hv-no-smp-hypercalls}, to measure what they save), fewer synthetic timers (below), no signal doorbells
 * ({@code --hv-no-doorbells}), and QEMU's Hyper-V test device at port 0x3000
 * ({@code --hv-testdev}, for kvm-unit-tests). They are part of the spec so {@link VirtualMachine#create} is
 * the one place a VM is put together.
 */
public record Diagnostics(
        boolean hvEcho,
        boolean vmbusEcho,
        boolean userHypercalls,
        List<PortDevice> ports,
        Map<Integer, IntConsumer> signalHandlers,
        boolean noSmpHypercalls,
        boolean hvTestDevice,
        TimerOffer timers,
        boolean noDoorbells) {
    public static final Diagnostics NONE =
            new Diagnostics(false, false, false, List.of(), Map.of(), false, false, TimerOffer.DIRECT, false);

    /**
     * Which synthetic timers the guest is offered: both modes (the default, as Hyper-V), message mode only
     * ({@code --hv-no-stimer-direct}), or none ({@code --hv-no-stimer}: the guest runs on its LAPIC timer, which KVM
     * keeps in the kernel) — to compare the timer paths, as QEMU's hv-stimer and hv-stimer-direct flags do.
     */
    public enum TimerOffer {
        DIRECT,
        MESSAGE,
        NONE
    }

    /** A host device on ports [first, first + count). */
    public record PortDevice(int first, int count, PortIoHandler handler) {}

    public Diagnostics {
        ports = List.copyOf(ports);
        signalHandlers = Map.copyOf(signalHandlers);
    }

    /** Whether any of them needs the Hyper-V interface. */
    boolean needHyperV() {
        return hvEcho || vmbusEcho || userHypercalls || !signalHandlers.isEmpty() || hvTestDevice;
    }

    public Diagnostics withHvEcho() {
        return new Diagnostics(
                true,
                vmbusEcho,
                userHypercalls,
                ports,
                signalHandlers,
                noSmpHypercalls,
                hvTestDevice,
                timers,
                noDoorbells);
    }

    public Diagnostics withVmbusEcho() {
        return new Diagnostics(
                hvEcho,
                true,
                userHypercalls,
                ports,
                signalHandlers,
                noSmpHypercalls,
                hvTestDevice,
                timers,
                noDoorbells);
    }

    public Diagnostics withUserHypercalls() {
        return new Diagnostics(
                hvEcho, vmbusEcho, true, ports, signalHandlers, noSmpHypercalls, hvTestDevice, timers, noDoorbells);
    }

    public Diagnostics withPort(int first, int count, PortIoHandler handler) {
        var list = new java.util.ArrayList<>(ports);
        list.add(new PortDevice(first, count, handler));
        return new Diagnostics(
                hvEcho,
                vmbusEcho,
                userHypercalls,
                list,
                signalHandlers,
                noSmpHypercalls,
                hvTestDevice,
                timers,
                noDoorbells);
    }

    public Diagnostics withoutSmpHypercalls() {
        return new Diagnostics(
                hvEcho, vmbusEcho, userHypercalls, ports, signalHandlers, true, hvTestDevice, timers, noDoorbells);
    }

    /** The Hyper-V test device QEMU's hyperv-testdev is, for kvm-unit-tests (see HvTestDevice). */
    public Diagnostics withHvTestDevice() {
        return new Diagnostics(
                hvEcho, vmbusEcho, userHypercalls, ports, signalHandlers, noSmpHypercalls, true, timers, noDoorbells);
    }

    public Diagnostics withTimers(TimerOffer offer) {
        return new Diagnostics(
                hvEcho,
                vmbusEcho,
                userHypercalls,
                ports,
                signalHandlers,
                noSmpHypercalls,
                hvTestDevice,
                offer,
                noDoorbells);
    }

    /** Every fast HvSignalEvent exits to user space, as before the doorbells (to measure what they save). */
    public Diagnostics withoutDoorbells() {
        return new Diagnostics(
                hvEcho, vmbusEcho, userHypercalls, ports, signalHandlers, noSmpHypercalls, hvTestDevice, timers, true);
    }

    public Diagnostics withSignalHandler(int connectionId, IntConsumer onSignal) {
        var map = new java.util.HashMap<>(signalHandlers);
        map.put(connectionId, onSignal);
        return new Diagnostics(
                hvEcho, vmbusEcho, userHypercalls, ports, map, noSmpHypercalls, hvTestDevice, timers, noDoorbells);
    }
}
