package org.viridian.devices.storvsp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.viridian.devices.scsi.ScsiData;
import org.viridian.devices.scsi.ScsiDisk;
import org.viridian.devices.scsi.ScsiResult;
import org.viridian.devices.scsi.Sense;
import org.viridian.devices.scsi.TokenBucket;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.storage.BlockDevice;
import org.viridian.vmbus.device.ChannelDevice;
import org.viridian.vmbus.ring.GpaRange;
import org.viridian.vmbus.ring.Packet;
import org.viridian.vmbus.server.OpenChannel;
import org.viridian.vmbus.server.VmbusDevice;

import static java.lang.System.Logger.Level.WARNING;

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

    public static final UUID CLASS_ID = UUID.fromString("ba6163d9-04a1-4d29-b605-72e2ffb1dc7f");
    /** Protocol versions (major << 8 | minor), newest first: win10, win8.1, win8, win7, win6. */
    static final int[] VERSIONS = {0x0602, 0x0600, 0x0501, 0x0402, 0x0200};
    static final int MAX_TRANSFER_BYTES = 2 << 20;
    /** Requests in flight per channel; beyond it the VSP stops reading the guest's ring until some complete. */
    static final int MAX_OUTSTANDING = 256;
    private static final int MULTI_CHANNEL = 1;

    private final GuestMemory memory;
    private final UUID instance;
    private final int maxSubChannels;
    private final Map<Integer, Lun> luns = new ConcurrentSkipListMap<>();
    private final Queue primary = new Queue(true);
    private final List<Queue> subQueues = new CopyOnWriteArrayList<>();
    private volatile boolean initialized;
    private volatile int version;
    private long completed, firstNanos, lastNanos;

    /** One disk: its SCSI target and the worker that runs its commands in order. */
    private record Lun(ScsiDisk disk, BlockDevice device, ExecutorService worker) {}

    /** SCSI requests completed by the disks so far, and the time between the first and the last completion. */
    public record Stats(long requests, long nanos) {}

    /** A controller offering up to {@code maxSubChannels} sub-channels (0: a single channel). */
    public StorVsp(GuestMemory memory, UUID instance, int maxSubChannels) {
        if (maxSubChannels < 0 || maxSubChannels > 64) throw new IllegalArgumentException("sub-channels: 0..64, not " + maxSubChannels);
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
        if (lun < 0 || lun > 254) throw new IllegalArgumentException("LUN " + lun + " is outside 0..254");
        String serial = String.format("%08x%04d", instance.getMostSignificantBits() >>> 32, lun);
        synchronized (luns) {
            if (luns.containsKey(lun)) throw new IllegalArgumentException("LUN " + lun + " is in use");
            ExecutorService worker = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("storvsp-lun" + lun).factory());
            luns.put(lun, new Lun(new ScsiDisk(device, readOnly, serial, limits), device, worker));
        }
        primary.notifyRescan();
    }

    /** Detaches a disk: commands already queued finish, new ones get INVALID_LUN, and the guest is told to rescan. */
    public void removeDisk(int lun) throws IOException {
        Lun l;
        synchronized (luns) {
            l = luns.remove(lun);
        }
        if (l == null) throw new IllegalArgumentException("no disk at LUN " + lun);
        primary.notifyRescan();
        retire(l);
    }

    public List<Integer> lunNumbers() {
        return List.copyOf(luns.keySet());
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
        version = 0;
        subQueues.clear();
        primary.opened(c);
    }

    @Override
    public void closed() {
        initialized = false;
        primary.closed();
    }

    @Override
    public void guestSignalled() {
        primary.guestSignalled();
    }

    @Override
    public void close() throws IOException {
        primary.closed();
        for (Queue q : subQueues) q.closed();
        List<Lun> all;
        synchronized (luns) {
            all = List.copyOf(luns.values());
            luns.clear();
        }
        for (Lun l : all) retire(l);
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
        protected void onOpen() {
            outstanding = 0;
        }

        /** New requests wait in the guest's ring while the limit is in flight. */
        @Override
        protected boolean readyForMore() {
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
            byte[] data = p.data();
            if (data.length < VstorPacket.HEADER) {
                answer(c, p, VstorPacket.completion(VstorPacket.STATUS_INVALID_PARAMETER));
                return;
            }
            ByteBuffer v = VstorPacket.wrap(data);
            int op = v.getInt(0);
            if (op == VstorPacket.EXECUTE_SRB) {
                srb(c, p, data);
                return;
            }
            if (!isPrimary && op != VstorPacket.RESET_LUN && op != VstorPacket.RESET_BUS && op != VstorPacket.RESET_ADAPTER) {
                answer(c, p, VstorPacket.completion(VstorPacket.STATUS_INVALID_DEVICE_REQUEST));
                return;
            }
            switch (op) {
                case VstorPacket.BEGIN_INITIALIZATION, VstorPacket.RESET_ADAPTER, VstorPacket.RESET_BUS, VstorPacket.RESET_LUN ->
                        answer(c, p, VstorPacket.completion(VstorPacket.STATUS_SUCCESS));
                case VstorPacket.QUERY_PROTOCOL_VERSION -> {
                    int asked = data.length >= 14 ? Short.toUnsignedInt(v.getShort(12)) : -1;
                    boolean known = java.util.Arrays.stream(VERSIONS).anyMatch(x -> x == asked);
                    if (known) version = asked;
                    answer(c, p, VstorPacket.completion(known ? VstorPacket.STATUS_SUCCESS : VstorPacket.STATUS_REVISION_MISMATCH));
                }
                case VstorPacket.QUERY_PROPERTIES -> {
                    ByteBuffer r = VstorPacket.completion(VstorPacket.STATUS_SUCCESS);
                    // Sub-channels only from win8 on, as Linux expects; the largest transfer we take.
                    boolean multi = maxSubChannels > 0 && version >= 0x0501;
                    r.putShort(12 + 4, (short) (multi ? maxSubChannels : 0));
                    r.putInt(12 + 8, multi ? MULTI_CHANNEL : 0);
                    r.putInt(12 + 12, MAX_TRANSFER_BYTES);
                    answer(c, p, r);
                }
                case VstorPacket.END_INITIALIZATION -> {
                    initialized = version != 0;
                    answer(c, p, VstorPacket.completion(initialized ? VstorPacket.STATUS_SUCCESS : VstorPacket.STATUS_INVALID_DEVICE_REQUEST));
                }
                case VstorPacket.CREATE_SUB_CHANNELS -> createSubChannels(c, p, data);
                default -> answer(c, p, VstorPacket.completion(VstorPacket.STATUS_INVALID_DEVICE_REQUEST));
            }
        }

        /** CREATE_SUB_CHANNELS (count u16 after the header): answered first, then each sub-channel is offered. */
        private void createSubChannels(OpenChannel c, Packet p, byte[] data) {
            int count = data.length >= 14 ? Short.toUnsignedInt(VstorPacket.wrap(data).getShort(12)) : 0;
            if (!initialized || count < 1 || subQueues.size() + count > maxSubChannels) {
                answer(c, p, VstorPacket.completion(VstorPacket.STATUS_INVALID_PARAMETER));
                return;
            }
            answer(c, p, VstorPacket.completion(VstorPacket.STATUS_SUCCESS));
            for (int i = 0; i < count; i++) {
                Queue q = new Queue(false);
                subQueues.add(q);
                c.offerSubChannel(q);
            }
        }

        private void srb(OpenChannel c, Packet p, byte[] data) {
            int srbSize = version >= 0x0501 ? 52 : VstorPacket.SRB_PRE_WIN8;
            if (!initialized || data.length < VstorPacket.SRB + srbSize) {
                answer(c, p, VstorPacket.completion(initialized ? VstorPacket.STATUS_INVALID_PARAMETER : VstorPacket.STATUS_INVALID_DEVICE_REQUEST));
                return;
            }
            ByteBuffer v = VstorPacket.wrap(data);
            int s = VstorPacket.SRB;
            int target = v.get(s + VstorPacket.TARGET) & 0xFF, path = v.get(s + VstorPacket.PATH) & 0xFF, lun = v.get(s + VstorPacket.LUN) & 0xFF;
            int cdbLength = v.get(s + VstorPacket.CDB_LENGTH) & 0xFF;
            long transfer = Integer.toUnsignedLong(v.getInt(s + VstorPacket.TRANSFER_LENGTH));
            if (cdbLength == 0 || cdbLength > VstorPacket.CDB_MAX) {
                srbDone(c, p, data, VstorPacket.SRB_INVALID_REQUEST, null, 0);
                return;
            }
            byte[] cdb = java.util.Arrays.copyOfRange(data, s + VstorPacket.CDB, s + VstorPacket.CDB + cdbLength);
            ScsiData buffer = ScsiData.NONE;
            if (p.type() == Packet.DATA_USING_GPA_DIRECT) {
                List<GpaRange> ranges = GpaRange.parse(p); // a damaged range list is ring damage: the caller fails the channel
                try {
                    buffer = GuestBuffers.of(memory, ranges, transfer);
                } catch (IllegalArgumentException e) {
                    LOG.log(WARNING, "storvsp: request refused: " + e.getMessage());
                    srbDone(c, p, data, VstorPacket.SRB_INVALID_REQUEST, null, 0);
                    return;
                }
            }
            boolean ours = target == 0 && path == 0;
            // REPORT LUNS answers for every target the guest scans: ours lists the disks, the others have none.
            if ((cdb[0] & 0xFF) == 0xA0) {
                srbDone(c, p, data, reportLuns(cdb, buffer, ours), null, -1);
                return;
            }
            Lun l = ours ? luns.get(lun) : null;
            if (l == null && (cdb[0] & 0xFF) == 0x12) {
                // Linux's storvsc turns any INQUIRY error into success and reads the buffer, so a missing LUN must say
                // so in the data: peripheral qualifier 3, "no device here".
                byte[] none = new byte[36];
                none[0] = 0x7F;
                none[4] = 31;
                int alloc = cdbLength >= 5 ? (cdb[3] & 0xFF) << 8 | (cdb[4] & 0xFF) : 0;
                srbDone(c, p, data, VstorPacket.SRB_SUCCESS, null, buffer.put(java.util.Arrays.copyOf(none, Math.min(36, alloc))));
                return;
            }
            if (l == null) {
                srbDone(c, p, data, VstorPacket.SRB_INVALID_LUN, null, 0);
                return;
            }
            ScsiData work = buffer;
            outstanding++;
            try {
                l.worker().execute(() -> finish(c, p, data, l, cdb, work));
            } catch (RejectedExecutionException e) { // removed meanwhile
                outstanding--;
                srbDone(c, p, data, VstorPacket.SRB_INVALID_LUN, null, 0);
            }
        }

        /** On the disk's worker: runs the command and sends its completion on this queue. */
        private void finish(OpenChannel c, Packet p, byte[] data, Lun l, byte[] cdb, ScsiData buffer) {
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
            synchronized (this) {
                outstanding--;
                if (channel() != c) return;
                if (r.ok()) {
                    srbDone(c, p, data, VstorPacket.SRB_SUCCESS, null, r.transferred());
                } else {
                    srbDone(c, p, data, VstorPacket.SRB_ERROR | VstorPacket.SRB_AUTOSENSE_VALID, r.sense().fixed(), 0);
                }
            }
            pumpPackets();
        }

        /**
         * Completes an SRB: the request's own SRB with the outcome filled in (status, SCSI status, bytes moved,
         * sense). {@code transferred} -1 keeps the guest's transfer length.
         */
        private void srbDone(OpenChannel c, Packet p, byte[] request, int srbStatus, byte[] sense, long transferred) {
            ByteBuffer r = VstorPacket.completion(VstorPacket.STATUS_SUCCESS);
            int s = VstorPacket.SRB;
            System.arraycopy(request, s, r.array(), s, Math.min(52, request.length - s));
            r.put(s + VstorPacket.SRB_STATUS, (byte) srbStatus);
            r.put(s + VstorPacket.SCSI_STATUS, (byte) (sense != null ? ScsiResult.CHECK_CONDITION : 0));
            if (transferred >= 0) r.putInt(s + VstorPacket.TRANSFER_LENGTH, (int) transferred);
            java.util.Arrays.fill(r.array(), s + VstorPacket.CDB, s + VstorPacket.CDB + VstorPacket.SENSE_MAX, (byte) 0);
            if (sense != null) {
                int n = Math.min(sense.length, VstorPacket.SENSE_MAX);
                System.arraycopy(sense, 0, r.array(), s + VstorPacket.CDB, n);
                r.put(s + VstorPacket.SENSE_LENGTH, (byte) n);
            }
            answer(c, p, r);
        }

        /** Sends a completion for {@code p} when it asked for one (the device base signals the guest). */
        private void answer(OpenChannel c, Packet p, ByteBuffer completion) {
            if (p.completionRequested()) send(Packet.COMPLETION, 0, p.transactionId(), completion.array());
        }

        /** ENUMERATE_BUS: the guest rescans (finds new LUNs, drops ones that now answer INVALID_LUN). */
        synchronized void notifyRescan() {
            if (!isOpen() || !initialized) return;
            ByteBuffer m = VstorPacket.completion(VstorPacket.STATUS_SUCCESS).putInt(0, VstorPacket.ENUMERATE_BUS);
            send(Packet.DATA_INBAND, 0, 0, m.array());
        }
    }

    /** REPORT LUNS: the LUNs present (none on other targets), single-level addressing. Returns the SRB status. */
    private int reportLuns(byte[] cdb, ScsiData buffer, boolean ours) {
        if (cdb.length < 12) return VstorPacket.SRB_INVALID_REQUEST;
        long alloc = (cdb[6] & 0xFFL) << 24 | (cdb[7] & 0xFF) << 16 | (cdb[8] & 0xFF) << 8 | (cdb[9] & 0xFF);
        List<Integer> present = ours ? lunNumbers() : List.of();
        ByteBuffer b = ByteBuffer.allocate(8 + 8 * present.size());
        b.putInt(0, 8 * present.size());
        int at = 8;
        for (int lun : present) {
            b.put(at + 1, (byte) lun);
            at += 8;
        }
        byte[] reply = b.array();
        buffer.put(java.util.Arrays.copyOf(reply, (int) Math.min(reply.length, alloc)));
        return VstorPacket.SRB_SUCCESS;
    }
}
