package org.viridian.kvm;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.viridian.kvm.sys.Libc;
import org.viridian.x86.CpuidEntry;

/** The KVM system handle (/dev/kvm): capability queries, host CPUID/MSR lists, and VM creation. */
public final class Kvm implements AutoCloseable {
    public static final String DEVICE = "/dev/kvm";
    private final int fd;

    private Kvm(int fd) {
        this.fd = fd;
    }

    /** Opens /dev/kvm; a failure names the device and errno (e.g. ENOENT when absent, EACCES without permission). */
    public static Kvm open() {
        return new Kvm(Libc.open(DEVICE, Libc.O_RDWR | Libc.O_CLOEXEC));
    }

    public int apiVersion() {
        return Libc.ioctl(fd, KvmIoctl.KVM_GET_API_VERSION, 0, "KVM_GET_API_VERSION");
    }

    /** KVM_CHECK_EXTENSION: 0 when unsupported, otherwise a capability-specific positive value. */
    public int checkExtension(int cap) {
        return Libc.ioctl(fd, KvmIoctl.KVM_CHECK_EXTENSION, cap, "KVM_CHECK_EXTENSION");
    }

    public int vcpuMmapSize() {
        return Libc.ioctl(fd, KvmIoctl.KVM_GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE");
    }

    /** The CPUID leaves this KVM can present to a guest (the starting point of a VM's CPUID policy). */
    public List<CpuidEntry> supportedCpuid() {
        int max = 256;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(8 + max * RegsCodec.CPUID_ENTRY_SIZE, 8);
            buf.set(JAVA_INT, 0, max);
            Libc.ioctl(fd, KvmIoctl.KVM_GET_SUPPORTED_CPUID, buf, "KVM_GET_SUPPORTED_CPUID");
            return CpuidCodec.read(buf);
        }
    }

    /** KVM_GET_MSR_INDEX_LIST: the MSRs to save and restore. */
    public int[] msrIndexList() {
        int max = 1024;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(4 + max * 4L, 4);
            buf.set(JAVA_INT, 0, max);
            Libc.ioctl(fd, KvmIoctl.KVM_GET_MSR_INDEX_LIST, buf, "KVM_GET_MSR_INDEX_LIST");
            int n = buf.get(JAVA_INT, 0);
            return buf.asSlice(4, n * 4L).toArray(JAVA_INT);
        }
    }

    public KvmVm createVm() {
        int vmFd = Libc.ioctl(fd, KvmIoctl.KVM_CREATE_VM, 0, "KVM_CREATE_VM");
        return new KvmVm(this, vmFd);
    }

    /** Capabilities this KVM lacks among {@code caps}, for host checks and clear start-up errors. */
    public List<Integer> missing(int... caps) {
        List<Integer> out = new ArrayList<>();
        for (int c : caps) if (checkExtension(c) <= 0) out.add(c);
        return out;
    }

    @Override
    public void close() {
        Libc.close(fd);
    }
}
