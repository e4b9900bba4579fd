package org.viridian.kvm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.viridian.kvm.sys.Libc;

/** A KVM virtual machine: memory slots, in-kernel interrupt controllers, MSR filter, eventfds, vCPUs. */
public final class KvmVm implements AutoCloseable {
    private final Kvm kvm;
    private final int fd;

    KvmVm(Kvm kvm, int fd) {
        this.kvm = kvm;
        this.fd = fd;
    }

    public int fd() {
        return fd;
    }

    public int checkExtension(int cap) {
        return kvm.checkExtension(cap);
    }

    /** Maps host memory at {@code hostAddress} as guest-physical [gpa, gpa+size) in memory slot {@code slot}. */
    public void setUserMemoryRegion(int slot, int flags, long gpa, long size, long hostAddress) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = a.allocate(32, 8);
            r.set(JAVA_INT, 0, slot);
            r.set(JAVA_INT, 4, flags);
            r.set(JAVA_LONG, 8, gpa);
            r.set(JAVA_LONG, 16, size);
            r.set(JAVA_LONG, 24, hostAddress);
            Libc.ioctl(fd, KvmIoctl.KVM_SET_USER_MEMORY_REGION, r, "KVM_SET_USER_MEMORY_REGION slot " + slot);
        }
    }

    /** Intel VMX needs three pages of guest-physical space for the real-mode TSS; placed just below the BIOS area. */
    public void setTssAddress(long gpa) {
        Libc.ioctl(fd, KvmIoctl.KVM_SET_TSS_ADDR, gpa, "KVM_SET_TSS_ADDR");
    }

    public void setIdentityMapAddress(long gpa) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocateFrom(JAVA_LONG, gpa);
            Libc.ioctl(fd, KvmIoctl.KVM_SET_IDENTITY_MAP_ADDR, v, "KVM_SET_IDENTITY_MAP_ADDR");
        }
    }

    /** In-kernel PIC, IOAPIC and per-vCPU LAPICs. */
    public void createIrqchip() {
        Libc.ioctl(fd, KvmIoctl.KVM_CREATE_IRQCHIP, 0, "KVM_CREATE_IRQCHIP");
    }

    /** In-kernel i8254 PIT; the speaker port is left to user space as a dummy. */
    public void createPit2() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cfg = a.allocate(64, 8);
            cfg.set(JAVA_INT, 0, KvmConst.KVM_PIT_SPEAKER_DUMMY);
            Libc.ioctl(fd, KvmIoctl.KVM_CREATE_PIT2, cfg, "KVM_CREATE_PIT2");
        }
    }

    /** Sizes of the VM-wide state structs: kvm_irqchip, kvm_pit_state2, kvm_clock_data. */
    public static final int IRQCHIP_SIZE = 520, PIT2_SIZE = 112, CLOCK_SIZE = 48;

    /** In-kernel interrupt controllers by kvm_irqchip.chip_id. */
    public static final int CHIP_PIC_MASTER = 0, CHIP_PIC_SLAVE = 1, CHIP_IOAPIC = 2;

    /** The raw kvm_irqchip of one in-kernel controller ({@link #CHIP_PIC_MASTER} …), for save/restore. */
    public byte[] irqchip(int chip) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(IRQCHIP_SIZE, 8);
            s.set(JAVA_INT, 0, chip);
            Libc.ioctl(fd, KvmIoctl.KVM_GET_IRQCHIP, s, "KVM_GET_IRQCHIP " + chip);
            return s.toArray(JAVA_BYTE);
        }
    }

    /** Puts back a controller's state that {@link #irqchip} gave (its chip_id says which). */
    public void setIrqchip(byte[] state) {
        setBlob(KvmIoctl.KVM_SET_IRQCHIP, state, IRQCHIP_SIZE, "KVM_SET_IRQCHIP");
    }

    /** The raw kvm_pit_state2 of the in-kernel PIT. */
    public byte[] pit2() {
        return getBlob(KvmIoctl.KVM_GET_PIT2, PIT2_SIZE, "KVM_GET_PIT2");
    }

    public void setPit2(byte[] state) {
        setBlob(KvmIoctl.KVM_SET_PIT2, state, PIT2_SIZE, "KVM_SET_PIT2");
    }

    /** The raw kvm_clock_data: kvmclock's time base, so a restored guest's kvmclock neither jumps nor runs back. */
    public byte[] clock() {
        return getBlob(KvmIoctl.KVM_GET_CLOCK, CLOCK_SIZE, "KVM_GET_CLOCK");
    }

    /** Sets kvmclock's base; only the clock value is taken (flags cleared: no realtime/host TSC pairing). */
    public void setClock(byte[] state) {
        byte[] s = state.clone();
        java.util.Arrays.fill(s, 8, s.length, (byte) 0);
        setBlob(KvmIoctl.KVM_SET_CLOCK, s, CLOCK_SIZE, "KVM_SET_CLOCK");
    }

    private byte[] getBlob(long request, int size, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(size, 8);
            Libc.ioctl(fd, request, s, what);
            return s.toArray(JAVA_BYTE);
        }
    }

    private void setBlob(long request, byte[] state, int size, String what) {
        if (state.length != size) throw new IllegalArgumentException(what + " state must be " + size + " bytes");
        try (Arena a = Arena.ofConfined()) {
            Libc.ioctl(fd, request, a.allocateFrom(JAVA_BYTE, state), what);
        }
    }

    /** Drives an IRQ line (GSI) of the in-kernel PIC/IOAPIC. */
    public void irqLine(int irq, boolean level) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(8, 4);
            v.set(JAVA_INT, 0, irq);
            v.set(JAVA_INT, 4, level ? 1 : 0);
            Libc.ioctl(fd, KvmIoctl.KVM_IRQ_LINE, v, "KVM_IRQ_LINE");
        }
    }

    /** Injects an MSI: this is how the SynIC delivers its interrupts to a chosen LAPIC and vector. */
    public int signalMsi(int addressLo, int addressHi, int data) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(32, 8);
            m.set(JAVA_INT, 0, addressLo);
            m.set(JAVA_INT, 4, addressHi);
            m.set(JAVA_INT, 8, data);
            return Libc.ioctl(fd, KvmIoctl.KVM_SIGNAL_MSI, m, "KVM_SIGNAL_MSI");
        }
    }

    public void enableCap(int cap, long... args) {
        enableCap(fd, cap, args);
    }

    /** KVM_ENABLE_CAP on a VM or vCPU file descriptor (struct kvm_enable_cap: cap, flags, args[4]). */
    static void enableCap(int fd, int cap, long... args) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(104, 8);
            c.set(JAVA_INT, 0, cap);
            for (int i = 0; i < Math.min(4, args.length); i++) c.set(JAVA_LONG, 8 + 8L * i, args[i]);
            Libc.ioctl(fd, KvmIoctl.KVM_ENABLE_CAP, c, "KVM_ENABLE_CAP " + cap);
        }
    }

    /** One range of an MSR filter: MSRs [base, base+count) with a permission bitmap (bit set = allowed in kernel). */
    public record MsrFilterRange(int flags, int base, int count, byte[] bitmap) {}

    /** Installs an MSR filter; denied MSRs exit to user space when KVM_CAP_X86_USER_SPACE_MSR has FILTER enabled. */
    public void setMsrFilter(int defaultAction, List<MsrFilterRange> ranges) {
        if (ranges.size() > KvmConst.KVM_MSR_FILTER_MAX_RANGES)
            throw new IllegalArgumentException("too many MSR ranges");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(392, 8);
            f.set(JAVA_INT, 0, defaultAction);
            for (int i = 0; i < ranges.size(); i++) {
                MsrFilterRange r = ranges.get(i);
                long o = 8 + 24L * i;
                f.set(JAVA_INT, o, r.flags());
                f.set(JAVA_INT, o + 4, r.count());
                f.set(JAVA_INT, o + 8, r.base());
                f.set(
                        JAVA_LONG,
                        o + 16,
                        a.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, r.bitmap())
                                .address());
            }
            Libc.ioctl(fd, KvmIoctl.KVM_X86_SET_MSR_FILTER, f, "KVM_X86_SET_MSR_FILTER");
        }
    }

    /** Makes guest writes to a port or MMIO address signal an eventfd in the kernel, with no exit to user space. */
    public void ioeventfd(long address, int length, int eventFd, boolean pio, Long datamatch) {
        ioeventfd(address, length, eventFd, pio, datamatch, false);
    }

    /** {@link #ioeventfd} with {@code deassign}: undoes an assignment made with the same arguments. */
    public void ioeventfd(long address, int length, int eventFd, boolean pio, Long datamatch, boolean deassign) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment e = a.allocate(64, 8);
            e.set(JAVA_LONG, 0, datamatch == null ? 0 : datamatch);
            e.set(JAVA_LONG, 8, address);
            e.set(JAVA_INT, 16, length);
            e.set(JAVA_INT, 20, eventFd);
            int flags = (pio ? KvmConst.KVM_IOEVENTFD_FLAG_PIO : 0)
                    | (datamatch != null ? KvmConst.KVM_IOEVENTFD_FLAG_DATAMATCH : 0)
                    | (deassign ? KvmConst.KVM_IOEVENTFD_FLAG_DEASSIGN : 0);
            e.set(JAVA_INT, 24, flags);
            Libc.ioctl(fd, KvmIoctl.KVM_IOEVENTFD, e, "KVM_IOEVENTFD");
        }
    }

    /** Makes a write to {@code eventFd} raise GSI {@code gsi} in the in-kernel irqchip. */
    public void irqfd(int eventFd, int gsi) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment e = a.allocate(32, 8);
            e.set(JAVA_INT, 0, eventFd);
            e.set(JAVA_INT, 4, gsi);
            Libc.ioctl(fd, KvmIoctl.KVM_IRQFD, e, "KVM_IRQFD");
        }
    }

    /** Fetches (and resets) the dirty bitmap of a slot created with KVM_MEM_LOG_DIRTY_PAGES: one bit per 4 KiB page. */
    public void getDirtyLog(int slot, MemorySegment bitmap) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment d = a.allocate(16, 8);
            d.set(JAVA_INT, 0, slot);
            d.set(JAVA_LONG, 8, bitmap.address());
            Libc.ioctl(fd, KvmIoctl.KVM_GET_DIRTY_LOG, d, "KVM_GET_DIRTY_LOG slot " + slot);
        }
    }

    public KvmVcpu createVcpu(int id) {
        int vcpuFd = Libc.ioctl(fd, KvmIoctl.KVM_CREATE_VCPU, id, "KVM_CREATE_VCPU " + id);
        MemorySegment run = Libc.mmap(kvm.vcpuMmapSize(), Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, vcpuFd, 0);
        return new KvmVcpu(id, vcpuFd, run);
    }

    @Override
    public void close() {
        Libc.close(fd);
    }
}
