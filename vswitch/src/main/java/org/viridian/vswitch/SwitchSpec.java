package org.viridian.vswitch;

import java.util.regex.Pattern;

/**
 * A virtual switch as its owner configures it: a name, a type, the host's address on it (internal and NAT switches)
 * and the host interface it is bridged to (external switches).
 */
public record SwitchSpec(String name, SwitchType type, Ipv4Network hostAddress, String externalInterface) {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,30}");
    /** The switch `viridian run --nic nat` and a VM's default adapter use; made on first use. */
    public static final String DEFAULT_NAT = "nat";

    public static final Ipv4Network DEFAULT_NAT_ADDRESS = Ipv4Network.parse("10.222.0.1/24");

    public SwitchSpec {
        if (name == null || !NAME.matcher(name).matches())
            throw new IllegalArgumentException("switch name '" + name
                    + "' must be 1-31 characters of a-z, 0-9 and '-', starting with a letter or digit");
        if (type == null) throw new IllegalArgumentException("switch " + name + ": no type");
        if (type.hostAttached()) {
            if (hostAddress == null)
                throw new IllegalArgumentException(
                        "switch " + name + ": a " + type.name().toLowerCase() + " switch needs a host address");
            if (hostAddress.prefix() > 30
                    || hostAddress.address() == hostAddress.network().address())
                throw new IllegalArgumentException("switch " + name + ": host address " + hostAddress
                        + " must be a host of a network of at least 4 addresses");
        } else if (hostAddress != null) {
            throw new IllegalArgumentException(
                    "switch " + name + ": a " + type.name().toLowerCase() + " switch has no host address");
        }
        if ((type == SwitchType.EXTERNAL) != (externalInterface != null))
            throw new IllegalArgumentException(
                    "switch " + name + ": an external interface is needed by, and only by," + " an external switch");
    }

    public static SwitchSpec privateSwitch(String name) {
        return new SwitchSpec(name, SwitchType.PRIVATE, null, null);
    }

    public static SwitchSpec internal(String name, Ipv4Network hostAddress) {
        return new SwitchSpec(name, SwitchType.INTERNAL, hostAddress, null);
    }

    public static SwitchSpec nat(String name, Ipv4Network hostAddress) {
        return new SwitchSpec(name, SwitchType.NAT, hostAddress, null);
    }

    public static SwitchSpec external(String name, String hostInterface) {
        return new SwitchSpec(name, SwitchType.EXTERNAL, null, hostInterface);
    }

    public static SwitchSpec defaultNat() {
        return nat(DEFAULT_NAT, DEFAULT_NAT_ADDRESS);
    }
}
