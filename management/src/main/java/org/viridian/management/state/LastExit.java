package org.viridian.management.state;

import java.time.Instant;

/** How a VM's last run ended: a reason for people, the guest's exit status where it gave one, a crash report. */
public record LastExit(String reason, Integer exitStatus, String crashReport, Instant at) {}
