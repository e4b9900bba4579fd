package org.viridian.management.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.regex.Pattern;
import org.viridian.vswitch.Ipv4Network;
import org.viridian.vswitch.Names;
import org.viridian.vswitch.SwitchSpec;
import org.viridian.vswitch.SwitchType;

/**
 * Turns clients' {@link SwitchRequest}s into valid {@link SwitchConfig}s: {@link SwitchSpec}'s rules, each broken one
 * an {@link InvalidConfigException} naming the field.
 */
public final class SwitchConfigs {
    /** SwitchSpec's names: they become part of host interface and nftables names. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,30}");

    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,14}");

    private SwitchConfigs() {}

    public static SwitchConfig create(SwitchRequest r, Instant now) {
        if (r == null) throw new InvalidConfigException(null, "a switch definition (JSON object) is required");
        if (r.name() == null) throw new InvalidConfigException("name", "name is required");
        if (r.type() == null)
            throw new InvalidConfigException("type", "type is required: private, internal, external or nat");
        String name = name(r.name());
        SwitchType type = type(r.type());
        String address = r.hostAddress();
        if (address == null && type == SwitchType.NAT && name.equals(SwitchSpec.DEFAULT_NAT))
            address = SwitchSpec.DEFAULT_NAT_ADDRESS.toString();
        return build(name, type, address, r.externalInterface(), r.notes() == null ? "" : r.notes(), now, now);
    }

    /** {@code c} with the request's present fields replaced; the name cannot change (it names host objects). */
    public static SwitchConfig update(SwitchConfig c, SwitchRequest r, Instant now) {
        if (r == null) throw new InvalidConfigException(null, "a switch definition (JSON object) is required");
        if (r.name() != null && !r.name().equals(c.name()))
            throw new InvalidConfigException("name", "a switch cannot be renamed: create another and delete this one");
        SwitchType type = r.type() == null ? c.spec().type() : type(r.type());
        String address = r.hostAddress() != null ? r.hostAddress() : type.hostAttached() ? c.hostAddress() : null;
        String external = r.externalInterface() != null
                ? r.externalInterface()
                : type == SwitchType.EXTERNAL ? c.externalInterface() : null;
        return build(c.name(), type, address, external, r.notes() == null ? c.notes() : r.notes(), c.created(), now);
    }

    private static SwitchConfig build(
            String name,
            SwitchType type,
            String address,
            String external,
            String notes,
            Instant created,
            Instant modified) {
        Ipv4Network host = null;
        if (address != null) {
            if (!type.hostAttached())
                throw new InvalidConfigException(
                        "hostAddress", "a " + lower(type) + " switch has no host address (only internal and nat)");
            try {
                host = Ipv4Network.parse(address);
            } catch (IllegalArgumentException e) {
                throw new InvalidConfigException(
                        "hostAddress", "hostAddress must look like 10.0.0.1/24: " + e.getMessage());
            }
            if (!address.contains("/"))
                throw new InvalidConfigException("hostAddress", "hostAddress needs a prefix length, e.g. 10.0.0.1/24");
        } else if (type.hostAttached()) {
            throw new InvalidConfigException(
                    "hostAddress", "a " + lower(type) + " switch needs a hostAddress (the host's, e.g. 10.0.0.1/24)");
        }
        if (external != null) {
            if (type != SwitchType.EXTERNAL)
                throw new InvalidConfigException(
                        "externalInterface", "only an external switch has an externalInterface");
            if (!IFNAME.matcher(external).matches())
                throw new InvalidConfigException("externalInterface", "not a host interface name: " + clip(external));
            if (external.equals("lo")
                    || external.startsWith(Names.BRIDGE_PREFIX)
                    || external.startsWith(Names.TAP_PREFIX))
                throw new InvalidConfigException(
                        "externalInterface", external + " cannot be bridged (loopback or a switch's own device)");
            if (!Files.exists(Path.of("/sys/class/net", external)))
                throw new InvalidConfigException("externalInterface", "this host has no network interface " + external);
        } else if (type == SwitchType.EXTERNAL) {
            throw new InvalidConfigException(
                    "externalInterface", "an external switch needs externalInterface (a host interface, e.g. eth0)");
        }
        SwitchSpec spec;
        try {
            spec = new SwitchSpec(name, type, host, external);
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(
                    e.getMessage().contains("host address") ? "hostAddress" : "name", e.getMessage());
        }
        SwitchConfig c = SwitchConfig.of(spec, VmConfigs.text("notes", notes), created);
        return new SwitchConfig(
                c.name(), c.type(), c.hostAddress(), c.externalInterface(), c.notes(), created, modified);
    }

    public static String name(String name) {
        if (!NAME.matcher(name).matches())
            throw new InvalidConfigException(
                    "name",
                    "switch names are 1-31 characters of a-z, 0-9 and '-', starting with a letter or digit: '"
                            + clip(name) + "'");
        return name;
    }

    static SwitchType type(String t) {
        try {
            return SwitchType.valueOf(t.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(
                    "type", "type must be private, internal, external or nat, not '" + clip(t) + "'");
        }
    }

    /** Whether two host-attached switches' networks overlap (the host could not route to both). */
    public static boolean overlaps(SwitchConfig a, SwitchConfig b) {
        if (a.hostAddress() == null || b.hostAddress() == null) return false;
        Ipv4Network x = Ipv4Network.parse(a.hostAddress()), y = Ipv4Network.parse(b.hostAddress());
        return x.contains(y.network().address()) || y.contains(x.network().address());
    }

    private static String lower(SwitchType t) {
        return t.name().toLowerCase(Locale.ROOT);
    }

    private static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }
}
