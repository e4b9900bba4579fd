package org.viridian.kvm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemorySegment;

/**
 * The vCPU's shared struct kvm_run (mmap of the vCPU fd): why KVM_RUN returned and the exit's data. Offsets are those
 * of linux/kvm.h on x86-64 (checked by KvmLayoutTest). Only the vCPU's own thread reads it, between KVM_RUN calls.
 */
public final class KvmRun {
    static final long IMMEDIATE_EXIT = 1, EXIT_REASON = 8, IF_FLAG = 13, UNION = 32;
    static final long IO_DIRECTION = UNION,
            IO_SIZE = UNION + 1,
            IO_PORT = UNION + 2,
            IO_COUNT = UNION + 4,
            IO_DATA_OFFSET = UNION + 8;
    static final long MMIO_PHYS_ADDR = UNION, MMIO_DATA = UNION + 8, MMIO_LEN = UNION + 16, MMIO_IS_WRITE = UNION + 20;
    static final long INTERNAL_SUBERROR = UNION, INTERNAL_NDATA = UNION + 4, INTERNAL_DATA = UNION + 8;
    static final long EMUL_FLAGS = UNION + 8, EMUL_INSN_SIZE = UNION + 16, EMUL_INSN_BYTES = UNION + 17;
    static final long MSR_ERROR = UNION, MSR_REASON = UNION + 8, MSR_INDEX = UNION + 12, MSR_DATA = UNION + 16;
    static final long FAIL_ENTRY_REASON = UNION, FAIL_ENTRY_CPU = UNION + 8;
    static final long SYSTEM_EVENT_TYPE = UNION;
    /** KVM_CAP_SYNC_REGS: which register sets KVM copies out at every exit, and RIP's place in struct kvm_sync_regs. */
    static final long SYNC_VALID_REGS = 288, SYNC_RIP = 304 + 128;

    private final MemorySegment run;

    KvmRun(MemorySegment run) {
        this.run = run;
    }

    /**
     * Asks KVM to copy register sets ({@code KVM_SYNC_X86_REGS}: RIP and the general registers) into this struct at
     * every exit, so they can be read without an ioctl. Only for VPs of a VM that has KVM_CAP_SYNC_REGS; nothing is
     * ever written back (kvm_dirty_regs stays 0).
     */
    public void setSyncedRegisters(long kvmSyncMask) {
        run.set(JAVA_LONG, SYNC_VALID_REGS, kvmSyncMask);
    }

    /** RIP at the last exit; valid only after {@link #setSyncedRegisters} with KVM_SYNC_X86_REGS. */
    public long syncedRip() {
        return run.get(JAVA_LONG, SYNC_RIP);
    }

    public int exitReason() {
        return run.get(JAVA_INT, EXIT_REASON);
    }

    public void setImmediateExit(boolean on) {
        run.set(JAVA_BYTE, IMMEDIATE_EXIT, (byte) (on ? 1 : 0));
    }

    // --- KVM_EXIT_IO: count items of size bytes each at data_offset inside this mapping.
    public boolean ioIsOut() {
        return run.get(JAVA_BYTE, IO_DIRECTION) == KvmConst.KVM_EXIT_IO_OUT;
    }

    public int ioSize() {
        return run.get(JAVA_BYTE, IO_SIZE);
    }

    public int ioPort() {
        return Short.toUnsignedInt(run.get(JAVA_SHORT, IO_PORT));
    }

    public int ioCount() {
        return run.get(JAVA_INT, IO_COUNT);
    }

    /** The data area of an I/O exit: count × size bytes that KVM copies to/from the guest (rep ins/outs included). */
    public MemorySegment ioData() {
        long off = run.get(JAVA_LONG, IO_DATA_OFFSET);
        long len = (long) ioCount() * ioSize();
        return run.asSlice(off, len);
    }

    // --- KVM_EXIT_MMIO.
    public long mmioAddress() {
        return run.get(JAVA_LONG, MMIO_PHYS_ADDR);
    }

    public int mmioLength() {
        return run.get(JAVA_INT, MMIO_LEN);
    }

    public boolean mmioIsWrite() {
        return run.get(JAVA_BYTE, MMIO_IS_WRITE) != 0;
    }

    public MemorySegment mmioData() {
        return run.asSlice(MMIO_DATA, 8);
    }

    // --- KVM_EXIT_X86_RDMSR / WRMSR: user space fills data (reads) and sets error to inject #GP.
    public int msrIndex() {
        return run.get(JAVA_INT, MSR_INDEX);
    }

    public int msrReason() {
        return run.get(JAVA_INT, MSR_REASON);
    }

    public long msrData() {
        return run.get(JAVA_LONG, MSR_DATA);
    }

    public void setMsrData(long value) {
        run.set(JAVA_LONG, MSR_DATA, value);
    }

    public void setMsrError(boolean gp) {
        run.set(JAVA_BYTE, MSR_ERROR, (byte) (gp ? 1 : 0));
    }

    // --- KVM_EXIT_INTERNAL_ERROR.
    public int internalSuberror() {
        return run.get(JAVA_INT, INTERNAL_SUBERROR);
    }

    public long[] internalData() {
        int n = Math.min(16, Math.max(0, run.get(JAVA_INT, INTERNAL_NDATA)));
        return run.asSlice(INTERNAL_DATA, n * 8L).toArray(JAVA_LONG);
    }

    /** Instruction bytes KVM reports with an emulation failure, when it sets the flag; empty otherwise. */
    public byte[] emulationInstructionBytes() {
        if (internalSuberror() != KvmConst.KVM_INTERNAL_ERROR_EMULATION
                || (run.get(JAVA_LONG, EMUL_FLAGS) & KvmConst.KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)
                        == 0) {
            return new byte[0];
        }
        int n = Math.min(15, Byte.toUnsignedInt(run.get(JAVA_BYTE, EMUL_INSN_SIZE)));
        return run.asSlice(EMUL_INSN_BYTES, n).toArray(JAVA_BYTE);
    }

    // --- KVM_EXIT_FAIL_ENTRY / KVM_EXIT_SYSTEM_EVENT.
    public long failEntryReason() {
        return run.get(JAVA_LONG, FAIL_ENTRY_REASON);
    }

    public int systemEventType() {
        return run.get(JAVA_INT, SYSTEM_EVENT_TYPE);
    }
}
