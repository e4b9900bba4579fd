package org.viridian.kvm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.OptionalLong;
import org.viridian.kvm.sys.Libc;
import org.viridian.x86.CpuidEntry;
import org.viridian.x86.Regs;
import org.viridian.x86.Sregs;

/**
 * A KVM virtual CPU: state get/set and KVM_RUN. KVM_RUN is a plain (non-critical) downcall so a long-running guest
 * never
 * holds up a GC safepoint. Must only be run from one platform thread.
 */
public final class KvmVcpu implements AutoCloseable {
    private final int id;
    private final int fd;
    private final MemorySegment runMapping;
    private final KvmRun run;

    KvmVcpu(int id, int fd, MemorySegment runMapping) {
        this.id = id;
        this.fd = fd;
        this.runMapping = runMapping;
        this.run = new KvmRun(runMapping);
    }

    public int id() {
        return id;
    }

    public KvmRun runState() {
        return run;
    }

    /** Enters the guest. Returns 0 after an exit to user space, or -errno (-EINTR after a kick). */
    public int run() {
        return Libc.ioctlRaw(fd, KvmIoctl.KVM_RUN, 0);
    }

    private MemorySegment get(Arena a, long request, long size, String what) {
        MemorySegment s = a.allocate(size, 8);
        Libc.ioctl(fd, request, s, what);
        return s;
    }

    public Regs regs() {
        try (Arena a = Arena.ofConfined()) {
            return RegsCodec.readRegs(get(a, KvmIoctl.KVM_GET_REGS, RegsCodec.REGS_SIZE, "KVM_GET_REGS"));
        }
    }

    public void setRegs(Regs regs) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(RegsCodec.REGS_SIZE, 8);
            RegsCodec.write(regs, s);
            Libc.ioctl(fd, KvmIoctl.KVM_SET_REGS, s, "KVM_SET_REGS");
        }
    }

    public Sregs sregs() {
        try (Arena a = Arena.ofConfined()) {
            return RegsCodec.readSregs(get(a, KvmIoctl.KVM_GET_SREGS, RegsCodec.SREGS_SIZE, "KVM_GET_SREGS"));
        }
    }

    public void setSregs(Sregs sregs) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(RegsCodec.SREGS_SIZE, 8);
            RegsCodec.write(sregs, s);
            Libc.ioctl(fd, KvmIoctl.KVM_SET_SREGS, s, "KVM_SET_SREGS");
        }
    }

    /** Opaque state blobs, for save/restore: each is the raw kernel struct. */
    public enum Blob {
        FPU(KvmIoctl.KVM_GET_FPU, KvmIoctl.KVM_SET_FPU, 416),
        XSAVE(KvmIoctl.KVM_GET_XSAVE, KvmIoctl.KVM_SET_XSAVE, 4096),
        XCRS(KvmIoctl.KVM_GET_XCRS, KvmIoctl.KVM_SET_XCRS, 392),
        LAPIC(KvmIoctl.KVM_GET_LAPIC, KvmIoctl.KVM_SET_LAPIC, 1024),
        VCPU_EVENTS(KvmIoctl.KVM_GET_VCPU_EVENTS, KvmIoctl.KVM_SET_VCPU_EVENTS, 64),
        MP_STATE(KvmIoctl.KVM_GET_MP_STATE, KvmIoctl.KVM_SET_MP_STATE, 4),
        DEBUGREGS(KvmIoctl.KVM_GET_DEBUGREGS, KvmIoctl.KVM_SET_DEBUGREGS, 128);
        final long getRequest, setRequest;
        final int size;

        Blob(long get, long set, int size) {
            this.getRequest = get;
            this.setRequest = set;
            this.size = size;
        }
    }

    public byte[] getBlob(Blob b) {
        try (Arena a = Arena.ofConfined()) {
            return get(a, b.getRequest, b.size, "KVM_GET_" + b).toArray(JAVA_BYTE);
        }
    }

    /** Restores a blob. FPU/SSE state must go through XSAVE: KVM_SET_FPU on a fresh vCPU is silently lost. */
    public void setBlob(Blob b, byte[] data) {
        if (data.length != b.size) throw new IllegalArgumentException(b + " blob must be " + b.size + " bytes");
        try (Arena a = Arena.ofConfined()) {
            Libc.ioctl(fd, b.setRequest, a.allocateFrom(JAVA_BYTE, data), "KVM_SET_" + b);
        }
    }

    /** The guest TSC frequency in kHz (the host's unless KVM_SET_TSC_KHZ changed it). */
    public long tscKhz() {
        return Libc.ioctl(fd, KvmIoctl.KVM_GET_TSC_KHZ, 0L, "KVM_GET_TSC_KHZ");
    }

    public int mpState() {
        try (Arena a = Arena.ofConfined()) {
            return get(a, KvmIoctl.KVM_GET_MP_STATE, 4, "KVM_GET_MP_STATE").get(JAVA_INT, 0);
        }
    }

    public void setMpState(int state) {
        try (Arena a = Arena.ofConfined()) {
            Libc.ioctl(fd, KvmIoctl.KVM_SET_MP_STATE, a.allocateFrom(JAVA_INT, state), "KVM_SET_MP_STATE");
        }
    }

    public void setCpuid(List<CpuidEntry> entries) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(8 + entries.size() * RegsCodec.CPUID_ENTRY_SIZE, 8);
            CpuidCodec.write(buf, entries);
            Libc.ioctl(fd, KvmIoctl.KVM_SET_CPUID2, buf, "KVM_SET_CPUID2");
        }
    }

    /** KVM_ENABLE_CAP on this vCPU (e.g. KVM_CAP_HYPERV_SYNIC2). */
    public void enableCap(int cap, long... args) {
        KvmVm.enableCap(fd, cap, args);
    }

    /** Reads MSRs; returns their values in order (KVM_GET_MSRS stops at the first it cannot read: that is an error). */
    public long[] getMsrs(int... indices) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = msrBuffer(a, indices, new long[indices.length]);
            int n = Libc.ioctl(fd, KvmIoctl.KVM_GET_MSRS, buf, "KVM_GET_MSRS");
            if (n != indices.length) {
                throw new IllegalStateException(String.format("KVM_GET_MSRS: MSR 0x%x not readable", indices[n]));
            }
            long[] out = new long[n];
            for (int i = 0; i < n; i++) out[i] = buf.get(JAVA_LONG, 8 + 16L * i + 8);
            return out;
        }
    }

    /**
     * Reads as many of {@code indices} as KVM will, in order, into {@code out}; returns how many it read (KVM stops at
     * the first MSR it cannot read, which the caller may skip and go on after).
     */
    public int readMsrs(int[] indices, long[] out) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = msrBuffer(a, indices, new long[indices.length]);
            int n = Libc.ioctl(fd, KvmIoctl.KVM_GET_MSRS, buf, "KVM_GET_MSRS");
            for (int i = 0; i < n; i++) out[i] = buf.get(JAVA_LONG, 8 + 16L * i + 8);
            return n;
        }
    }

    /** Writes as many of {@code indices} as KVM takes, in order; returns how many (it stops at the first it refuses). */
    public int writeMsrs(int[] indices, long[] values) {
        try (Arena a = Arena.ofConfined()) {
            return Libc.ioctl(fd, KvmIoctl.KVM_SET_MSRS, msrBuffer(a, indices, values), "KVM_SET_MSRS");
        }
    }

    public void setMsrs(int[] indices, long[] values) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = msrBuffer(a, indices, values);
            int n = Libc.ioctl(fd, KvmIoctl.KVM_SET_MSRS, buf, "KVM_SET_MSRS");
            if (n != indices.length) {
                throw new IllegalStateException(String.format("KVM_SET_MSRS: MSR 0x%x not writable", indices[n]));
            }
        }
    }

    private static MemorySegment msrBuffer(Arena a, int[] indices, long[] values) {
        MemorySegment buf = a.allocate(8 + 16L * indices.length, 8);
        buf.set(JAVA_INT, 0, indices.length);
        for (int i = 0; i < indices.length; i++) {
            buf.set(JAVA_INT, 8 + 16L * i, indices[i]);
            buf.set(JAVA_LONG, 8 + 16L * i + 8, values[i]);
        }
        return buf;
    }

    /** KVM_SET_SIGNAL_MASK: the signal mask in force only while this vCPU is inside KVM_RUN (8-byte kernel sigset). */
    public void setSignalMask(long kernelSigset) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(16, 8);
            m.set(JAVA_INT, 0, 8);
            // struct kvm_signal_mask { __u32 len; __u8 sigset[0]; }: sigset starts right after len, at offset 4.
            m.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 4, kernelSigset);
            Libc.ioctl(fd, KvmIoctl.KVM_SET_SIGNAL_MASK, m, "KVM_SET_SIGNAL_MASK");
        }
    }

    /**
     * Queues an exception for delivery at the next entry (KVM_SET_VCPU_EVENTS), e.g. #UD for a hypercall from CPL3 or
     * #GP for a bad synthetic-MSR access made through a port.
     */
    public void injectException(int vector, Integer errorCode) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ev = get(a, KvmIoctl.KVM_GET_VCPU_EVENTS, 64, "KVM_GET_VCPU_EVENTS");
            ev.set(JAVA_BYTE, EV_EXC_INJECTED, (byte) 1);
            ev.set(JAVA_BYTE, EV_EXC_NR, (byte) vector);
            ev.set(JAVA_BYTE, EV_EXC_HAS_ERROR_CODE, (byte) (errorCode != null ? 1 : 0));
            ev.set(JAVA_BYTE, EV_EXC_PENDING, (byte) 0);
            ev.set(JAVA_INT, EV_EXC_ERROR_CODE, errorCode != null ? errorCode : 0);
            ev.set(JAVA_INT, EV_FLAGS, 0); // leave NMI, SIPI vector, interrupt shadow and SMM state untouched
            Libc.ioctl(fd, KvmIoctl.KVM_SET_VCPU_EVENTS, ev, "KVM_SET_VCPU_EVENTS");
        }
    }

    static final long EV_EXC_INJECTED = 0,
            EV_EXC_NR = 1,
            EV_EXC_HAS_ERROR_CODE = 2,
            EV_EXC_PENDING = 3,
            EV_EXC_ERROR_CODE = 4,
            EV_FLAGS = 20;

    /** Translates a guest linear address through the vCPU's current paging mode; empty when not mapped. */
    public OptionalLong translate(long linear) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment t = a.allocate(24, 8);
            t.set(JAVA_LONG, 0, linear);
            Libc.ioctl(fd, KvmIoctl.KVM_TRANSLATE, t, "KVM_TRANSLATE");
            boolean valid = t.get(JAVA_BYTE, 16) != 0;
            return valid ? OptionalLong.of(t.get(JAVA_LONG, 8)) : OptionalLong.empty();
        }
    }

    @Override
    public void close() {
        Libc.munmap(runMapping);
        Libc.close(fd);
    }
}
