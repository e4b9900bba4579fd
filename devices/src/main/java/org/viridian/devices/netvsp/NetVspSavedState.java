package org.viridian.devices.netvsp;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.viridian.devices.netvsp.protocol.NvspVersion;

/**
 * An open adapter's own part of a saved VM (the persisted-state role: what NVSP and RNDIS negotiated; rings, GPADL
 * pages and buffers' contents are in guest memory and the VMBus state): the adapter it was saved from (MAC, MTU,
 * queues: a restore into another refuses), the NVSP version and the guest's MTU, the receive buffer (id, GPADL,
 * section size, the sections the guest still holds) and the send buffer (id, GPADL), the control messages waiting for
 * a receive section, how many sub-channels the guest was given, the link, and RNDIS ({@link Rndis}).
 */
record NetVspSavedState(
        byte[] mac,
        int mtu,
        int queues,
        NvspVersion version,
        int guestMtu,
        Receive receive,
        Send send,
        List<byte[]> controlBacklog,
        int subChannels,
        boolean linkUp,
        Rndis rndis) {
    private static final int MAGIC = 0x4E565331; // "NVS1"

    /** The receive buffer as the guest gave it, and the sections it holds (sent to it, not yet completed). */
    record Receive(int id, int gpadl, int sectionSize, int[] held) {}

    record Send(int id, int gpadl) {}

    /**
     * RNDIS as the guest set it up: initialized, packet filter, the MAC it set, receive checksum indications, and
     * receive-side scaling (hash types, key, indirection table).
     */
    record Rndis(
            boolean initialized,
            int packetFilter,
            byte[] mac,
            boolean rxChecksum4,
            boolean rxChecksum6,
            int hashInfo,
            byte[] key,
            int[] table) {}

    byte[] toBytes() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(MAGIC);
            out.write(mac);
            out.writeInt(mtu);
            out.writeInt(queues);
            out.writeInt(version == null ? 0 : version.code());
            out.writeInt(guestMtu);
            out.writeBoolean(receive != null);
            if (receive != null) {
                out.writeInt(receive.id());
                out.writeInt(receive.gpadl());
                out.writeInt(receive.sectionSize());
                ints(out, receive.held());
            }
            out.writeBoolean(send != null);
            if (send != null) {
                out.writeInt(send.id());
                out.writeInt(send.gpadl());
            }
            out.writeInt(controlBacklog.size());
            for (byte[] m : controlBacklog) {
                out.writeInt(m.length);
                out.write(m);
            }
            out.writeInt(subChannels);
            out.writeBoolean(linkUp);
            out.writeBoolean(rndis.initialized());
            out.writeInt(rndis.packetFilter());
            out.write(rndis.mac());
            out.writeBoolean(rndis.rxChecksum4());
            out.writeBoolean(rndis.rxChecksum6());
            out.writeInt(rndis.hashInfo());
            out.writeInt(rndis.key().length);
            out.write(rndis.key());
            ints(out, rndis.table());
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A state {@link #toBytes} wrote; IllegalArgumentException for anything else (every count and length checked). */
    static NetVspSavedState parse(byte[] state) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(state));
            if (in.readInt() != MAGIC) throw new IllegalArgumentException("netvsp: not a saved adapter state");
            byte[] mac = in.readNBytes(6);
            int mtu = in.readInt(), queues = in.readInt(), code = in.readInt();
            NvspVersion version =
                    code == 0 ? null : NvspVersion.of(code).orElseThrow(() -> bad("NVSP version " + code));
            int guestMtu = in.readInt();
            Receive receive =
                    in.readBoolean() ? new Receive(in.readInt(), in.readInt(), in.readInt(), ints(in, 1 << 20)) : null;
            Send send = in.readBoolean() ? new Send(in.readInt(), in.readInt()) : null;
            int backlog = count(in.readInt(), NetVsp.CONTROL_BACKLOG, "control messages");
            List<byte[]> control = new ArrayList<>();
            for (int i = 0; i < backlog; i++) control.add(in.readNBytes(count(in.readInt(), 1 << 16, "bytes")));
            int subChannels = count(in.readInt(), NetVsp.MAX_QUEUES - 1, "sub-channels");
            boolean linkUp = in.readBoolean();
            boolean initialized = in.readBoolean();
            int filter = in.readInt();
            byte[] rndisMac = in.readNBytes(6);
            boolean rx4 = in.readBoolean(), rx6 = in.readBoolean();
            int hashInfo = in.readInt();
            byte[] key = in.readNBytes(count(in.readInt(), Toeplitz.KEY_SIZE, "key bytes"));
            int[] table = ints(in, NetVsp.RECEIVE_TABLE_ENTRIES);
            if (in.available() != 0 || mac.length != 6 || rndisMac.length != 6) throw bad("trailing or missing bytes");
            return new NetVspSavedState(
                    mac,
                    mtu,
                    queues,
                    version,
                    guestMtu,
                    receive,
                    send,
                    control,
                    subChannels,
                    linkUp,
                    new Rndis(initialized, filter, rndisMac, rx4, rx6, hashInfo, key, table));
        } catch (IOException e) {
            throw bad("truncated");
        }
    }

    /** Whether this state was saved from an adapter like {@code (mac, mtu, queues)}. */
    boolean savedFrom(byte[] mac, int mtu, int queues) {
        return Arrays.equals(this.mac, mac) && this.mtu == mtu && this.queues == queues;
    }

    private static void ints(DataOutputStream out, int[] v) throws IOException {
        out.writeInt(v.length);
        for (int x : v) out.writeInt(x);
    }

    private static int[] ints(DataInputStream in, int max) throws IOException {
        int[] v = new int[count(in.readInt(), max, "entries")];
        for (int i = 0; i < v.length; i++) v[i] = in.readInt();
        return v;
    }

    private static int count(int n, int max, String what) {
        if (n < 0 || n > max) throw bad(n + " " + what + ", at most " + max);
        return n;
    }

    private static IllegalArgumentException bad(String why) {
        return new IllegalArgumentException("netvsp: saved adapter state is malformed: " + why);
    }
}
