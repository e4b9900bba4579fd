package org.viridian.management.cluster;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** A clustered VM's failover priority, as Hyper-V's (3000/2000/1000): higher ones start first after a failure. */
public enum Priority {
    HIGH(3000),
    MEDIUM(2000),
    LOW(1000);

    public final int weight;

    Priority(int weight) {
        this.weight = weight;
    }

    @JsonValue
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static Priority parse(String s) {
        for (Priority p : values()) if (p.wire().equalsIgnoreCase(s)) return p;
        throw new IllegalArgumentException("priority must be high, medium or low, not '" + s + "'");
    }
}
