package org.viridian.devices.netvsp;

import static org.viridian.devices.netvsp.protocol.ReceiveScaleParameters.HASH_IPV4;
import static org.viridian.devices.netvsp.protocol.ReceiveScaleParameters.HASH_IPV6;
import static org.viridian.devices.netvsp.protocol.ReceiveScaleParameters.HASH_TCP_IPV4;
import static org.viridian.devices.netvsp.protocol.ReceiveScaleParameters.HASH_TCP_IPV6;
import static org.viridian.devices.netvsp.protocol.ReceiveScaleParameters.HASH_UDP_IPV4;
import static org.viridian.devices.netvsp.protocol.ReceiveScaleParameters.HASH_UDP_IPV6;

import java.util.Arrays;
import org.viridian.devices.netvsp.protocol.ReceiveScaleParameters;

/**
 * The guest's receive-side scaling settings as one immutable value (replaced whole when the guest sets new ones, so
 * the port's thread reads them without a lock): the hash types, the 40-byte Toeplitz key and the indirection table.
 * {@link #queue} picks a frame's receive queue: the Toeplitz hash of its IPv4/IPv6 addresses, and its TCP/UDP ports
 * when that type is hashed, through the table. Frames without such a tuple (ARP, fragments, other protocols) and
 * every frame while RSS is off go to queue 0, the primary channel.
 */
record ReceiveScaling(int hashInfo, byte[] key, int[] table) {
    /** Off: everything on the primary channel. */
    static final ReceiveScaling OFF = new ReceiveScaling(0, new byte[Toeplitz.KEY_SIZE], new int[0]);

    /** The settings after the guest's {@code p} (what it says is unchanged is kept from this). */
    ReceiveScaling with(ReceiveScaleParameters p) {
        if (p.disabled()) return OFF;
        int info = (p.flags() & ReceiveScaleParameters.FLAG_HASH_INFO_UNCHANGED) != 0 ? hashInfo : p.hashInfo();
        // A shorter key hashes as if padded with zeros; NDIS keys are 40 bytes.
        byte[] k = p.key() == null ? key : Arrays.copyOf(p.key(), Toeplitz.KEY_SIZE);
        int[] t = p.table() == null ? table : p.table();
        return new ReceiveScaling(info, k, t);
    }

    /** The receive queue (0 … queues-1) for the frame in {@code f[off, off+len)}. */
    int queue(byte[] f, int off, int len, int queues) {
        if (queues <= 1 || table.length == 0) return 0;
        int end = off + len, l3 = off + 14;
        if (l3 > end) return 0;
        int type = u16(f, off + 12);
        if (type == TransmitOffloads.ETHERTYPE_VLAN && l3 + 4 <= end) {
            type = u16(f, off + 16);
            l3 += 4;
        }
        int hash;
        if (type == TransmitOffloads.ETHERTYPE_IPV4 && l3 + 20 <= end && (f[l3] & 0xF0) == 0x40) {
            int l4 = l3 + (f[l3] & 15) * 4, proto = f[l3 + 9] & 0xFF;
            boolean fragment = (u16(f, l3 + 6) & 0x3FFF) != 0;
            boolean ports = !fragment && l4 + 4 <= end && hashes(proto, HASH_TCP_IPV4, HASH_UDP_IPV4);
            if (ports) hash = Toeplitz.hash(key, f, l3 + 12, 8, f, l4, 4);
            else if ((hashInfo & HASH_IPV4) != 0) hash = Toeplitz.hash(key, f, l3 + 12, 8, f, 0, 0);
            else return 0;
        } else if (type == TransmitOffloads.ETHERTYPE_IPV6 && l3 + 40 <= end && (f[l3] & 0xF0) == 0x60) {
            int l4 = l3 + 40, proto = f[l3 + 6] & 0xFF;
            boolean ports = l4 + 4 <= end && hashes(proto, HASH_TCP_IPV6, HASH_UDP_IPV6);
            if (ports) hash = Toeplitz.hash(key, f, l3 + 8, 32, f, l4, 4);
            else if ((hashInfo & HASH_IPV6) != 0) hash = Toeplitz.hash(key, f, l3 + 8, 32, f, 0, 0);
            else return 0;
        } else {
            return 0;
        }
        int entry = table[Integer.remainderUnsigned(hash, table.length)];
        return Integer.remainderUnsigned(entry, queues);
    }

    private boolean hashes(int proto, int tcp, int udp) {
        return proto == TransmitOffloads.PROTO_TCP && (hashInfo & tcp) != 0
                || proto == TransmitOffloads.PROTO_UDP && (hashInfo & udp) != 0;
    }

    private static int u16(byte[] f, int at) {
        return (f[at] & 0xFF) << 8 | f[at + 1] & 0xFF;
    }
}
