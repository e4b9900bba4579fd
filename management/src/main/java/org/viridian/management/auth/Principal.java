package org.viridian.management.auth;

import java.util.Set;
import org.viridian.management.config.VmConfig;

/** Who is asking: an administrator (every VM, host-wide operations) or a token scoped to some VMs (by id or name). */
public sealed interface Principal {
    String name();

    boolean isAdmin();

    boolean mayAccess(VmConfig vm);

    record Admin(String name) implements Principal {
        @Override
        public boolean isAdmin() {
            return true;
        }

        @Override
        public boolean mayAccess(VmConfig vm) {
            return true;
        }
    }

    record Scoped(String name, Set<String> vms) implements Principal {
        @Override
        public boolean isAdmin() {
            return false;
        }

        @Override
        public boolean mayAccess(VmConfig vm) {
            return vms.contains(vm.id().toString()) || vms.stream().anyMatch(v -> v.equalsIgnoreCase(vm.name()));
        }
    }
}
