package org.viridian.vswitch;

import java.util.List;
import java.util.regex.Pattern;

/**
 * A VM adapter's port on a switch and its policies, after Hyper-V's port settings: VLAN (access or trunk), MAC
 * address spoofing guard, DHCP guard, router guard, extended port ACLs, maximum bandwidth.
 *
 * @param mac the adapter's MAC address ("00:15:5d:…"): the only source address the spoofing guard lets out
 * @param maxBitsPerSecond 0: no limit; else each direction of the port is held to it
 */
public record PortSpec(
        String mac,
        Vlan vlan,
        boolean macSpoofGuard,
        boolean dhcpGuard,
        boolean routerGuard,
        long maxBitsPerSecond,
        List<PortAcl> acls) {
    private static final Pattern MAC = Pattern.compile("[0-9a-f]{2}(:[0-9a-f]{2}){5}");

    public PortSpec {
        if (mac == null || !MAC.matcher(mac).matches())
            throw new IllegalArgumentException("MAC address '" + mac + "' is not six lower-case hex pairs");
        if ((Integer.parseInt(mac.substring(0, 2), 16) & 1) != 0)
            throw new IllegalArgumentException("MAC address " + mac + " is a multicast address");
        if (vlan == null) vlan = Vlan.UNTAGGED;
        if (maxBitsPerSecond < 0) throw new IllegalArgumentException("maximum bandwidth must not be negative");
        acls = List.copyOf(acls == null ? List.of() : acls);
    }

    public static PortSpec plain(String mac) {
        return new PortSpec(mac, Vlan.UNTAGGED, false, false, false, 0, List.of());
    }

    public PortSpec withVlan(Vlan v) {
        return new PortSpec(mac, v, macSpoofGuard, dhcpGuard, routerGuard, maxBitsPerSecond, acls);
    }

    public PortSpec withMac(String address) {
        return new PortSpec(address, vlan, macSpoofGuard, dhcpGuard, routerGuard, maxBitsPerSecond, acls);
    }

    public PortSpec withDhcpGuard(boolean on) {
        return new PortSpec(mac, vlan, macSpoofGuard, on, routerGuard, maxBitsPerSecond, acls);
    }

    public PortSpec withRouterGuard(boolean on) {
        return new PortSpec(mac, vlan, macSpoofGuard, dhcpGuard, on, maxBitsPerSecond, acls);
    }

    public PortSpec withMacSpoofGuard(boolean on) {
        return new PortSpec(mac, vlan, on, dhcpGuard, routerGuard, maxBitsPerSecond, acls);
    }

    public PortSpec withMaxBitsPerSecond(long bits) {
        return new PortSpec(mac, vlan, macSpoofGuard, dhcpGuard, routerGuard, bits, acls);
    }

    /**
     * VLAN membership: untagged (the switch's default VLAN), access (one VLAN, untagged on the port) or trunk (the
     * listed VLANs tagged, plus {@code access} untagged when not 0).
     */
    public record Vlan(int access, List<Integer> trunk) {
        public static final Vlan UNTAGGED = new Vlan(0, List.of());

        public Vlan {
            trunk = List.copyOf(trunk == null ? List.of() : trunk);
            if (access != 0) check(access);
            trunk.forEach(Vlan::check);
        }

        public static Vlan access(int id) {
            return new Vlan(check(id), List.of());
        }

        private static int check(int id) {
            if (id < 1 || id > 4094) throw new IllegalArgumentException("VLAN " + id + " is outside 1..4094");
            return id;
        }

        public boolean tagged() {
            return access != 0 || !trunk.isEmpty();
        }
    }

    /**
     * An extended port ACL entry: frames to (INBOUND) or from (OUTBOUND) the VM whose other end is in {@code remote}
     * are allowed or denied. Entries apply in order, the first match wins, and what matches none is allowed.
     */
    public record PortAcl(Direction direction, boolean allow, Ipv4Network remote) {
        public enum Direction {
            INBOUND,
            OUTBOUND
        }

        public PortAcl {
            if (direction == null || remote == null)
                throw new IllegalArgumentException("ACL needs a direction and a remote network");
        }
    }
}
