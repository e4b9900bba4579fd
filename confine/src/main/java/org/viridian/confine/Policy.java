package org.viridian.confine;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.viridian.confine.seccomp.SeccompPolicy;

/**
 * What a worker keeps once confined: the jail's directory and the paths inside it (absent: no jail), the user it
 * becomes (absent: it stays who it is, with no capabilities on the confining thread), and its system calls.
 */
public record Policy(Optional<Path> jailRoot, List<Mount> mounts, Optional<Identity> user, SeccompPolicy seccomp) {
    public Policy {
        mounts = List.copyOf(mounts);
        if (jailRoot.isEmpty() && !mounts.isEmpty()) throw new IllegalArgumentException("mounts without a jail");
    }

    /**
     * The worker's default: a jail at {@code jailRoot} (an empty directory of the worker's own, as the jailer's
     * chroot base) holding what the JVM itself reads after start — its runtime, its class path, /dev/null, /dev/zero
     * and the random devices — the default seccomp policy for this process, and no change of user.
     */
    public static Policy forVmWorker(Path jailRoot) {
        return new Policy(Optional.of(jailRoot), jvmMounts(), Optional.empty(), SeccompPolicy.forVmWorker((int)
                ProcessHandle.current().pid()));
    }

    /** This policy with {@code mount} kept in the jail too (a disk image, /dev/kvm, a runtime directory). */
    public Policy withMount(Mount mount) {
        List<Mount> more = new ArrayList<>(mounts);
        more.add(mount);
        return new Policy(jailRoot, more, user, seccomp);
    }

    public Policy withUser(Identity identity) {
        return new Policy(jailRoot, mounts, Optional.of(identity), seccomp);
    }

    public Policy withSeccomp(SeccompPolicy policy) {
        return new Policy(jailRoot, mounts, user, policy);
    }

    public Policy withoutJail() {
        return new Policy(Optional.empty(), List.of(), user, seccomp);
    }

    /** Read-only: the JDK (by its path and its real path, and its conf directory, a link on Debian) and class path. */
    static List<Mount> jvmMounts() {
        Set<Path> readOnly = new LinkedHashSet<>();
        Path home = Path.of(System.getProperty("java.home"));
        addWithRealPath(readOnly, home);
        addWithRealPath(readOnly, home.resolve("conf"));
        addWithRealPath(readOnly, home.resolve("lib/security/cacerts"));
        for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator))
            if (!entry.isEmpty()) addWithRealPath(readOnly, Path.of(entry).toAbsolutePath());
        for (String dev : List.of("/dev/urandom", "/dev/random")) addWithRealPath(readOnly, Path.of(dev));
        List<Mount> mounts = new ArrayList<>();
        for (Path p : readOnly) mounts.add(Mount.readOnly(p));
        for (String dev : List.of("/dev/null", "/dev/zero")) mounts.add(Mount.readWrite(Path.of(dev)));
        // Paths already inside another kept path are visible through it.
        return mounts.stream()
                .filter(m -> mounts.stream()
                        .noneMatch(o -> o != m
                                && o.access() == m.access()
                                && !o.path().equals(m.path())
                                && m.path().startsWith(o.path())))
                .toList();
    }

    private static void addWithRealPath(Set<Path> into, Path p) {
        if (!Files.exists(p)) return;
        into.add(p.toAbsolutePath().normalize());
        try {
            into.add(p.toRealPath());
        } catch (IOException e) {
            // Exists but cannot be resolved: the path itself is kept.
        }
    }
}
