package org.viridian.management.config;

/**
 * A virtual disk attached to a VM: an image file on the service's host (VHD, VHDX, raw; the formats live in module
 * storage) in controller slot {@code slot}.
 */
public record Disk(int slot, String path, boolean readOnly) {}
