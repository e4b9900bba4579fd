package org.viridian.management.config;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * What a VM boots: one of the built-in demo guests, or a kernel file (Multiboot ELF, bzImage, vmlinux) from this host.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = BootSource.DemoGuest.class, name = "demo"),
    @JsonSubTypes.Type(value = BootSource.Kernel.class, name = "kernel")
})
public sealed interface BootSource {
    /** A test guest packaged with Viridian (module guests), e.g. {@code smp.elf}; {@code cmdline} is passed to it. */
    record DemoGuest(String guest, String cmdline) implements BootSource {}

    /** A kernel on the service's host, with an optional initrd and command line. Paths are absolute. */
    record Kernel(String kernel, String initrd, String cmdline) implements BootSource {}
}
