package org.viridian.vswitch;

/** Hyper-V's virtual switch types, plus its "Default Switch" (NAT with DHCP and DNS for the guests). */
public enum SwitchType {
    /** VMs on it reach each other only. */
    PRIVATE,
    /** VMs and the host (the bridge has a host address), nothing beyond. */
    INTERNAL,
    /** Bridged to a host interface: VMs share its physical network. */
    EXTERNAL,
    /** Internal plus NAT to the outside through the host's routes, and DHCP/DNS (dnsmasq) for the guests. */
    NAT;

    /** Whether the host has an address on the switch. */
    public boolean hostAttached() {
        return this == INTERNAL || this == NAT;
    }
}
