package org.viridian.management.config;

/** Hyper-V integration services offered to the guest over VMBus (ic-*); the settings persist before the VSPs land. */
public record IntegrationServices(
        boolean heartbeat, boolean shutdown, boolean timeSync, boolean keyValueExchange, boolean guestServices) {
    public static final IntegrationServices DEFAULT = new IntegrationServices(true, true, true, true, false);
}
