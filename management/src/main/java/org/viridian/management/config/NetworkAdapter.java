package org.viridian.management.config;

/** A synthetic network adapter: its MAC address and the virtual switch it connects to (null: not connected). */
public record NetworkAdapter(String name, String switchName, String mac) {}
