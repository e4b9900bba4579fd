package org.viridian.devices.ic;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.viridian.devices.ic.protocol.IcMessage;
import org.viridian.devices.ic.protocol.IcMessageType;
import org.viridian.devices.ic.protocol.IcVersion;
import org.viridian.devices.ic.protocol.KvpMessage;
import org.viridian.devices.ic.protocol.KvpOperation;
import org.viridian.devices.ic.protocol.KvpPool;
import org.viridian.devices.ic.protocol.KvpValue;
import org.viridian.vmbus.protocol.ProtocolException;

/**
 * The data exchange (key-value pair) integration service (class a9a0f4e7-5a45-4d96-b827-8a841e8c03e6): the host reads
 * the guest's pools (its auto pool says OSName, OSVersion, FullyQualifiedDomainName, NetworkAddressIPv4, ...) and
 * pushes keys into the guest's external pool. The guest serves one request at a time (Linux forwards each to its
 * hv_kvp_daemon and answers in the buffer the request came in), so requests wait in a bounded queue and go one by
 * one; each answer is matched by its transaction id. Keys and values travel as UTF-16LE with their byte sizes,
 * terminator included.
 */
public final class Kvp extends IcService {
    public static final UUID CLASS_ID = UUID.fromString("a9a0f4e7-5a45-4d96-b827-8a841e8c03e6");
    /** The guest's status when an enumeration has run past its last entry. */
    static final int S_CONT = 0x80070103;

    static final int MAX_QUEUED = 32, MAX_ENTRIES = 256;
    /** Longer than Linux's own 30 s wait for its daemon, after which it answers with a failure status itself. */
    static final long TIMEOUT_S = 45;

    /** The guest answered a request with a failure status (e.g. its KVP daemon is not running). */
    public static final class KvpException extends RuntimeException {
        public KvpException(String message) {
            super(message);
        }
    }

    private final ArrayDeque<Op> queue = new ArrayDeque<>();
    private final Map<KvpPool, Map<String, String>> lastRead = new EnumMap<>(KvpPool.class);
    /** When each pool was last asked for (System.nanoTime), so refreshes do not pile up. */
    private final Map<KvpPool, Long> askedAt = new EnumMap<>(KvpPool.class);

    private Op current;
    private int currentTransaction;
    private long sent;

    public Kvp() {
        super(CLASS_ID, IcVersion.V4_0, IcVersion.V3_0);
    }

    /** Reads every entry of one of the guest's pools. */
    public CompletableFuture<Map<String, String>> guestPool(KvpPool pool) {
        Enumerate e = new Enumerate(pool);
        submit(e);
        return e.result;
    }

    /** Sets {@code key} to {@code value} in the guest's external pool (what the guest reads as data from its host). */
    public CompletableFuture<Void> push(String key, String value) {
        Single s = new Single(KvpPool.EXTERNAL, new KvpMessage.Set(KvpValue.string(key, value)), key);
        submit(s);
        return s.result.thenApply(v -> null);
    }

    /** One key of one of the guest's pools. */
    public CompletableFuture<String> get(KvpPool pool, String key) {
        Single s = new Single(pool, new KvpMessage.Get(KvpValue.string(key, null)), key);
        submit(s);
        return s.result;
    }

    /** Removes {@code key} from the guest's external pool. */
    public CompletableFuture<Void> delete(String key) {
        KvpValue.string(key, null); // checked here so the caller learns at once, not from the guest
        Single s = new Single(KvpPool.EXTERNAL, new KvpMessage.Delete(key), key);
        submit(s);
        return s.result.thenApply(v -> null);
    }

    /** The pool as last read completely, if it was (what a management view shows without asking the guest). */
    public synchronized Optional<Map<String, String>> lastRead(KvpPool pool) {
        return Optional.ofNullable(lastRead.get(pool));
    }

    /**
     * Reads the pool again in the background when it was last asked for longer ago than {@code age} (a management
     * view calls this on every look; at most one read per {@code age} reaches the guest). Only once negotiated.
     */
    public synchronized void refreshIfOlder(KvpPool pool, Duration age) {
        Long at = askedAt.get(pool);
        if (version() == 0 || (at != null && System.nanoTime() - at < age.toNanos())) return;
        guestPool(pool);
    }

    /** Whether the guest's KVP driver has agreed on a version (Linux does once its daemon runs). */
    public boolean negotiatedWithGuest() {
        return version() != 0;
    }

    private synchronized void submit(Op op) {
        if (op instanceof Enumerate) askedAt.put(op.pool, System.nanoTime());
        if (!isOpen()) {
            op.fail(new IllegalStateException("the guest has no KVP channel open"));
        } else if (queue.size() + (current == null ? 0 : 1) >= MAX_QUEUED) {
            op.fail(new IllegalStateException(MAX_QUEUED + " KVP requests are already waiting for the guest"));
        } else {
            queue.add(op);
            pump();
        }
    }

    @Override
    void negotiated() {
        // Learn the guest's identity right away, so management has it without asking.
        Enumerate auto = new Enumerate(KvpPool.AUTO);
        askedAt.put(KvpPool.AUTO, System.nanoTime());
        queue.addFirst(auto);
        pump();
    }

    @Override
    void reset() {
        IllegalStateException closed = new IllegalStateException("the guest's KVP channel closed");
        if (current != null) current.fail(closed);
        queue.forEach(op -> op.fail(closed));
        queue.clear();
        current = null;
    }

    /** Sends the next request if none is outstanding and the guest has negotiated. */
    private void pump() {
        while (current == null && version() != 0 && !queue.isEmpty()) {
            current = queue.poll();
            sendCurrent();
        }
    }

    private void sendCurrent() {
        int id = sendTransaction(IcMessageType.KVP_EXCHANGE, current.request());
        if (id < 0) {
            finish(new IllegalStateException("the guest's KVP ring is full or closed"));
            return;
        }
        currentTransaction = id;
        long mine = ++sent;
        later(TIMEOUT_S, TimeUnit.SECONDS, () -> {
            if (current != null && sent == mine) {
                finish(new KvpException("the guest did not answer within " + TIMEOUT_S + " s"));
                pump();
            }
        });
    }

    private void finish(Throwable failure) {
        Op op = current;
        current = null;
        if (failure != null) op.fail(failure);
    }

    @Override
    void answered(IcMessage m) throws ProtocolException {
        if (m.header().type() != IcMessageType.KVP_EXCHANGE
                || current == null
                || m.header().transaction() != currentTransaction) {
            throw new ProtocolException("KVP answer (type " + m.header().type() + ", transaction "
                    + m.header().transaction() + ") matches no outstanding request");
        }
        try {
            if (current.answered(m.header().status(), m)) {
                finish(null);
            } else {
                sendCurrent(); // the same operation continues (the next enumeration index)
            }
        } catch (ProtocolException e) {
            finish(e);
            throw e;
        } finally {
            pump();
        }
    }

    private synchronized void remember(KvpPool pool, Map<String, String> entries) {
        lastRead.put(pool, Collections.unmodifiableMap(new LinkedHashMap<>(entries)));
    }

    /** A request in flight: its wire body, and what its answers mean. */
    private abstract static sealed class Op permits Enumerate, Single {
        final KvpPool pool;

        Op(KvpPool pool) {
            this.pool = pool;
        }

        abstract KvpMessage request();

        /** True when the operation is complete; throws ProtocolException for a malformed answer. */
        abstract boolean answered(int status, IcMessage answer) throws ProtocolException;

        abstract void fail(Throwable t);
    }

    private final class Enumerate extends Op {
        final CompletableFuture<Map<String, String>> result = new CompletableFuture<>();
        final Map<String, String> found = new LinkedHashMap<>();
        int index;

        Enumerate(KvpPool pool) {
            super(pool);
        }

        @Override
        KvpMessage request() {
            return new KvpMessage(pool, new KvpMessage.Enumerate(index, null));
        }

        @Override
        boolean answered(int status, IcMessage answer) throws ProtocolException {
            if (status != 0) {
                // S_CONT: past the last entry. Any other failure ends the enumeration the same way, with what was read.
                if (status != S_CONT && index == 0) {
                    result.completeExceptionally(new KvpException(
                            String.format("the guest could not enumerate its %s pool (status %#x)", pool, status)));
                    return true;
                }
                remember(pool, found);
                result.complete(Collections.unmodifiableMap(found));
                return true;
            }
            KvpValue e = answerBody(answer, KvpMessage.Enumerate.class).value();
            found.put(e.key(), e.value() == null ? "" : e.value());
            if (++index < MAX_ENTRIES) return false;
            remember(pool, found);
            result.complete(Collections.unmodifiableMap(found));
            return true;
        }

        @Override
        void fail(Throwable t) {
            result.completeExceptionally(t);
        }
    }

    private final class Single extends Op {
        final CompletableFuture<String> result = new CompletableFuture<>();
        final KvpMessage.Body body;
        final String key;

        Single(KvpPool pool, KvpMessage.Body body, String key) {
            super(pool);
            this.body = body;
            this.key = key;
        }

        @Override
        KvpMessage request() {
            return new KvpMessage(pool, body);
        }

        @Override
        boolean answered(int status, IcMessage answer) throws ProtocolException {
            KvpOperation op = body.operation();
            if (status != 0) {
                String what = op == KvpOperation.SET ? "setting" : op == KvpOperation.GET ? "reading" : "deleting";
                result.completeExceptionally(new KvpException(
                        String.format("the guest refused %s of '%s' (status %#x)", what, key, status)));
            } else {
                String value = op == KvpOperation.GET
                        ? answerBody(answer, KvpMessage.Get.class).value().value()
                        : null;
                result.complete(op == KvpOperation.GET && value == null ? "" : value);
            }
            return true;
        }

        @Override
        void fail(Throwable t) {
            result.completeExceptionally(t);
        }
    }

    /** The answer's body, which must be for the operation asked (the guest answers in the request's buffer). */
    private static <B extends KvpMessage.Body> B answerBody(IcMessage answer, Class<B> expected)
            throws ProtocolException {
        KvpMessage.Body body =
                KvpMessage.parse(answer.bodyBuffer(), answer.body().length).body();
        if (!expected.isInstance(body)) {
            throw new ProtocolException("KVP answer of " + body.operation() + " to another request");
        }
        return expected.cast(body);
    }
}
