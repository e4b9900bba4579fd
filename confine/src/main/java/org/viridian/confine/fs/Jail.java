package org.viridian.confine.fs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.viridian.confine.Mount;
import org.viridian.confine.seccomp.Syscall;
import org.viridian.confine.sys.Sys;

/**
 * Makes {@code root} the root directory of every thread of the process, holding only the policy's mounts.
 *
 * <p>A mount namespace is per thread: unshare(CLONE_NEWNS) in a JVM would move the calling thread alone (it also
 * unshares the thread's fs_struct), and setns is refused to a thread that shares its fs_struct. The root directory,
 * though, lives in the fs_struct that every JVM thread shares (pthread_create passes CLONE_FS). So a helper thread
 * unshares into a private mount namespace (nothing it mounts is seen by the host) and builds the jail there — a
 * tmpfs on {@code root}, the policy's paths bind-mounted into it at their own paths, read-only where asked, then the
 * tmpfs itself read-only — and hands back a descriptor of the jail; the calling thread, still sharing the process's
 * fs_struct, changes into it and chroots, which moves every thread at once. A descriptor of the private namespace is
 * kept open: when a mount namespace's last reference goes, the kernel dissolves its mount tree and the jail would
 * lose its mounts.
 */
public final class Jail {
    private static final int CLONE_NEWNS = 0x20000;
    private static final long MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_BIND = 0x1000, MS_REC = 0x4000;
    private static final long MS_PRIVATE = 1 << 18;
    private static final int AT_FDCWD = -100, AT_RECURSIVE = 0x8000;
    private static final long MOUNT_ATTR_RDONLY = 1, MOUNT_ATTR_NOSUID = 2;
    private static final int O_RDONLY = 0, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000, O_PATH = 0x200000;

    /** The jail the process is in: its root and the descriptor that keeps its mount namespace alive. */
    public record Entered(Path root, int namespaceFd, List<Mount> mounts) {}

    private Jail() {}

    public static Entered enter(Path root, List<Mount> mounts) {
        Path jail = root.toAbsolutePath().normalize();
        List<Mount> ordered = new ArrayList<>(mounts);
        ordered.sort(Comparator.comparingInt((Mount m) -> m.path().getNameCount()));
        for (Mount m : ordered)
            if (m.path().startsWith(jail) || jail.startsWith(m.path()))
                throw new IllegalArgumentException("mount " + m.path() + " overlaps the jail " + jail);
        int[] fds = buildInPrivateNamespace(jail, ordered);
        try {
            refuseOpenDirectories(fds[0]);
            Sys.call("fchdir(jail)", Syscall.FCHDIR, fds[0]);
            try (Arena a = Arena.ofConfined()) {
                Sys.call("chroot(" + jail + ")", Syscall.CHROOT, Sys.cString(a, "."));
                Sys.call("chdir(/)", Syscall.CHDIR, Sys.cString(a, "/"));
            }
        } finally {
            Sys.raw(Syscall.CLOSE, fds[0]);
        }
        return new Entered(jail, fds[1], List.copyOf(ordered));
    }

    /**
     * A directory descriptor opened before the chroot is a way out of it (openat(fd, "..") is not stopped at the new
     * root), so the jail is refused while the process holds one; a JVM holds none of its own.
     */
    private static void refuseOpenDirectories(int ours) {
        List<Path> fds;
        try (var list = Files.list(Path.of("/proc/self/fd"))) {
            fds = list.toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // The listing's own descriptor is closed by now, so it no longer resolves.
        for (Path fd : fds)
            if (!fd.getFileName().toString().equals(Integer.toString(ours)) && Files.isDirectory(fd))
                throw new IllegalStateException("descriptor " + fd.getFileName() + " is an open directory ("
                        + fd.toAbsolutePath() + "): it would lead out of the jail; close it before confinement");
    }

    /** Runs the namespace work on a thread of its own; returns {jail root O_PATH fd, mount namespace fd}. */
    private static int[] buildInPrivateNamespace(Path jail, List<Mount> mounts) {
        AtomicReference<Object> result = new AtomicReference<>();
        Thread builder = Thread.ofPlatform().name("confine-jail").unstarted(() -> {
            try {
                result.set(build(jail, mounts));
            } catch (Throwable t) {
                result.set(t);
            }
        });
        builder.start();
        try {
            builder.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while building the jail", e);
        }
        return switch (result.get()) {
            case int[] fds -> fds;
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            case Throwable t -> throw new IllegalStateException(t);
            default -> throw new IllegalStateException("jail builder returned nothing");
        };
    }

    private static int[] build(Path jail, List<Mount> mounts) throws IOException {
        Files.createDirectories(jail);
        try (Arena a = Arena.ofConfined()) {
            Sys.call("unshare(CLONE_NEWNS)", Syscall.UNSHARE, CLONE_NEWNS);
            // Nothing mounted from here on propagates back to the host's namespace.
            Sys.call("mount(/, MS_REC|MS_PRIVATE)", Syscall.MOUNT, 0, Sys.cString(a, "/"), 0, MS_REC | MS_PRIVATE, 0);
            Sys.call(
                    "mount(tmpfs, " + jail + ")",
                    Syscall.MOUNT,
                    Sys.cString(a, "tmpfs"),
                    Sys.cString(a, jail.toString()),
                    Sys.cString(a, "tmpfs"),
                    MS_NOSUID | MS_NODEV | MS_NOEXEC,
                    Sys.cString(a, "mode=0755,size=1m"));
            List<Path> mounted = new ArrayList<>();
            for (Mount m : mounts) {
                Path target = jail.resolve(jail.getRoot().relativize(m.path()));
                // Inside an earlier bind mount the target is the host's own file: use it, never create there.
                if (mounted.stream().noneMatch(m.path()::startsWith)) createMountPoint(m.path(), target);
                Sys.call(
                        "mount(bind " + m.path() + ")",
                        Syscall.MOUNT,
                        Sys.cString(a, m.path().toString()),
                        Sys.cString(a, target.toString()),
                        0,
                        MS_BIND | MS_REC,
                        0);
                long set = m.access() == Mount.Access.READ_ONLY
                        ? MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID
                        : MOUNT_ATTR_NOSUID;
                setAttributes(a, target, set, AT_RECURSIVE);
                mounted.add(m.path());
            }
            setAttributes(a, jail, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, 0);
            int root = (int) Sys.call(
                    "open(" + jail + ")",
                    Syscall.OPENAT,
                    AT_FDCWD,
                    Sys.cString(a, jail.toString()),
                    O_PATH | O_DIRECTORY | O_CLOEXEC);
            int ns = (int) Sys.call(
                    "open(mount namespace)",
                    Syscall.OPENAT,
                    AT_FDCWD,
                    Sys.cString(a, "/proc/thread-self/ns/mnt"),
                    O_RDONLY | O_CLOEXEC);
            return new int[] {root, ns};
        }
    }

    private static void createMountPoint(Path source, Path target) {
        try {
            Files.createDirectories(target.getParent());
            if (Files.isDirectory(source)) Files.createDirectories(target);
            else if (Files.exists(source)) {
                if (!Files.exists(target)) Files.createFile(target);
            } else throw new IllegalArgumentException("no such path to keep in the jail: " + source);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** mount_setattr(2): sets only the given attributes, keeping the others each mount has (nodev, noexec). */
    private static void setAttributes(Arena a, Path target, long set, int flags) {
        MemorySegment attr = a.allocate(32, 8); // struct mount_attr { u64 attr_set, attr_clr, propagation, userns_fd }
        attr.set(ValueLayout.JAVA_LONG, 0, set);
        Sys.call(
                "mount_setattr(" + target + ")",
                Syscall.MOUNT_SETATTR,
                AT_FDCWD,
                Sys.cString(a, target.toString()),
                flags,
                attr.address(),
                32);
    }
}
