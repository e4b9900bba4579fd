package org.viridian.vswitch;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Host names of what a switch is made of. Linux interface names hold 15 characters, so long names are shortened with
 * a hash; the switch's own name is kept in the bridge's alias so the host can be read back (reconcile).
 */
public final class Names {
    /** Every bridge a switch owns starts with this; nothing else of the host may. */
    public static final String BRIDGE_PREFIX = "vsw-";
    /** Every VM port (TAP device) starts with this. */
    public static final String TAP_PREFIX = "vtap";
    /** nftables tables of a switch: "viridian-NAME" (bridge family: port policies) and "viridian-NAME" (ip: NAT). */
    public static final String TABLE_PREFIX = "viridian-";
    /** The alias of a switch's bridge: this prefix and the switch's name. */
    public static final String ALIAS_PREFIX = "viridian-switch:";

    private Names() {}

    public static String bridge(String switchName) {
        return switchName.length() <= 11
                ? BRIDGE_PREFIX + switchName
                : BRIDGE_PREFIX + switchName.substring(0, 4) + "-" + hash(switchName, 6);
    }

    /** The TAP device of a VM's adapter number {@code index} (0..999). */
    public static String tap(String vmName, int index) {
        if (index < 0 || index > 999) throw new IllegalArgumentException("adapter index " + index);
        return TAP_PREFIX + hash(vmName, 8) + index;
    }

    static String table(String switchName) {
        return TABLE_PREFIX + switchName;
    }

    /** A per-port nftables chain name: the port's interface name is unique on the host. */
    static String portChain(String direction, String ifname) {
        return direction + "-" + ifname;
    }

    private static String hash(String s, int hexDigits) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d).substring(0, hexDigits);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
