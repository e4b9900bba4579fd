package org.viridian.confine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.viridian.confine.fs.Jail;
import org.viridian.confine.seccomp.BpfInstruction;
import org.viridian.confine.seccomp.SeccompFilter;
import org.viridian.confine.seccomp.SeccompProgram;
import org.viridian.confine.seccomp.Syscall;
import org.viridian.confine.sys.Sys;

/**
 * Confines the calling process, as Firecracker's jailer does before it runs the VMM, but from inside a running JVM
 * (many threads already): call it once the worker has opened what its VM needs and before the guest runs. Each step
 * needs what the previous ones still allow, so the order is fixed:
 *
 * <ol>
 *   <li>jail: a private mount namespace with only the policy's paths, made the root of every thread (CAP_SYS_ADMIN,
 *       CAP_SYS_CHROOT);
 *   <li>bounding and ambient sets emptied on this thread (CAP_SETPCAP);
 *   <li>the unprivileged user, on every thread (CAP_SETUID/SETGID): the kernel then empties every thread's
 *       capabilities;
 *   <li>this thread's capabilities emptied (covers the case of no change of user);
 *   <li>not dumpable: no other process of the same user may ptrace it or read its /proc files;
 *   <li>no_new_privs, then the seccomp filter on every thread (TSYNC, which copies no_new_privs to each).
 * </ol>
 *
 * A step the policy asks for that fails throws {@link ConfinementException}: a worker that asked for confinement must
 * not run its guest without it. Only the bounding set is "where permitted".
 */
public final class Confinement {
    private static final int PR_SET_DUMPABLE = 4;

    private Confinement() {}

    public static Report apply(Policy policy) {
        List<Report.Step> steps = new ArrayList<>();
        Timer timer = new Timer();
        if (policy.jailRoot().isPresent()) {
            Jail.Entered jail = step("jail", () -> Jail.enter(policy.jailRoot().get(), policy.mounts()));
            steps.add(timer.step(
                    "jail",
                    true,
                    "root " + jail.root() + " with " + jail.mounts().size() + " paths, private mount namespace"));
        } else steps.add(timer.step("jail", false, "the policy has none"));

        boolean bounded = step("bounding set", Capabilities::dropBoundingSet);
        steps.add(timer.step(
                "bounding set", bounded, bounded ? "emptied, ambient cleared" : "not permitted (no CAP_SETPCAP)"));

        if (policy.user().isPresent()) {
            Identity id = policy.user().get();
            step("user", () -> {
                Sys.becomeUser(id.uid(), id.gid());
                return null;
            });
            steps.add(timer.step("user", true, "uid " + id.uid() + " gid " + id.gid() + ", no groups"));
        } else steps.add(timer.step("user", false, "the policy keeps the current user"));

        step("capabilities", () -> {
            Capabilities.dropAll();
            return null;
        });
        steps.add(timer.step("capabilities", true, "effective, permitted, inheritable empty"));

        step("dumpable", () -> Sys.call("prctl(PR_SET_DUMPABLE, 0)", Syscall.PRCTL, PR_SET_DUMPABLE, 0, 0, 0, 0));
        steps.add(timer.step("dumpable", true, "0"));

        List<BpfInstruction> program = SeccompProgram.build(policy.seccomp());
        step("seccomp", () -> {
            SeccompFilter.noNewPrivileges();
            SeccompFilter.install(program);
            return null;
        });
        steps.add(timer.step(
                "seccomp",
                true,
                program.size() + " BPF instructions, "
                        + policy.seccomp().rules().size() + " rules, every thread (TSYNC), no_new_privs"));
        return new Report(steps);
    }

    /** Times each step from the end of the previous one. */
    private static final class Timer {
        private long last = System.nanoTime();

        Report.Step step(String name, boolean applied, String detail) {
            long now = System.nanoTime();
            Report.Step s = new Report.Step(name, applied, detail, Duration.ofNanos(now - last));
            last = now;
            return s;
        }
    }

    private interface Action<T> {
        T run() throws Exception;
    }

    private static <T> T step(String name, Action<T> action) {
        try {
            return action.run();
        } catch (Exception e) {
            throw new ConfinementException(name, e);
        }
    }
}
