package org.viridian.confine;

import org.viridian.confine.seccomp.SeccompPolicy;
import org.viridian.confine.seccomp.Syscall;
import org.viridian.confine.sys.Sys;

/**
 * What the filter costs a system call (a figure, not a test): nanoseconds per call before and after the worker's
 * policy, for a call allowed whatever its arguments (the kernel's seccomp cache answers it without running the filter:
 * KVM_RUN's ioctl is one), one allowed by an argument test (kill of itself: the filter runs) and one refused by default.
 * Run: {@code java --enable-native-access=ALL-UNNAMED -cp confine/target/classes:confine/target/test-classes
 * org.viridian.confine.SeccompCost}.
 */
public final class SeccompCost {
    private static final int CALLS = 2_000_000;

    private SeccompCost() {}

    public static void main(String[] args) {
        long pid = ProcessHandle.current().pid();
        double[] before = measure(pid);
        long t0 = System.nanoTime();
        Report report = Confinement.apply(Policy.forVmWorker(java.nio.file.Path.of("/nonexistent"))
                .withoutJail()
                .withSeccomp(SeccompPolicy.forVmWorker((int) pid)));
        long applied = System.nanoTime() - t0;
        double[] after = measure(pid);
        System.out.print(report);
        System.out.printf("confinement applied in %.2f ms%n", applied / 1e6);
        String[] names = {"ioctl (allowed, cached)", "kill self (argument test)", "acct (refused by default)"};
        for (int i = 0; i < names.length; i++)
            System.out.printf(
                    "%-28s %7.1f ns -> %7.1f ns  (x%.2f)%n", names[i], before[i], after[i], after[i] / before[i]);
    }

    private static double[] measure(long pid) {
        double[] r = new double[3];
        for (int round = 0; round < 3; round++) { // the last round counts: the first ones warm the JIT
            r[0] = perCall(() -> Sys.raw(Syscall.IOCTL, -1, 0, 0));
            r[1] = perCall(() -> Sys.raw(Syscall.KILL, pid, 0));
            r[2] = perCall(() -> Sys.raw(Syscall.ACCT, 0));
        }
        return r;
    }

    private static double perCall(Runnable call) {
        long t = System.nanoTime();
        for (int i = 0; i < CALLS; i++) call.run();
        return (System.nanoTime() - t) / (double) CALLS;
    }
}
