package org.viridian.machine;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.viridian.devices.netvsp.NetVsp;
import org.viridian.devices.netvsp.TapPort;
import org.viridian.machine.VirtualMachine.NetworkAdapterDevice;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.vmbus.server.VmbusServer;
import org.viridian.vswitch.Names;
import org.viridian.vswitch.SwitchHost;

/**
 * A VM's synthetic network adapters, at start and while it runs (Add-, Remove- and Set-VMNetworkAdapter on a running
 * VM): each a NetVSP on VMBus serving a TAP device that is a port of its virtual switch.
 */
final class NetworkAdapters implements AutoCloseable {
    /** {@link Names#tap} numbers a VM's adapters 0..999; the slot also names the adapter's VMBus instance. */
    private static final int SLOTS = 1000;

    private final String vmName;
    private final GuestMemory memory;
    private final VmbusServer vmbus;
    /** Receive queues per adapter (vRSS): one per VP, up to NetVSP's limit; one VP means no sub-channels. */
    private final int queues;

    private final List<NetworkAdapterDevice> adapters = new ArrayList<>();
    /** Slots of removed adapters whose channel the guest has not released yet: their instance id is still its. */
    private final Set<Integer> held = new HashSet<>();

    private SwitchHost switches;

    NetworkAdapters(String vmName, GuestMemory memory, VmbusServer vmbus, int vps) {
        this(vmName, memory, vmbus, vps, null);
    }

    /** {@code switches}: the host's switches (null: the system's, once the first adapter needs them). */
    NetworkAdapters(String vmName, GuestMemory memory, VmbusServer vmbus, int vps, SwitchHost switches) {
        this.vmName = vmName;
        this.memory = memory;
        this.vmbus = vmbus;
        this.queues = Math.min(vps, NetVsp.MAX_QUEUES);
        this.switches = switches;
    }

    /**
     * Plugs an adapter in: a TAP device on the adapter's switch with its port's policies and a NetVSP offered on VMBus
     * (at once to a guest that is connected: its hv_netvsc probes it as a new interface). The TAP is not persistent,
     * so if this process dies the port goes with it.
     */
    synchronized NetworkAdapterDevice add(VmSpec.NetworkAdapter a) throws IOException {
        SwitchHost host = switches();
        int slot = freeSlot();
        // The pid keeps two `viridian run` processes of one VM name apart; the service's VM names are unique.
        String tap = Names.tap(vmName + "/" + ProcessHandle.current().pid(), slot);
        TapPort port = TapPort.open(tap);
        try {
            host.attach(a.switchName(), tap, a.port());
            NetVsp nic = new NetVsp(
                    memory,
                    UUID.nameUUIDFromBytes((vmName + "/nic" + slot).getBytes()),
                    HexFormat.ofDelimiter(":").parseHex(a.port().mac()),
                    port,
                    NetVsp.DEFAULT_MTU,
                    queues);
            int relid = vmbus.addDevice(nic);
            NetworkAdapterDevice d = new NetworkAdapterDevice(a, tap, port, nic, slot, relid);
            adapters.add(d);
            return d;
        } catch (IOException | RuntimeException e) {
            port.close(); // the TAP goes, and the kernel takes it off the bridge with it
            throw e;
        }
    }

    /**
     * Unplugs an adapter: its channel is rescinded (the NetVSP stops touching guest memory at once), its port leaves the
     * switch and its TAP is closed. The future completes when the guest's driver has let go of the channel.
     */
    synchronized CompletableFuture<Void> remove(NetworkAdapterDevice d) {
        if (!adapters.remove(d)) throw new IllegalArgumentException("no such network adapter: " + d.tap());
        CompletableFuture<Void> released = vmbus.removeDevice(d.relid());
        if (!released.isDone()) {
            held.add(d.slot());
            // Async: the release completes on a VP thread inside the VMBus server's lock, which add() takes under ours.
            released.whenCompleteAsync((v, x) -> {
                synchronized (this) {
                    held.remove(d.slot());
                }
            });
        }
        try {
            switches().detach(d.spec().switchName(), d.tap());
        } catch (IOException e) {
            // Without switch tools there is no port to take off; closing the TAP below is what matters.
        }
        d.port().close();
        return released;
    }

    /**
     * Applies changed port settings to a plugged-in adapter: another switch (the port moves; the guest sees no change),
     * VLAN, guards, bandwidth. The MAC address is the adapter's identity to the guest (hv_netvsc reads it once, at
     * probe): as Hyper-V refuses to change a running VM's static MAC, so does this.
     */
    synchronized NetworkAdapterDevice update(NetworkAdapterDevice d, VmSpec.NetworkAdapter to) throws IOException {
        int at = adapters.indexOf(d);
        if (at < 0) throw new IllegalArgumentException("no such network adapter: " + d.tap());
        if (!to.port().mac().equalsIgnoreCase(d.spec().port().mac()))
            throw new IllegalArgumentException("the MAC address of a running VM's network adapter cannot change"
                    + " (Hyper-V refuses it too): stop the VM first, or remove the adapter and add another");
        SwitchHost host = switches();
        if (!to.switchName().equals(d.spec().switchName())) {
            host.detach(d.spec().switchName(), d.tap());
            try {
                host.attach(to.switchName(), d.tap(), to.port());
            } catch (IOException | RuntimeException e) {
                host.attach(d.spec().switchName(), d.tap(), d.spec().port()); // back where it was
                throw e;
            }
        } else {
            host.attach(to.switchName(), d.tap(), to.port()); // attaching again replaces the port's policies
        }
        NetworkAdapterDevice changed = new NetworkAdapterDevice(to, d.tap(), d.port(), d.netVsp(), d.slot(), d.relid());
        adapters.set(at, changed);
        return changed;
    }

    synchronized List<NetworkAdapterDevice> list() {
        return List.copyOf(adapters);
    }

    /** Closes every TAP (their reader threads write into guest memory: stopped before it goes). */
    @Override
    public synchronized void close() {
        for (NetworkAdapterDevice a : adapters) a.port().close();
        adapters.clear();
    }

    private SwitchHost switches() throws IOException {
        if (switches == null) {
            String why = SwitchHost.unavailable().orElse(null);
            if (why != null) throw new IOException("network adapters: " + why);
            switches = SwitchHost.system();
        }
        return switches;
    }

    private int freeSlot() {
        for (int slot = 0; slot < SLOTS; slot++) {
            final int s = slot;
            if (!held.contains(s) && adapters.stream().noneMatch(a -> a.slot() == s)) return s;
        }
        throw new IllegalStateException("this VM has " + SLOTS + " network adapters already");
    }
}
