package org.viridian.management.config;

/**
 * A synthetic network adapter: its MAC address, the virtual switch it connects to (null: not connected) and its
 * port's policies, after Hyper-V's adapter settings: access VLAN ({@code vlanId}, null: untagged), MAC address
 * spoofing guard, DHCP guard, router guard and maximum bandwidth ({@code maxBandwidth} in bits per second, 0: none).
 * Absent policies are off.
 */
public record NetworkAdapter(
        String name,
        String switchName,
        String mac,
        Integer vlanId,
        Boolean macSpoofGuard,
        Boolean dhcpGuard,
        Boolean routerGuard,
        Long maxBandwidth) {
    public NetworkAdapter {
        macSpoofGuard = macSpoofGuard != null && macSpoofGuard;
        dhcpGuard = dhcpGuard != null && dhcpGuard;
        routerGuard = routerGuard != null && routerGuard;
        maxBandwidth = maxBandwidth == null ? 0L : maxBandwidth;
    }

    public NetworkAdapter(String name, String switchName, String mac) {
        this(name, switchName, mac, null, false, false, false, 0L);
    }
}
