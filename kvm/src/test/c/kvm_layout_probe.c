/* Prints the linux/kvm.h numbers and struct offsets that Viridian's Java binding hard-codes, one "NAME VALUE" a line. */
#include <stdio.h>
#include <stddef.h>
#include <linux/kvm.h>

#define P(name) printf("%s %llu\n", #name, (unsigned long long)(name))
#define OFF(s, f) printf("offsetof(%s.%s) %zu\n", #s, #f, offsetof(struct s, f))
#define SZ(s) printf("sizeof(%s) %zu\n", #s, sizeof(struct s))

int main(void) {
    P(KVM_GET_API_VERSION); P(KVM_CREATE_VM); P(KVM_GET_MSR_INDEX_LIST); P(KVM_CHECK_EXTENSION);
    P(KVM_GET_VCPU_MMAP_SIZE); P(KVM_GET_SUPPORTED_CPUID); P(KVM_CREATE_VCPU); P(KVM_GET_DIRTY_LOG);
    P(KVM_SET_USER_MEMORY_REGION); P(KVM_SET_TSS_ADDR); P(KVM_SET_IDENTITY_MAP_ADDR); P(KVM_CREATE_IRQCHIP);
    P(KVM_IRQ_LINE); P(KVM_IRQFD); P(KVM_CREATE_PIT2); P(KVM_IOEVENTFD); P(KVM_SIGNAL_MSI); P(KVM_ENABLE_CAP);
    P(KVM_X86_SET_MSR_FILTER); P(KVM_GET_CLOCK); P(KVM_SET_CLOCK); P(KVM_RUN); P(KVM_GET_REGS); P(KVM_SET_REGS);
    P(KVM_GET_SREGS); P(KVM_SET_SREGS); P(KVM_TRANSLATE); P(KVM_SET_SIGNAL_MASK); P(KVM_GET_FPU); P(KVM_SET_FPU);
    P(KVM_GET_MSRS); P(KVM_SET_MSRS); P(KVM_GET_LAPIC); P(KVM_SET_LAPIC); P(KVM_SET_CPUID2); P(KVM_GET_MP_STATE); P(KVM_GET_TSC_KHZ);
    P(KVM_SET_MP_STATE); P(KVM_GET_VCPU_EVENTS); P(KVM_SET_VCPU_EVENTS); P(KVM_GET_XSAVE); P(KVM_SET_XSAVE);
    P(KVM_GET_XCRS); P(KVM_SET_XCRS); P(KVM_SET_GUEST_DEBUG);
    P(KVM_GET_IRQCHIP); P(KVM_SET_IRQCHIP); P(KVM_GET_PIT2); P(KVM_SET_PIT2); P(KVM_GET_DEBUGREGS); P(KVM_SET_DEBUGREGS);

    P(KVM_API_VERSION); P(KVM_EXIT_IO); P(KVM_EXIT_HLT); P(KVM_EXIT_MMIO); P(KVM_EXIT_SHUTDOWN); P(KVM_EXIT_FAIL_ENTRY);
    P(KVM_EXIT_INTR); P(KVM_EXIT_INTERNAL_ERROR); P(KVM_EXIT_SYSTEM_EVENT); P(KVM_EXIT_X86_RDMSR); P(KVM_EXIT_X86_WRMSR);
    P(KVM_EXIT_IO_OUT); P(KVM_INTERNAL_ERROR_EMULATION); P(KVM_SYSTEM_EVENT_SHUTDOWN); P(KVM_SYSTEM_EVENT_RESET);
    P(KVM_MSR_EXIT_REASON_FILTER); P(KVM_MSR_EXIT_REASON_UNKNOWN); P(KVM_MSR_FILTER_READ); P(KVM_MSR_FILTER_WRITE);
    P(KVM_MSR_FILTER_DEFAULT_DENY); P(KVM_MSR_FILTER_MAX_RANGES); P(KVM_MP_STATE_UNINITIALIZED); P(KVM_MP_STATE_HALTED);
    P(KVM_MEM_LOG_DIRTY_PAGES); P(KVM_IOEVENTFD_FLAG_PIO); P(KVM_IOEVENTFD_FLAG_DATAMATCH); P(KVM_PIT_SPEAKER_DUMMY);
    P(KVM_CAP_IRQCHIP); P(KVM_CAP_USER_MEMORY); P(KVM_CAP_SET_TSS_ADDR); P(KVM_CAP_EXT_CPUID); P(KVM_CAP_NR_VCPUS);
    P(KVM_CAP_MP_STATE); P(KVM_CAP_IOEVENTFD); P(KVM_CAP_SET_IDENTITY_MAP_ADDR); P(KVM_CAP_VCPU_EVENTS);
    P(KVM_CAP_PIT2); P(KVM_CAP_IRQFD); P(KVM_CAP_XSAVE); P(KVM_CAP_XCRS); P(KVM_CAP_SIGNAL_MSI); P(KVM_CAP_SYNC_REGS);
    P(KVM_CAP_MAX_VCPUS); P(KVM_CAP_IMMEDIATE_EXIT); P(KVM_CAP_X86_USER_SPACE_MSR); P(KVM_CAP_X86_MSR_FILTER);
    P(KVM_CAP_HYPERV); P(KVM_CAP_HYPERV_SYNIC); P(KVM_CAP_TSC_DEADLINE_TIMER);

    SZ(kvm_regs); SZ(kvm_sregs); SZ(kvm_segment); SZ(kvm_dtable); SZ(kvm_cpuid_entry2); SZ(kvm_msr_entry);
    SZ(kvm_userspace_memory_region); SZ(kvm_msi); SZ(kvm_enable_cap); SZ(kvm_msr_filter); SZ(kvm_msr_filter_range);
    SZ(kvm_ioeventfd); SZ(kvm_irqfd); SZ(kvm_translation); SZ(kvm_fpu); SZ(kvm_lapic_state); SZ(kvm_xsave);
    SZ(kvm_vcpu_events); SZ(kvm_pit_config); SZ(kvm_xcrs); SZ(kvm_dirty_log);
    SZ(kvm_irqchip); SZ(kvm_pit_state2); SZ(kvm_debugregs); SZ(kvm_clock_data);
    OFF(kvm_sregs, gdt); OFF(kvm_sregs, idt); OFF(kvm_sregs, cr0); OFF(kvm_sregs, efer); OFF(kvm_sregs, apic_base);
    OFF(kvm_sregs, interrupt_bitmap); OFF(kvm_segment, selector); OFF(kvm_segment, type); OFF(kvm_segment, unusable);
    OFF(kvm_run, immediate_exit); OFF(kvm_run, exit_reason); OFF(kvm_run, if_flag); OFF(kvm_run, io);
    OFF(kvm_run, io.size); OFF(kvm_run, io.port); OFF(kvm_run, io.count); OFF(kvm_run, io.data_offset);
    OFF(kvm_run, mmio.data); OFF(kvm_run, mmio.len); OFF(kvm_run, mmio.is_write);
    OFF(kvm_run, internal.ndata); OFF(kvm_run, internal.data); OFF(kvm_run, emulation_failure.flags);
    OFF(kvm_run, emulation_failure.insn_size); OFF(kvm_run, emulation_failure.insn_bytes);
    OFF(kvm_run, msr.reason); OFF(kvm_run, msr.index); OFF(kvm_run, msr.data); OFF(kvm_run, fail_entry.cpu);
    OFF(kvm_run, system_event.type);
    OFF(kvm_run, kvm_valid_regs); OFF(kvm_run, s.regs.regs.rip);
    P(KVM_SYNC_X86_REGS);
    OFF(kvm_msr_filter, ranges); OFF(kvm_msr_filter_range, nmsrs); OFF(kvm_msr_filter_range, base);
    OFF(kvm_msr_filter_range, bitmap); OFF(kvm_ioeventfd, addr); OFF(kvm_ioeventfd, len); OFF(kvm_ioeventfd, fd);
    OFF(kvm_ioeventfd, flags); OFF(kvm_translation, physical_address); OFF(kvm_translation, valid);
    OFF(kvm_vcpu_events, exception.nr); OFF(kvm_vcpu_events, exception.has_error_code);
    OFF(kvm_vcpu_events, exception.pending); OFF(kvm_vcpu_events, exception.error_code); OFF(kvm_vcpu_events, flags);
    OFF(kvm_enable_cap, args); OFF(kvm_signal_mask, sigset);
    return 0;
}
