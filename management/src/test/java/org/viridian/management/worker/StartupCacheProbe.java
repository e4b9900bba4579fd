package org.viridian.management.worker;

/** A worker's stand-in for the start-up cache's test: loads some classes, says so, ends. */
public final class StartupCacheProbe {
    private StartupCacheProbe() {}

    public static void main(String[] args) {
        var sum = java.util.stream.IntStream.rangeClosed(1, 100).boxed().toList().stream()
                .mapToInt(Integer::intValue)
                .sum();
        System.out.println("probe " + sum);
    }
}
