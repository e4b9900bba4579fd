package org.viridian.app.run;

import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.viridian.machine.VmSpec;
import org.viridian.vswitch.Ipv4Network;
import org.viridian.vswitch.PortSpec;
import org.viridian.vswitch.SwitchSpec;

/**
 * {@code viridian run --nic SWITCH[,mac=M][,vlan=N][,spoof-guard][,dhcp-guard][,router-guard][,max-bandwidth=R]}.
 * SWITCH is {@code nat} (the default NAT switch, made on first use), {@code private:NAME} or {@code internal:NAME} (a
 * switch of that type, made on demand, so two `viridian run` processes naming it share one segment) or the name of a
 * switch that exists. Without mac=, the adapter gets a random address in Hyper-V's range (00:15:5d:…).
 *
 * @param create the switch to make if it is missing (empty: it must exist)
 */
public record NicOption(String switchName, Optional<SwitchSpec> create, PortSpec port) {
    static NicOption parse(String arg) {
        String[] parts = arg.split(",");
        String target = parts[0].trim();
        Optional<SwitchSpec> create;
        String switchName;
        if (target.equals(SwitchSpec.DEFAULT_NAT)) {
            create = Optional.of(SwitchSpec.defaultNat());
        } else if (target.startsWith("private:")) {
            create = Optional.of(SwitchSpec.privateSwitch(target.substring(8)));
        } else if (target.startsWith("internal:")) {
            String name = target.substring(9);
            create = Optional.of(SwitchSpec.internal(name, internalAddress(name)));
        } else if (!target.isEmpty()) {
            create = Optional.empty();
        } else {
            throw new IllegalArgumentException(
                    "--nic needs a switch: nat, private:NAME, internal:NAME or a switch name");
        }
        switchName = create.map(SwitchSpec::name).orElse(target);
        PortSpec port = PortSpec.plain(randomMac());
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].trim();
            String value = p.contains("=") ? p.substring(p.indexOf('=') + 1) : "";
            String key = p.contains("=") ? p.substring(0, p.indexOf('=')) : p;
            port = switch (key) {
                case "mac" -> port.withMac(value.toLowerCase().replace('-', ':'));
                case "vlan" -> port.withVlan(PortSpec.Vlan.access(Integer.parseInt(value)));
                case "spoof-guard" -> port.withMacSpoofGuard(true);
                case "dhcp-guard" -> port.withDhcpGuard(true);
                case "router-guard" -> port.withRouterGuard(true);
                case "max-bandwidth" -> port.withMaxBitsPerSecond(bits(value));
                default ->
                    throw new IllegalArgumentException("--nic: unknown option '" + p
                            + "' (mac=M, vlan=N, spoof-guard, dhcp-guard, router-guard, max-bandwidth=R)");
            };
        }
        return new NicOption(switchName, create, port);
    }

    VmSpec.NetworkAdapter adapter() {
        return new VmSpec.NetworkAdapter(switchName, port);
    }

    /** "100M" (bits per second, as Hyper-V states bandwidth), "1G", "500k", or a plain number of bits per second. */
    public static long bits(String rate) {
        String r = rate.trim().toLowerCase().replace("bit", "").replace("bps", "");
        long unit =
                switch (r.isEmpty() ? ' ' : r.charAt(r.length() - 1)) {
                    case 'k' -> 1_000L;
                    case 'm' -> 1_000_000L;
                    case 'g' -> 1_000_000_000L;
                    default -> 1;
                };
        String digits = unit == 1 ? r : r.substring(0, r.length() - 1);
        if (!digits.matches("\\d+")) throw new IllegalArgumentException("--nic max-bandwidth: not a rate: " + rate);
        return Long.parseLong(digits) * unit;
    }

    /** Hyper-V's OUI, three random bytes. */
    static String randomMac() {
        byte[] b = new byte[3];
        ThreadLocalRandom.current().nextBytes(b);
        return "00:15:5d:" + HexFormat.ofDelimiter(":").formatHex(b);
    }

    /** An internal switch made on demand gets 10.224.N.1/24, N from its name (say another with `switch create`). */
    private static Ipv4Network internalAddress(String name) {
        return Ipv4Network.parse("10.224." + (Math.floorMod(name.hashCode(), 250) + 1) + ".1/24");
    }
}
