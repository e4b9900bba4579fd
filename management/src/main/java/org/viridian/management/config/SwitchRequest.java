package org.viridian.management.config;

/**
 * A client's switch definition, for create (name and type required) and update (absent fields stay; fields the new
 * type has no use for are dropped). Validated by {@link SwitchConfigs}.
 */
public record SwitchRequest(String name, String type, String hostAddress, String externalInterface, String notes) {}
