package org.viridian.management.api;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * API requests answered, by method and status code (no path: VM ids would make a series per VM and request). Methods
 * outside HTTP's usual set count as "other", so a client cannot grow the table.
 */
final class ApiRequests {
    private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS");

    record Key(String method, int status) {}

    private final Map<Key, LongAdder> counts = new ConcurrentHashMap<>();

    void count(String method, int status) {
        String m = METHODS.contains(method) ? method : "other";
        counts.computeIfAbsent(new Key(m, status), k -> new LongAdder()).increment();
    }

    Map<Key, Long> snapshot() {
        Map<Key, Long> out =
                new TreeMap<>(java.util.Comparator.comparing(Key::method).thenComparingInt(Key::status));
        counts.forEach((k, n) -> out.put(k, n.sum()));
        return out;
    }
}
