package org.viridian.hv.diag;

import static java.lang.System.Logger.Level.WARNING;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import org.viridian.hv.HvProtocolException;
import org.viridian.hv.hypercall.HvStatus;
import org.viridian.hv.hypercall.MessageCalls;
import org.viridian.hv.synic.HvMessage;
import org.viridian.hv.synic.Synic;
import org.viridian.partition.bus.PortIoHandler;

/**
 * A Hyper-V test device compatible with QEMU's hyperv-testdev, for kvm-unit-tests' hyperv_synic and
 * hyperv_connections: through port 0x3000 the guest routes interrupts to SINTs and creates host connections that
 * answer HvPostMessage and HvSignalEvent on a VP and SINT of its choosing, so the cross-VP paths of the SynIC can be
 * checked without VMBus. Off unless asked for ({@code viridian run --hv-testdev}). A command that names no such VP,
 * SINT, route or connection (QEMU asserts there) is refused, counted and logged; the VM goes on.
 */
public final class HvTestDevice implements PortIoHandler {
    public static final int PORT = 0x3000, SIZE = 4;
    private static final System.Logger LOG = System.getLogger(HvTestDevice.class.getName());
    /** Refusals logged in full; later ones are only counted (a guest may loop on a bad command). */
    private static final int LOGGED_REFUSALS = 16;

    private record Route(int vp, int sint) {}

    private final MessageCalls calls;
    private final List<Synic> synics;
    private final Set<Route> routes = new HashSet<>();
    private final Map<Integer, MessageCalls.MessageHandler> messageConnections = new HashMap<>();
    private final Map<Integer, IntConsumer> eventConnections = new HashMap<>();
    private final AtomicLong refused = new AtomicLong();

    /** {@code synics}: the partition's, by VP index. */
    public HvTestDevice(MessageCalls calls, List<Synic> synics) {
        this.calls = calls;
        this.synics = List.copyOf(synics);
    }

    @Override
    public int read(int port, int size) {
        return 0;
    }

    /** Called on the writing VP's thread; VPs may write at once. */
    @Override
    public void write(int port, int size, int value) {
        try {
            if (size != SIZE) {
                throw new HvProtocolException(HvStatus.INVALID_PARAMETER, size + "-byte test device write");
            }
            execute(HvTestDevCommand.parse(value, synics.size()));
        } catch (HvProtocolException e) {
            long n = refused.incrementAndGet();
            if (n <= LOGGED_REFUSALS) LOG.log(WARNING, "Hyper-V test device refused: " + e.getMessage());
        }
    }

    /** Commands refused so far. */
    public long refused() {
        return refused.get();
    }

    synchronized void execute(HvTestDevCommand c) throws HvProtocolException {
        switch (c) {
            case HvTestDevCommand.SintRouteCreate r -> {
                if (!routes.add(new Route(r.vp(), r.sint()))) throw refuse(c, "the route exists");
            }
            case HvTestDevCommand.SintRouteDestroy r -> {
                if (!routes.remove(new Route(r.vp(), r.sint()))) throw refuse(c, "no such route");
            }
            case HvTestDevCommand.SintRouteSetSint r -> {
                if (!routes.contains(new Route(r.vp(), r.sint()))) throw refuse(c, "no such route");
                // A masked SINT or a disabled SynIC drops the interrupt, as KVM's SINT routes do.
                synics.get(r.vp()).assertSint(r.sint());
            }
            case HvTestDevCommand.MessageConnectionCreate m -> {
                Synic target = synics.get(m.vp());
                int sint = m.sint(), id = m.connection();
                // The message comes back as posted (type, payload) on the connection's own VP and SINT, whichever VP
                // posted it; a slot still busy queues it behind the pending flag (TLFS 11.9.3).
                MessageCalls.MessageHandler h = g -> target.post(sint, new HvMessage(g.type(), id, g.payload()))
                        ? HvStatus.SUCCESS
                        : HvStatus.INSUFFICIENT_BUFFERS;
                if (!calls.addMessageConnection(id, h)) throw refuse(c, "the connection id is taken");
                messageConnections.put(id, h);
            }
            case HvTestDevCommand.MessageConnectionDestroy m -> {
                MessageCalls.MessageHandler h = messageConnections.remove(m.connection());
                if (h == null) throw refuse(c, "no such connection");
                calls.removeMessageConnection(m.connection(), h);
            }
            case HvTestDevCommand.EventConnectionCreate e -> {
                Synic target = synics.get(e.vp());
                int sint = e.sint(), id = e.connection();
                // The flag is the connection id; a flag already set raises nothing (TLFS 11.8.3).
                IntConsumer h = signaller -> target.signalEvent(sint, id);
                if (!calls.addEventConnection(id, h)) throw refuse(c, "the connection id is taken");
                eventConnections.put(id, h);
            }
            case HvTestDevCommand.EventConnectionDestroy e -> {
                IntConsumer h = eventConnections.remove(e.connection());
                if (h == null) throw refuse(c, "no such connection");
                calls.removeEventConnection(e.connection(), h);
            }
        }
    }

    private static HvProtocolException refuse(HvTestDevCommand c, String why) {
        return new HvProtocolException(HvStatus.INVALID_PARAMETER, c + ": " + why);
    }
}
