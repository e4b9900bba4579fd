/**
 * Hypervisor services in the root partition, following Microsoft's Hypervisor Top-Level Functional Specification
 * (TLFS): the synthetic CPUID leaves ({@code cpuid}), the synthetic MSRs ({@code msr}), the hypercall page and
 * dispatcher
 * ({@code hypercall}), the partition reference time and reference TSC page ({@code time}), and the synthetic interrupt
 * controller ({@code synic}), synthetic timers ({@code timer}) and the partition tree ({@code tree}: delegation of
 * processors and memory, device requests forwarded up to the root; the management layer will drive it). {@link
 * org.viridian.hv.Hypervisor} attaches them to a partition. KVM here has no in-kernel
 * Hyper-V support, so all of it runs in user space on the trapping VP's thread.
 */
package org.viridian.hv;
