package org.viridian.kvm;

/** Numeric constants of the KVM API (linux/kvm.h) that Viridian uses; checked against the header by KvmLayoutTest. */
public final class KvmConst {
    private KvmConst() {}

    public static final int KVM_API_VERSION = 12;

    // Exit reasons (kvm_run.exit_reason).
    public static final int KVM_EXIT_UNKNOWN = 0,
            KVM_EXIT_EXCEPTION = 1,
            KVM_EXIT_IO = 2,
            KVM_EXIT_HYPERCALL = 3,
            KVM_EXIT_DEBUG = 4,
            KVM_EXIT_HLT = 5,
            KVM_EXIT_MMIO = 6,
            KVM_EXIT_IRQ_WINDOW_OPEN = 7,
            KVM_EXIT_SHUTDOWN = 8,
            KVM_EXIT_FAIL_ENTRY = 9,
            KVM_EXIT_INTR = 10,
            KVM_EXIT_NMI = 16,
            KVM_EXIT_INTERNAL_ERROR = 17,
            KVM_EXIT_SYSTEM_EVENT = 24,
            KVM_EXIT_IOAPIC_EOI = 26,
            KVM_EXIT_X86_RDMSR = 29,
            KVM_EXIT_X86_WRMSR = 30,
            KVM_EXIT_DIRTY_RING_FULL = 31,
            KVM_EXIT_X86_BUS_LOCK = 33,
            KVM_EXIT_NOTIFY = 37;
    public static final int KVM_EXIT_IO_IN = 0, KVM_EXIT_IO_OUT = 1;
    public static final int KVM_INTERNAL_ERROR_EMULATION = 1,
            KVM_INTERNAL_ERROR_SIMUL_EX = 2,
            KVM_INTERNAL_ERROR_DELIVERY_EV = 3,
            KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON = 4;
    public static final long KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES = 1;
    public static final int KVM_SYSTEM_EVENT_SHUTDOWN = 1, KVM_SYSTEM_EVENT_RESET = 2, KVM_SYSTEM_EVENT_CRASH = 3;
    public static final int KVM_MSR_EXIT_REASON_INVAL = 1,
            KVM_MSR_EXIT_REASON_UNKNOWN = 2,
            KVM_MSR_EXIT_REASON_FILTER = 4;
    public static final int KVM_MSR_FILTER_READ = 1, KVM_MSR_FILTER_WRITE = 2;
    public static final int KVM_MSR_FILTER_DEFAULT_ALLOW = 0, KVM_MSR_FILTER_DEFAULT_DENY = 1;
    public static final int KVM_MSR_FILTER_MAX_RANGES = 16;

    public static final int KVM_MP_STATE_RUNNABLE = 0,
            KVM_MP_STATE_UNINITIALIZED = 1,
            KVM_MP_STATE_INIT_RECEIVED = 2,
            KVM_MP_STATE_HALTED = 3,
            KVM_MP_STATE_SIPI_RECEIVED = 4;
    public static final int KVM_MEM_LOG_DIRTY_PAGES = 1, KVM_MEM_READONLY = 2;
    public static final int KVM_IOEVENTFD_FLAG_DATAMATCH = 1,
            KVM_IOEVENTFD_FLAG_PIO = 2,
            KVM_IOEVENTFD_FLAG_DEASSIGN = 4;
    public static final int KVM_IRQFD_FLAG_DEASSIGN = 1;
    public static final int KVM_PIT_SPEAKER_DUMMY = 1;

    // Capabilities (KVM_CHECK_EXTENSION).
    public static final int KVM_CAP_IRQCHIP = 0,
            KVM_CAP_HLT = 1,
            KVM_CAP_USER_MEMORY = 3,
            KVM_CAP_SET_TSS_ADDR = 4,
            KVM_CAP_EXT_CPUID = 7,
            KVM_CAP_NR_VCPUS = 9,
            KVM_CAP_NR_MEMSLOTS = 10,
            KVM_CAP_MP_STATE = 14,
            KVM_CAP_IRQ_ROUTING = 25,
            KVM_CAP_IRQ_INJECT_STATUS = 26,
            KVM_CAP_IOEVENTFD = 36,
            KVM_CAP_SET_IDENTITY_MAP_ADDR = 37,
            KVM_CAP_ADJUST_CLOCK = 39,
            KVM_CAP_VCPU_EVENTS = 41,
            KVM_CAP_PIT2 = 33,
            KVM_CAP_IRQFD = 32,
            KVM_CAP_XSAVE = 55,
            KVM_CAP_XCRS = 56,
            KVM_CAP_TSC_DEADLINE_TIMER = 72,
            KVM_CAP_SIGNAL_MSI = 77,
            KVM_CAP_SYNC_REGS = 74,
            KVM_CAP_MAX_VCPUS = 66,
            KVM_SYNC_X86_REGS = 1,
            KVM_CAP_IMMEDIATE_EXIT = 136,
            KVM_CAP_X86_USER_SPACE_MSR = 188,
            KVM_CAP_X86_MSR_FILTER = 189,
            KVM_CAP_HYPERV = 44,
            KVM_CAP_HYPERV_SYNIC = 123,
            KVM_CAP_HYPERV_SYNIC2 = 148,
            KVM_CAP_HYPERV_TLBFLUSH = 155,
            KVM_CAP_HYPERV_SEND_IPI = 161;
}
