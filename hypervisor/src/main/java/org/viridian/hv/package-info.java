/** Hypervisor services of the root partition, per Microsoft's Hypervisor TLFS, implemented in user space. */
package org.viridian.hv;
