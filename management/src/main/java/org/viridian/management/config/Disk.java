package org.viridian.management.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A virtual disk attached to a VM: an image file on the service's host (VHD, VHDX, raw; the formats live in module
 * storage) in controller slot {@code slot}, held to {@code maxIops} operations and {@code maxBytesPerSecond} bytes per
 * second (Hyper-V's Storage QoS maximum, libvirt's total_iops_sec/total_bytes_sec; 0: no limit).
 */
public record Disk(
        int slot,
        String path,
        boolean readOnly,
        // Left out of the JSON when 0, so a disk without limits is written as before they existed: readable by the
        // workers, cluster members and state directories of earlier versions (strict about unknown fields).
        @JsonInclude(JsonInclude.Include.NON_DEFAULT) long maxIops,
        @JsonInclude(JsonInclude.Include.NON_DEFAULT) long maxBytesPerSecond) {
    /** The most either limit may be: far beyond any device, small enough that no rate arithmetic overflows. */
    public static final long MAX_IOPS = 100_000_000L, MAX_BYTES_PER_SECOND = 1L << 40;

    public Disk {
        if (maxIops < 0 || maxIops > MAX_IOPS) throw new IllegalArgumentException("maxIops out of range: " + maxIops);
        if (maxBytesPerSecond < 0 || maxBytesPerSecond > MAX_BYTES_PER_SECOND)
            throw new IllegalArgumentException("maxBytesPerSecond out of range: " + maxBytesPerSecond);
    }

    /** A disk without limits. */
    public Disk(int slot, String path, boolean readOnly) {
        this(slot, path, readOnly, 0, 0);
    }

    /** From JSON: definitions written before disks had limits have none (absent fields are no limit). */
    @JsonCreator
    static Disk json(
            @JsonProperty("slot") int slot,
            @JsonProperty("path") String path,
            @JsonProperty("readOnly") boolean readOnly,
            @JsonProperty("maxIops") Long maxIops,
            @JsonProperty("maxBytesPerSecond") Long maxBytesPerSecond) {
        return new Disk(
                slot, path, readOnly, maxIops == null ? 0 : maxIops, maxBytesPerSecond == null ? 0 : maxBytesPerSecond);
    }

    /** This disk with other limits. */
    public Disk withLimits(long iops, long bytesPerSecond) {
        return new Disk(slot, path, readOnly, iops, bytesPerSecond);
    }

    /** This disk's image at {@code newPath}, limits kept (checkpoints, imports). */
    public Disk at(String newPath, boolean ro) {
        return new Disk(slot, newPath, ro, maxIops, maxBytesPerSecond);
    }
}
