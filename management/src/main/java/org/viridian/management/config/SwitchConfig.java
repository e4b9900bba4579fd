package org.viridian.management.config;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import org.viridian.vswitch.Ipv4Network;
import org.viridian.vswitch.SwitchSpec;
import org.viridian.vswitch.SwitchType;

/**
 * A virtual switch's persisted definition ({@code <state-dir>/switches/<name>.json}): what {@link SwitchSpec} needs,
 * in the API's words ({@code type} "private", "internal", "external" or "nat"; {@code hostAddress} "10.0.0.1/24").
 */
public record SwitchConfig(
        String name,
        String type,
        String hostAddress,
        String externalInterface,
        String notes,
        Instant created,
        Instant modified) {
    public SwitchConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        notes = notes == null ? "" : notes;
    }

    /** What the host is asked to build (the definition was validated by {@link SwitchConfigs}). */
    public SwitchSpec spec() {
        return new SwitchSpec(
                name,
                SwitchType.valueOf(type.toUpperCase(Locale.ROOT)),
                hostAddress == null ? null : Ipv4Network.parse(hostAddress),
                externalInterface);
    }

    public static SwitchConfig of(SwitchSpec s, String notes, Instant now) {
        return new SwitchConfig(
                s.name(),
                s.type().name().toLowerCase(Locale.ROOT),
                s.hostAddress() == null ? null : s.hostAddress().toString(),
                s.externalInterface(),
                notes,
                now,
                now);
    }
}
