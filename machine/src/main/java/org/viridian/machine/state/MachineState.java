package org.viridian.machine.state;

import org.viridian.devices.legacy.AcpiPmBlock;
import org.viridian.devices.legacy.CmosRtc;
import org.viridian.devices.legacy.Uart16550;
import org.viridian.hv.Hypervisor;
import org.viridian.partition.state.PartitionSnapshot;
import org.viridian.vmbus.server.VmbusState;

/**
 * A VM's state apart from its memory: processors and in-kernel devices, the hypervisor interface and VMBus (null for
 * a VM without them), and the legacy devices.
 */
public record MachineState(
        StateHeader header,
        PartitionSnapshot partition,
        Hypervisor.State hypervisor,
        VmbusState vmbus,
        Devices devices) {

    /** The emulated PC devices whose registers a guest relies on across a save. */
    public record Devices(Uart16550.State uart, CmosRtc.State cmos, AcpiPmBlock.State pm) {}
}
