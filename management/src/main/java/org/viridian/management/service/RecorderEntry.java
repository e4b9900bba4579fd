package org.viridian.management.service;

import org.viridian.partition.vp.FlightRecorder;

/**
 * One line of a running VM's flight recorder as the API shows it: which VP, when (seconds since the VM was built), what
 * ({@code event}, and {@code text} in words), and where ({@code rip}, {@code cpl}; null for host actions).
 */
public record RecorderEntry(int vp, long seq, double seconds, String event, String rip, Integer cpl, String text) {
    static RecorderEntry of(FlightRecorder.Entry e) {
        return new RecorderEntry(
                e.vp(),
                e.seq(),
                e.nanos() / 1e9,
                e.event().name(),
                e.rip() < 0 ? null : String.format("0x%x", e.rip()),
                e.cpl() < 0 ? null : e.cpl(),
                e.render());
    }
}
