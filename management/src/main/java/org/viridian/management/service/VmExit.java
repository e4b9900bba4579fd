package org.viridian.management.service;

/** How a VM's run ended, as the engine reports it. */
public record VmExit(String reason, Integer exitStatus, boolean crashed, String crashReport) {}
