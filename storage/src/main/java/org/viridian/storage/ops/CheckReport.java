package org.viridian.storage.ops;

import java.util.List;

/** The result of {@code check}: what is wrong, and what a repair did. */
public record CheckReport(String file, List<String> problems, List<String> repairs, boolean repairable) {
    public CheckReport {
        problems = List.copyOf(problems);
        repairs = List.copyOf(repairs);
    }

    public boolean clean() {
        return problems.isEmpty();
    }
}
