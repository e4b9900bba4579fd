/**
 * A VM's saved state on disk (Hyper-V's .vmrs): one versioned file of named sections, each with its own CRC-32C —
 * a header saying whose state it is, the processors and in-kernel devices, the hypervisor interface, VMBus and the
 * devices (JSON, so a newer reader can tell what an older writer meant), and guest memory, stored sparsely (zero
 * pages skipped) and optionally deflated. Written to a temporary file and renamed into place, so a save that fails
 * half-way leaves no state file at all; read into a fresh, not yet started VM, so a file that turns out corrupt or
 * foreign is refused before anything of the VM or its disks changed.
 */
package org.viridian.machine.state;
