package org.viridian.management.events;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** Publishes events to live subscribers (SSE streams) and keeps the most recent ones for clients that poll. */
public final class EventBus {
    private static final int KEEP = 500;
    private final Clock clock;
    private final ArrayDeque<Event> recent = new ArrayDeque<>();
    private final List<Consumer<Event>> subscribers = new CopyOnWriteArrayList<>();
    private long seq;

    public EventBus(Clock clock) {
        this.clock = clock;
    }

    public void publish(String type, String vmId, String vmName, String state, String message) {
        Event e;
        synchronized (this) {
            e = new Event(++seq, clock.instant(), type, vmId, vmName, state, message);
            recent.addLast(e);
            if (recent.size() > KEEP) recent.removeFirst();
        }
        for (Consumer<Event> s : subscribers) {
            try {
                s.accept(e);
            } catch (RuntimeException ignored) {
                // A subscriber that fails (a closed stream) is removed by its owner; the others still get the event.
            }
        }
    }

    /** Events after {@code afterSeq}, oldest first (at most the last {@value #KEEP}). */
    public synchronized List<Event> since(long afterSeq) {
        return recent.stream().filter(e -> e.seq() > afterSeq).toList();
    }

    public AutoCloseable subscribe(Consumer<Event> s) {
        subscribers.add(s);
        return () -> subscribers.remove(s);
    }
}
