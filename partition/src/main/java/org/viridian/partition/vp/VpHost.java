package org.viridian.partition.vp;

import java.util.OptionalLong;

/** What a virtual processor needs from its partition: device dispatch, scheduling, and how to end. */
public interface VpHost {
    /** Whether the partition wants its VPs parked (the VP then settles its last exit first). */
    boolean pauseRequested();

    /** Blocks while the partition is paused; false when the VP must stop. */
    boolean awaitRunnable(VirtualProcessor vp);

    int portRead(VirtualProcessor vp, int port, int size);

    void portWrite(VirtualProcessor vp, int port, int size, int value);

    long mmioRead(VirtualProcessor vp, long address, int size);

    void mmioWrite(VirtualProcessor vp, long address, int size, long value);

    OptionalLong msrRead(int vp, int msr);

    boolean msrWrite(int vp, int msr, long value);

    /** KVM could not emulate or deliver something; returns true if it was handled and the VP may continue. */
    boolean internalError(VirtualProcessor vp, int suberror, long[] data, byte[] instructionBytes);

    void systemEvent(VirtualProcessor vp, int type);

    void crash(VirtualProcessor vp, String reason, byte[] instructionBytes);

    void stopped(VirtualProcessor vp);
}
