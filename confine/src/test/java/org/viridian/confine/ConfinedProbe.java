package org.viridian.confine;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.concurrent.CountDownLatch;
import org.viridian.confine.seccomp.Syscall;
import org.viridian.confine.sys.Sys;

/**
 * The child JVM of {@link ConfinementTest}: optionally confines itself, then tries each refused operation and each
 * allowed one from three threads — one started before confinement, the confining one, one started after — and prints
 * {@code probe <thread> <name> <result>} (a result below 0 is -errno). It then prints {@code ready} and waits for a
 * line on stdin, so the test can read every thread's /proc status while the process is confined.
 *
 * <p>Arguments: {@code control|confine|confine-nobody|confine-dirfd} jail-dir data-dir outside-file.
 */
public final class ConfinedProbe {
    private static final int O_RDONLY = 0, O_WRONLY = 1, O_DIRECTORY = 0x10000, AT_FDCWD = -100;

    private ConfinedProbe() {}

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path jail = Path.of(args[1]), data = Path.of(args[2]), outside = Path.of(args[3]);
        CountDownLatch confined = new CountDownLatch(1);
        CountDownLatch beforeDone = new CountDownLatch(1);
        Thread before = Thread.ofPlatform().name("before").start(() -> {
            await(confined);
            probe("before", data, outside, !mode.equals("control"));
            beforeDone.countDown();
        });
        if (mode.equals("confine-dirfd")) {
            try (Arena a = Arena.ofConfined()) { // a directory left open from before: a way out of any chroot
                Sys.call(
                        "open(dir)",
                        Syscall.OPENAT,
                        AT_FDCWD,
                        Sys.cString(a, outside.getParent().toString()),
                        O_DIRECTORY);
            }
        }
        if (!mode.equals("control")) {
            Policy policy = Policy.forVmWorker(jail).withMount(Mount.readWrite(data));
            if (mode.equals("confine-nobody")) policy = policy.withUser(Identity.NOBODY);
            try {
                long start = System.nanoTime();
                Report report = Confinement.apply(policy);
                System.out.printf("applied_ms %.1f%n", (System.nanoTime() - start) / 1e6);
                for (Report.Step s : report.steps())
                    System.out.println("step " + s.applied() + " " + s.took().toNanos() / 1000 + " " + s.name());
            } catch (ConfinementException e) {
                System.out.println("refused " + e.getMessage());
                System.out.flush();
                System.exit(3);
            }
        }
        System.out.println("confiner " + Sys.raw(Syscall.GETTID));
        confined.countDown();
        probe("main", data, outside, !mode.equals("control"));
        Thread after =
                Thread.ofPlatform().name("after").start(() -> probe("after", data, outside, !mode.equals("control")));
        after.join();
        beforeDone.await();
        before.join();
        System.out.println("ready");
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in)).readLine();
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static synchronized void print(String thread, String name, long result) {
        System.out.println("probe " + thread + " " + name + " " + result);
    }

    private static void probe(String t, Path data, Path outside, boolean confined) {
        long ppid = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(1L);
        try (Arena a = Arena.ofConfined()) {
            // Each refused call is made so that, unconfined, it answers something other than EPERM (the control run).
            print(
                    t,
                    "ptrace",
                    Sys.raw(Syscall.PTRACE, 12 /* PTRACE_GETREGS of a process we do not trace */, ppid, 0, 0));
            print(t, "process_vm_readv", Sys.raw(Syscall.PROCESS_VM_READV, ppid, 0, 0, 0, 0, 0));
            print(
                    t,
                    "mount",
                    Sys.raw(Syscall.MOUNT, 0, Sys.cString(a, "/nonexistent-viridian"), 0, 32 /* MS_REMOUNT */, 0));
            print(t, "kexec_load", Sys.raw(Syscall.KEXEC_LOAD, 0, 1000 /* over KEXEC_SEGMENT_MAX */, 0, 0));
            print(t, "init_module", Sys.raw(Syscall.INIT_MODULE, 0, 0, Sys.cString(a, "")));
            print(t, "finit_module", Sys.raw(Syscall.FINIT_MODULE, -1, Sys.cString(a, ""), 0));
            print(t, "bpf", Sys.raw(Syscall.BPF, 0xffff, 0, 0));
            print(t, "unshare", Sys.raw(Syscall.UNSHARE, 0));
            print(t, "setns", Sys.raw(Syscall.SETNS, -1, 0));
            print(t, "chroot", Sys.raw(Syscall.CHROOT, Sys.cString(a, "/nonexistent-viridian")));
            print(t, "personality", Sys.raw(Syscall.PERSONALITY, 0xffffffffL /* query */));
            print(t, "open_by_handle_at", Sys.raw(Syscall.OPEN_BY_HANDLE_AT, -1, 0, 0));
            print(t, "execve", Sys.raw(Syscall.EXECVE, Sys.cString(a, "/nonexistent-viridian"), 0, 0));
            print(t, "socket_netlink", closing(Sys.raw(Syscall.SOCKET, 16 /* AF_NETLINK */, 3 /* SOCK_RAW */, 0)));
            print(
                    t,
                    "open_outside",
                    closing(Sys.raw(Syscall.OPENAT, AT_FDCWD, Sys.cString(a, outside.toString()), O_RDONLY)));
            Path jdkFile = Path.of(System.getProperty("java.home"), "release");
            print(
                    t,
                    "write_jdk",
                    closing(Sys.raw(Syscall.OPENAT, AT_FDCWD, Sys.cString(a, jdkFile.toString()), O_WRONLY)));
            if (confined) {
                // A fork, were it allowed, would return here in a one-thread copy of this JVM: that copy exits at once.
                long rc = Sys.raw(Syscall.CLONE, 17 /* SIGCHLD */, 0, 0, 0, 0);
                if (rc == 0) Sys.raw(Syscall.EXIT_GROUP, 0);
                print(t, "fork", rc);
            }
            allowed(t, a, data);
        } catch (Exception e) {
            System.out.println("error " + t + " " + e);
        }
    }

    private static long closing(long fd) {
        if (fd >= 0) Sys.raw(Syscall.CLOSE, fd);
        return fd;
    }

    /** Work a confined worker must still do: 0 means it worked. */
    private static void allowed(String t, Arena a, Path data) throws Exception {
        boolean[] ran = {false};
        Thread thread = Thread.ofPlatform().start(() -> ran[0] = true);
        thread.join();
        print(t, "thread", ran[0] ? 0 : -1);

        Path file = data.resolve("disk-" + t);
        Files.writeString(file, "sector zero of " + t);
        print(t, "file", Files.readString(file).equals("sector zero of " + t) ? 0 : -1);

        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            var map = ch.map(FileChannel.MapMode.READ_WRITE, 0, 4096);
            map.put(0, (byte) 'S');
            print(t, "mmap_file", Files.readAllBytes(file)[0] == 'S' ? 0 : -1);
        }
        long anon = Sys.raw(Syscall.MMAP, 0, 1 << 20, 3 /* PROT_READ|WRITE */, 0x22 /* MAP_PRIVATE|ANONYMOUS */, -1, 0);
        if (anon > 0) {
            MemorySegment.ofAddress(anon).reinterpret(1 << 20).set(ValueLayout.JAVA_BYTE, 12345, (byte) 7);
            Sys.raw(Syscall.MUNMAP, anon, 1 << 20);
        }
        print(t, "mmap_anonymous", anon > 0 ? 0 : anon);

        MemorySegment fds = a.allocate(8, 4);
        long rc = Sys.raw(Syscall.SOCKETPAIR, 1 /* AF_UNIX */, 1 /* SOCK_STREAM */, 0, fds.address());
        if (rc == 0) {
            int left = fds.get(ValueLayout.JAVA_INT, 0), right = fds.get(ValueLayout.JAVA_INT, 4);
            MemorySegment msg = a.allocateFrom("vmbus");
            MemorySegment in = a.allocate(6);
            Sys.raw(Syscall.WRITE, left, msg.address(), 6);
            long n = Sys.raw(Syscall.READ, right, in.address(), 6);
            rc = n == 6 && in.getString(0).equals("vmbus") ? 0 : -1;
            Sys.raw(Syscall.CLOSE, left);
            Sys.raw(Syscall.CLOSE, right);
        }
        print(t, "socketpair", rc);
        // A device node kept in the jail (as /dev/kvm or /dev/net/tun would be).
        long devNull = Sys.raw(Syscall.OPENAT, AT_FDCWD, Sys.cString(a, "/dev/null"), O_WRONLY);
        long written = devNull < 0
                ? devNull
                : Sys.raw(Syscall.WRITE, devNull, a.allocateFrom("x").address(), 1);
        closing(devNull);
        print(t, "dev_null", written == 1 ? 0 : written);

        // The JDK's own files, read lazily: java.security (through conf/, a link on some distributions), /dev/urandom.
        byte[] random = new byte[16];
        SecureRandom.getInstance("NativePRNGNonBlocking").nextBytes(random);
        print(t, "secure_random", java.util.Arrays.equals(random, new byte[16]) ? -1 : 0);
    }
}
