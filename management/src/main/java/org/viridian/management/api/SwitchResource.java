package org.viridian.management.api;

import java.time.Instant;
import java.util.List;
import org.viridian.management.auth.Principal;
import org.viridian.management.config.SwitchConfig;
import org.viridian.management.service.SwitchService;

/**
 * A virtual switch as the API shows it: its definition, how the host holds it ({@code hostState} "applied", "missing",
 * "failed" or "unavailable", with the reason), its ports (the adapters of VMs the caller may see) and, for NAT
 * switches, the DHCP leases (administrators only: they name other VMs' addresses).
 */
public record SwitchResource(
        String name,
        String type,
        String hostAddress,
        String externalInterface,
        String notes,
        Instant created,
        Instant modified,
        String hostState,
        String hostStateReason,
        String bridge,
        List<Port> ports,
        List<SwitchService.Lease> leases,
        String href) {
    /** A VM adapter on the switch. */
    public record Port(
            String vm,
            String vmId,
            String vmState,
            String adapter,
            String mac,
            Integer vlanId,
            boolean macSpoofGuard,
            boolean dhcpGuard,
            boolean routerGuard,
            long maxBandwidth) {}

    static SwitchResource of(SwitchService.SwitchView v, SwitchService switches, Principal p) {
        SwitchConfig c = v.config();
        List<Port> ports = switches.ports(c.name()).stream()
                .filter(x -> p.isAdmin() || p.mayAccess(vmOf(switches, x)))
                .map(x -> new Port(
                        x.vmName(),
                        x.vmId(),
                        x.vmState().wire(),
                        x.adapter().name(),
                        x.adapter().mac(),
                        x.adapter().vlanId(),
                        x.adapter().macSpoofGuard(),
                        x.adapter().dhcpGuard(),
                        x.adapter().routerGuard(),
                        x.adapter().maxBandwidth()))
                .toList();
        return new SwitchResource(
                c.name(),
                c.type(),
                c.hostAddress(),
                c.externalInterface(),
                c.notes(),
                c.created(),
                c.modified(),
                v.hostState(),
                v.hostStateReason(),
                v.bridge(),
                ports,
                p.isAdmin() ? switches.leases(c.name()) : List.of(),
                ApiServer.BASE + "/switches/" + c.name());
    }

    private static org.viridian.management.config.VmConfig vmOf(SwitchService s, SwitchService.Port x) {
        return s.vm(x.vmId());
    }
}
