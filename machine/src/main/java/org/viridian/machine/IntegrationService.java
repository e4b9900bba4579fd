package org.viridian.machine;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The Hyper-V integration services a VM can offer its guest over VMBus, by the names settings and the CLI use. */
public enum IntegrationService {
    HEARTBEAT("heartbeat"),
    SHUTDOWN("shutdown"),
    TIME_SYNC("timeSync"),
    KEY_VALUE_EXCHANGE("keyValueExchange");

    private final String settingName;

    IntegrationService(String settingName) {
        this.settingName = settingName;
    }

    /** The name in VM settings and on the command line (e.g. {@code timeSync}). */
    public String settingName() {
        return settingName;
    }

    /** By setting name, case-insensitively, also with dashes ({@code time-sync}) or the short {@code kvp}. */
    public static IntegrationService named(String name) {
        String n = name.trim().replace("-", "").replace("_", "").toLowerCase(Locale.ROOT);
        if (n.equals("kvp") || n.equals("dataexchange")) return KEY_VALUE_EXCHANGE;
        for (IntegrationService s : values()) {
            if (s.settingName.toLowerCase(Locale.ROOT).equals(n)) return s;
        }
        throw new IllegalArgumentException("unknown integration service '" + name + "' (known: "
                + Arrays.stream(values()).map(IntegrationService::settingName).collect(Collectors.joining(", "))
                + ", kvp)");
    }
}
