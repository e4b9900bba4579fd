package org.viridian.devices.storvsp;

import static java.lang.System.Logger.Level.WARNING;

import java.io.IOException;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.viridian.devices.scsi.ScsiData;
import org.viridian.devices.scsi.ScsiDisk;
import org.viridian.devices.scsi.ScsiResult;
import org.viridian.devices.scsi.ScsiTarget;
import org.viridian.devices.scsi.Sense;
import org.viridian.devices.scsi.TokenBucket;
import org.viridian.devices.storvsp.protocol.ChannelProperties;
import org.viridian.devices.storvsp.protocol.ProtocolVersion;
import org.viridian.devices.storvsp.protocol.SubChannelCount;
import org.viridian.devices.storvsp.protocol.VmscsiRequest;
import org.viridian.devices.storvsp.protocol.VstorOperation;
import org.viridian.devices.storvsp.protocol.VstorPacket;
import org.viridian.devices.storvsp.protocol.VstorStatus;
import org.viridian.devices.storvsp.protocol.VstorVersion;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.partition.vp.VirtualProcessor;
import org.viridian.storage.BlockDevice;
import org.viridian.vmbus.device.ChannelDevice;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.ring.GpaRange;
import org.viridian.vmbus.ring.Packet;
import org.viridian.vmbus.server.OpenChannel;
import org.viridian.vmbus.server.VmbusDevice;

/**
 * The synthetic SCSI controller (StorVSP) that Linux's hv_storvsc and Windows' storvsc drive over VMBus: the
 * initialization handshake (protocol versions win10 down to win6, properties), then EXECUTE_SRB requests whose data
 * the guest describes as GPA ranges. The VP thread that signals only decodes and queues; each disk (a LUN on target
 * 0) runs its commands in order on its own worker, moving data between the disk and the guest's pages directly, and
 * the completion goes back on the channel it came from. With more than one VP the guest may ask for sub-channels
 * (CREATE_SUB_CHANNELS): each is another queue onto the same disks, so every guest CPU can have its own. Disks can
 * come and go while the guest runs (ENUMERATE_BUS tells it to
 * rescan; commands to a missing LUN end with INVALID_LUN, which makes Linux drop it). A request the guest got wrong
 * ends with an error for that request; a damaged ring closes this channel only.
 */
public final class StorVsp implements VmbusDevice, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(StorVsp.class.getName());

    private static final java.time.Duration DRAIN_TIMEOUT = java.time.Duration.ofSeconds(30);
    public static final UUID CLASS_ID = UUID.fromString("ba6163d9-04a1-4d29-b605-72e2ffb1dc7f");
    static final int MAX_TRANSFER_BYTES = 2 << 20;
    /** Requests in flight per channel; beyond it the VSP stops reading the guest's ring until some complete. */
    static final int MAX_OUTSTANDING = 256;

    /**
     * Commands of one disk run on this many threads at once, so that a guest's queue depth is served in parallel (one
     * thread made QD32 as slow as QD1). Safe because a BlockDevice takes concurrent reads and serializes its writes,
     * ScsiDisk keeps its sense data under its lock, and completions go out under the queue's lock; ordering between
     * commands in flight is the guest's business, as on a real tagged-queueing disk.
     */
    static final int WORKERS_PER_DISK = 4;
    /** The largest transfer run on the pumping thread when a disk is idle (see Queue#execute). */
    static final long INLINE_MAX = 64 * 1024;

    private final GuestMemory memory;
    private final UUID instance;
    private final int maxSubChannels;
    private final ScsiTarget<Lun> target = new ScsiTarget<>();
    private final Queue primary = new Queue(true);
    private final List<Queue> subQueues = new CopyOnWriteArrayList<>();
    private volatile boolean initialized;
    /** The version the guest asked for and got; null before that. */
    private volatile VstorVersion version;

    private long completed, firstNanos, lastNanos;

    /** One disk: its SCSI target and the worker that runs its commands in order. */
    private record Lun(
            ScsiDisk disk, BlockDevice device, ExecutorService worker, DiskCounters counters, TokenBucket limits) {}

    /** SCSI requests completed by the disks so far, and the time between the first and the last completion. */
    public record Stats(long requests, long nanos) {}

    /** A controller offering up to {@code maxSubChannels} sub-channels (0: a single channel). */
    public StorVsp(GuestMemory memory, UUID instance, int maxSubChannels) {
        if (maxSubChannels < 0 || maxSubChannels > 64) {
            throw new IllegalArgumentException("sub-channels: 0..64, not " + maxSubChannels);
        }
        this.memory = memory;
        this.instance = instance;
        this.maxSubChannels = maxSubChannels;
    }

    public StorVsp(GuestMemory memory, UUID instance) {
        this(memory, instance, 0);
    }

    @Override
    public UUID classId() {
        return CLASS_ID;
    }

    @Override
    public UUID instanceId() {
        return instance;
    }

    /**
     * Attaches a disk as {@code lun} (the VSP closes it when it is removed or the VSP closes). When the guest is
     * already running it is told to rescan.
     */
    public void addDisk(int lun, BlockDevice device, boolean readOnly, TokenBucket limits) {
        if (lun < 0 || lun > ScsiTarget.MAX_LUN) {
            throw new IllegalArgumentException("LUN " + lun + " is outside 0.." + ScsiTarget.MAX_LUN);
        }
        String serial = String.format("%08x%04d", instance.getMostSignificantBits() >>> 32, lun);
        synchronized (target) {
            if (target.contains(lun)) throw new IllegalArgumentException("LUN " + lun + " is in use");
            ExecutorService worker = Executors.newFixedThreadPool(
                    WORKERS_PER_DISK,
                    Thread.ofPlatform()
                            .daemon()
                            .name("storvsp-lun" + lun + "-", 0)
                            .factory());
            target.add(
                    lun,
                    new Lun(
                            new ScsiDisk(device, readOnly, serial, limits),
                            device,
                            worker,
                            new DiskCounters(),
                            limits));
        }
        primary.notifyRescan();
    }

    /** Detaches a disk: commands already queued finish, new ones get INVALID_LUN, and the guest is told to rescan. */
    public void removeDisk(int lun) throws IOException {
        Lun l = target.remove(lun);
        if (l == null) throw new IllegalArgumentException("no disk at LUN " + lun);
        primary.notifyRescan();
        retire(l);
    }

    /** Changes the IOPS/bandwidth limits of the disk at {@code lun} while it serves the guest. */
    public void setLimits(int lun, TokenBucket.Limits limits) {
        Lun l = target.get(lun);
        if (l == null) throw new IllegalArgumentException("no disk at LUN " + lun);
        l.limits().setLimits(limits);
    }

    /** Each attached disk's IOPS/bandwidth limits in force, by LUN. */
    public java.util.Map<Integer, TokenBucket.Limits> diskLimits() {
        java.util.Map<Integer, TokenBucket.Limits> out = new java.util.TreeMap<>();
        for (int lun : target.lunNumbers()) {
            Lun l = target.get(lun);
            if (l != null) out.put(lun, l.limits().limits());
        }
        return out;
    }

    public List<Integer> lunNumbers() {
        return target.lunNumbers();
    }

    /** Each attached disk's reads, writes and latencies, by LUN (a removed disk's go with it). */
    public java.util.Map<Integer, DiskCounters.Snapshot> diskCounters() {
        java.util.Map<Integer, DiskCounters.Snapshot> out = new java.util.TreeMap<>();
        for (int lun : target.lunNumbers()) {
            Lun l = target.get(lun);
            if (l != null) out.put(lun, l.counters().snapshot());
        }
        return out;
    }

    public synchronized Stats stats() {
        return new Stats(completed, lastNanos - firstNanos);
    }

    /** Sub-channels the guest asked for and was offered. */
    public int subChannels() {
        return subQueues.size();
    }

    private synchronized void count() {
        long now = System.nanoTime();
        if (completed++ == 0) firstNanos = now;
        lastNanos = now;
    }

    @Override
    public void opened(OpenChannel c) {
        initialized = false;
        version = null;
        subQueues.clear();
        primary.opened(c);
    }

    @Override
    public void closed() {
        initialized = false;
        primary.closed();
    }

    /**
     * The negotiated protocol (version, whether the handshake ended, how many sub-channels the guest was given) once
     * every request in flight on every queue has completed and its answer is in the guest's ring: the VM's processors
     * are stopped, so no new request comes. Fails when the disks do not finish within {@code DRAIN_TIMEOUT} (the save
     * is refused and the VM runs on). The sub-channels' own rings and openings are the VMBus server's to save.
     */
    @Override
    public byte[] save() {
        long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
        while (!primary.quiet() || !subQueues.stream().allMatch(Queue::quiet)) {
            if (System.nanoTime() > deadline)
                throw new IllegalStateException("storvsp: disk requests still in flight after " + DRAIN_TIMEOUT);
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        return SavedState.of(version, initialized, subQueues.size()).toBytes();
    }

    /**
     * The channel is open again on its saved rings, with the protocol {@link #save} recorded and as many sub-channel
     * queues as it had; the VMBus server then opens each on its saved rings ({@link #restoredSubChannel}).
     */
    @Override
    public void restore(OpenChannel c, byte[] state) {
        SavedState s = SavedState.parse(state);
        if (s.subChannels() > maxSubChannels)
            throw new IllegalArgumentException("storvsp: saved with " + s.subChannels()
                    + " sub-channels, this controller offers " + maxSubChannels);
        subQueues.clear();
        version = s.version();
        initialized = s.initialized();
        for (int i = 0; i < s.subChannels(); i++) subQueues.add(new Queue(false));
        primary.restore(c, new byte[0]);
    }

    /** Sub-channel {@code index} (1..) as the guest was offered it before the save. */
    @Override
    public VmbusDevice restoredSubChannel(int index) {
        if (index < 1 || index > subQueues.size())
            throw new IllegalArgumentException("storvsp: saved sub-channel " + index + " of " + subQueues.size());
        return subQueues.get(index - 1);
    }

    @Override
    public void guestSignalled() {
        primary.guestSignalled();
    }

    @Override
    public void close() throws IOException {
        primary.closed();
        for (Queue q : subQueues) q.closed();
        for (Lun l : target.removeAll()) retire(l);
    }

    private static void retire(Lun l) throws IOException {
        l.worker().shutdown();
        try {
            l.worker().awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        l.device().close();
    }

    /**
     * One channel of the controller (the primary, or a sub-channel): the requests in flight on it; the device base
     * holds its rings and the completions waiting for room. The primary also carries the handshake.
     */
    private final class Queue extends ChannelDevice {
        private final boolean isPrimary;
        private int outstanding;

        Queue(boolean isPrimary) {
            super("storvsp", 1);
            this.isPrimary = isPrimary;
        }

        @Override
        public UUID classId() {
            return CLASS_ID;
        }

        @Override
        public UUID instanceId() {
            return instance;
        }

        @Override
        protected synchronized void onOpen() {
            outstanding = 0;
        }

        @Override
        protected synchronized boolean idle() {
            return outstanding == 0;
        }

        /** New requests wait in the guest's ring while the limit is in flight. */
        @Override
        protected synchronized boolean readyForMore() {
            return outstanding < MAX_OUTSTANDING;
        }

        @Override
        protected void onPacket(Packet p) {
            request(channel(), p);
        }

        /** Handles one packet from the guest. */
        private void request(OpenChannel c, Packet p) {
            if (p.type() != Packet.DATA_INBAND && p.type() != Packet.DATA_USING_GPA_DIRECT) {
                LOG.log(WARNING, "storvsp: ignored a packet of type " + p.type());
                return;
            }
            VstorPacket v;
            try {
                v = VstorPacket.parse(p.data(), version);
            } catch (ProtocolException e) {
                answer(c, p, VstorPacket.completion(VstorStatus.INVALID_PARAMETER));
                return;
            }
            if (v.body() instanceof VmscsiRequest srb) {
                srb(c, p, srb);
                return;
            }
            VstorOperation op = v.operation().orElse(null);
            if (!isPrimary && (op == null || !op.isReset())) {
                answer(c, p, VstorPacket.completion(VstorStatus.INVALID_DEVICE_REQUEST));
                return;
            }
            switch (v.body()) {
                case ProtocolVersion asked -> {
                    VstorVersion known = asked.version().orElse(null);
                    if (known != null) version = known;
                    answer(
                            c,
                            p,
                            VstorPacket.completion(
                                    known != null ? VstorStatus.SUCCESS : VstorStatus.REVISION_MISMATCH));
                }
                case SubChannelCount n -> createSubChannels(c, p, n.count());
                default -> control(c, p, op);
            }
        }

        /** The operations that carry nothing: the handshake's steps and the resets. */
        private void control(OpenChannel c, Packet p, VstorOperation op) {
            switch (op) {
                case BEGIN_INITIALIZATION, RESET_ADAPTER, RESET_BUS, RESET_LUN ->
                    answer(c, p, VstorPacket.completion(VstorStatus.SUCCESS));
                case QUERY_PROPERTIES -> {
                    // Sub-channels only from win8 on, as Linux expects; the largest transfer we take.
                    boolean multi = maxSubChannels > 0 && version != null && version.atLeast(VstorVersion.WIN8);
                    var properties = new ChannelProperties(
                            multi ? maxSubChannels : 0,
                            multi ? ChannelProperties.MULTI_CHANNEL : 0,
                            MAX_TRANSFER_BYTES);
                    answer(c, p, VstorPacket.completion(VstorStatus.SUCCESS, properties));
                }
                case END_INITIALIZATION -> {
                    initialized = version != null;
                    answer(
                            c,
                            p,
                            VstorPacket.completion(
                                    initialized ? VstorStatus.SUCCESS : VstorStatus.INVALID_DEVICE_REQUEST));
                }
                case null, default -> answer(c, p, VstorPacket.completion(VstorStatus.INVALID_DEVICE_REQUEST));
            }
        }

        /** CREATE_SUB_CHANNELS: answered first, then each sub-channel is offered. */
        private void createSubChannels(OpenChannel c, Packet p, int count) {
            if (!initialized || count < 1 || subQueues.size() + count > maxSubChannels) {
                answer(c, p, VstorPacket.completion(VstorStatus.INVALID_PARAMETER));
                return;
            }
            answer(c, p, VstorPacket.completion(VstorStatus.SUCCESS));
            for (int i = 0; i < count; i++) {
                Queue q = new Queue(false);
                subQueues.add(q);
                c.offerSubChannel(q);
            }
        }

        private void srb(OpenChannel c, Packet p, VmscsiRequest srb) {
            if (!initialized) {
                answer(c, p, VstorPacket.completion(VstorStatus.INVALID_DEVICE_REQUEST));
                return;
            }
            if (!srb.cdbValid()) {
                srbDone(c, p, srb, VmscsiRequest.SRB_INVALID_REQUEST, null, 0);
                return;
            }
            byte[] cdb = srb.cdb();
            ScsiData buffer = ScsiData.NONE;
            if (p.type() == Packet.DATA_USING_GPA_DIRECT) {
                // A damaged range list is ring damage: the caller fails the channel.
                List<GpaRange> ranges = GpaRange.parse(p);
                try {
                    buffer = GuestBuffers.of(memory, ranges, srb.transferLength());
                } catch (IllegalArgumentException e) {
                    LOG.log(WARNING, "storvsp: request refused: " + e.getMessage());
                    srbDone(c, p, srb, VmscsiRequest.SRB_INVALID_REQUEST, null, 0);
                    return;
                }
            }
            // StorVSP is one target (path 0, target 0); the SCSI target answers addressing for every one scanned.
            boolean ours = srb.target() == 0 && srb.path() == 0;
            switch (target.route(ours, srb.lun(), cdb, buffer)) {
                case ScsiTarget.ToLun<Lun>(Lun l) -> execute(c, p, srb, l, cdb, buffer);
                case ScsiTarget.Answered<Lun>(long transferred) ->
                    srbDone(c, p, srb, VmscsiRequest.SRB_SUCCESS, null, transferred);
                case ScsiTarget.Malformed<Lun>() -> srbDone(c, p, srb, VmscsiRequest.SRB_INVALID_REQUEST, null, -1);
                case ScsiTarget.NoLun<Lun>() -> srbDone(c, p, srb, VmscsiRequest.SRB_INVALID_LUN, null, 0);
            }
        }

        /**
         * Queues the command on its disk's worker — or, when it is the only one (nothing else in flight on this queue,
         * nothing more in the ring), small, not rate-limited and not on a VP's thread (a signal doorbell's, see
         * SignalDoorbells), runs it here: a lone small request then costs no hand-off to another thread (a wake-up
         * is most of a cached read's latency, the more so where wake-ups are dear), while requests the guest queued
         * together still spread over the workers. The price: a lone request that is slow (a disk, not the page
         * cache) holds up what the guest sends while it runs, until the queue is handed over again.
         */
        private void execute(OpenChannel c, Packet p, VmscsiRequest srb, Lun l, byte[] cdb, ScsiData buffer) {
            boolean inline;
            synchronized (this) { // the disk's workers count down under the same lock
                inline = outstanding == 0
                        && buffer.length() <= INLINE_MAX
                        && !l.limits().limited()
                        && !VirtualProcessor.onVpThread()
                        && c.fromGuest().isEmpty();
                outstanding++;
            }
            long taken = System.nanoTime();
            if (inline) {
                finish(c, p, srb, l, cdb, buffer, taken, false);
                return;
            }
            try {
                l.worker().execute(() -> finish(c, p, srb, l, cdb, buffer, taken, true));
            } catch (RejectedExecutionException e) { // removed meanwhile
                synchronized (this) {
                    outstanding--;
                }
                srbDone(c, p, srb, VmscsiRequest.SRB_INVALID_LUN, null, 0);
            }
        }

        /**
         * On the disk's worker (or inline): runs the command and sends its completion on this queue; {@code pump}: then
         * takes what the guest sent meanwhile (not when inline: the pump that called is still reading).
         */
        private void finish(
                OpenChannel c,
                Packet p,
                VmscsiRequest srb,
                Lun l,
                byte[] cdb,
                ScsiData buffer,
                long taken,
                boolean pump) {
            ScsiResult r;
            try {
                r = l.disk().execute(cdb, buffer);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                r = ScsiResult.check(Sense.DATA_TRANSFER_ERROR);
            } catch (RuntimeException e) { // e.g. the VM's memory went away under a late request
                r = ScsiResult.check(Sense.DATA_TRANSFER_ERROR);
            }
            count();
            l.counters().completed(cdb, r.ok(), r.transferred(), System.nanoTime() - taken);
            synchronized (this) {
                outstanding--;
                if (channel() != c) return;
                if (r.ok()) {
                    srbDone(c, p, srb, VmscsiRequest.SRB_SUCCESS, null, r.transferred());
                } else {
                    int failed = VmscsiRequest.SRB_ERROR | VmscsiRequest.SRB_AUTOSENSE_VALID;
                    srbDone(c, p, srb, failed, r.sense().fixed(), 0);
                }
            }
            if (pump) pumpPackets();
        }

        /** Completes an SRB: the guest's own SRB with the outcome in it; {@code transferred} -1 keeps its length. */
        private void srbDone(OpenChannel c, Packet p, VmscsiRequest srb, int status, byte[] sense, long transferred) {
            answer(c, p, VstorPacket.completion(VstorStatus.SUCCESS, srb.completed(status, transferred, sense)));
        }

        /** Sends a completion for {@code p} when it asked for one (the device base signals the guest). */
        private void answer(OpenChannel c, Packet p, VstorPacket completion) {
            if (p.completionRequested()) send(Packet.COMPLETION, 0, p.transactionId(), completion.toBytes());
        }

        /** ENUMERATE_BUS: the guest rescans (finds new LUNs, drops ones that now answer INVALID_LUN). */
        synchronized void notifyRescan() {
            if (!isOpen() || !initialized) return;
            send(
                    Packet.DATA_INBAND,
                    0,
                    0,
                    VstorPacket.notification(VstorOperation.ENUMERATE_BUS).toBytes());
        }
    }
}
