package org.viridian.confine.seccomp;

import static org.viridian.confine.seccomp.Syscall.*;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.viridian.confine.sys.Errno;

/**
 * An allow-list of system calls: every call a rule names is treated as the rule says, every other call is refused with
 * {@code defaultErrno} (an error, never a kill, so a call nobody foresaw shows up as a failed operation instead of a
 * dead VM). The calls of {@link #ALWAYS_REFUSED} cannot be allowed by any policy.
 */
public record SeccompPolicy(List<Rule> rules, int defaultErrno) {
    /**
     * What a VMM never needs and an attacker who owns the worker would reach for first: other processes' memory and
     * registers (ptrace, process_vm_*), the mount table and namespaces (escaping the jail), the kernel itself (modules,
     * kexec, BPF programs, perf), the host's state (reboot, swap, clock, hostname), the kernel keyring, file handles that
     * bypass the jail (open_by_handle_at), identity and capabilities once confinement has set them, and a new program.
     */
    public static final Set<Syscall> ALWAYS_REFUSED = EnumSet.of(
            PTRACE,
            PROCESS_VM_READV,
            PROCESS_VM_WRITEV,
            PROCESS_MADVISE,
            PIDFD_GETFD,
            KCMP,
            MOUNT,
            UMOUNT2,
            PIVOT_ROOT,
            CHROOT,
            FSOPEN,
            FSCONFIG,
            FSMOUNT,
            FSPICK,
            MOVE_MOUNT,
            OPEN_TREE,
            MOUNT_SETATTR,
            SETNS,
            UNSHARE,
            KEXEC_LOAD,
            KEXEC_FILE_LOAD,
            INIT_MODULE,
            FINIT_MODULE,
            DELETE_MODULE,
            BPF,
            PERF_EVENT_OPEN,
            REBOOT,
            SWAPON,
            SWAPOFF,
            KEYCTL,
            ADD_KEY,
            REQUEST_KEY,
            OPEN_BY_HANDLE_AT,
            NAME_TO_HANDLE_AT,
            PERSONALITY,
            USERFAULTFD,
            IOPL,
            IOPERM,
            ACCT,
            SETTIMEOFDAY,
            CLOCK_SETTIME,
            CLOCK_ADJTIME,
            ADJTIMEX,
            SETHOSTNAME,
            SETDOMAINNAME,
            SYSLOG,
            _SYSCTL,
            QUOTACTL,
            LOOKUP_DCOOKIE,
            SETUID,
            SETGID,
            SETREUID,
            SETREGID,
            SETRESUID,
            SETRESGID,
            SETFSUID,
            SETFSGID,
            SETGROUPS,
            CAPSET,
            EXECVE,
            EXECVEAT,
            FORK,
            VFORK,
            MKNOD,
            MKNODAT,
            SECCOMP);

    /** The calls the JVM itself makes (memory, threads, signals, files, sockets, time), the first being the hot ones. */
    private static final List<Syscall> JVM = List.of(
            IOCTL, // KVM_RUN and every other KVM request: the hottest call of a VMM
            FUTEX,
            READ,
            WRITE,
            PREAD64,
            PWRITE64,
            READV,
            WRITEV,
            PREADV,
            PWRITEV,
            PREADV2,
            PWRITEV2,
            EPOLL_WAIT,
            EPOLL_PWAIT,
            EPOLL_PWAIT2,
            EPOLL_CTL,
            EPOLL_CREATE,
            EPOLL_CREATE1,
            POLL,
            PPOLL,
            SELECT,
            PSELECT6,
            SCHED_YIELD,
            NANOSLEEP,
            CLOCK_NANOSLEEP,
            CLOCK_GETTIME,
            CLOCK_GETRES,
            GETTIMEOFDAY,
            TIME,
            MMAP,
            MUNMAP,
            MPROTECT,
            MREMAP,
            MADVISE,
            MSYNC,
            MINCORE,
            MLOCK,
            MUNLOCK,
            BRK,
            MEMBARRIER,
            MEMFD_CREATE,
            MBIND,
            SET_MEMPOLICY,
            GET_MEMPOLICY,
            PKEY_ALLOC,
            PKEY_FREE,
            PKEY_MPROTECT,
            RT_SIGACTION,
            RT_SIGPROCMASK,
            RT_SIGRETURN,
            RT_SIGPENDING,
            RT_SIGTIMEDWAIT,
            RT_SIGSUSPEND,
            SIGALTSTACK,
            RESTART_SYSCALL,
            SET_ROBUST_LIST,
            GET_ROBUST_LIST,
            SET_TID_ADDRESS,
            RSEQ,
            ARCH_PRCTL,
            PRCTL,
            GETTID,
            GETPID,
            GETPPID,
            GETUID,
            GETGID,
            GETEUID,
            GETEGID,
            GETRESUID,
            GETRESGID,
            GETGROUPS,
            GETPGRP,
            GETPGID,
            GETSID,
            CAPGET,
            UNAME,
            SYSINFO,
            TIMES,
            GETRUSAGE,
            GETRLIMIT,
            SETRLIMIT,
            GETCPU,
            GETRANDOM,
            GETPRIORITY,
            SETPRIORITY,
            SCHED_GETAFFINITY,
            SCHED_SETAFFINITY,
            SCHED_GETPARAM,
            SCHED_SETPARAM,
            SCHED_GETSCHEDULER,
            SCHED_SETSCHEDULER,
            SCHED_GET_PRIORITY_MAX,
            SCHED_GET_PRIORITY_MIN,
            SCHED_GETATTR,
            SCHED_SETATTR,
            EXIT,
            EXIT_GROUP,
            WAIT4,
            WAITID,
            TIMER_CREATE,
            TIMER_SETTIME,
            TIMER_GETTIME,
            TIMER_GETOVERRUN,
            TIMER_DELETE,
            TIMERFD_CREATE,
            TIMERFD_SETTIME,
            TIMERFD_GETTIME,
            EVENTFD,
            EVENTFD2,
            SIGNALFD,
            SIGNALFD4,
            GETITIMER,
            SETITIMER,
            // Files: what a path can reach is the jail's business, not the filter's.
            OPEN,
            OPENAT,
            OPENAT2,
            CREAT,
            CLOSE,
            CLOSE_RANGE,
            DUP,
            DUP2,
            DUP3,
            FCNTL,
            FLOCK,
            LSEEK,
            STAT,
            FSTAT,
            LSTAT,
            NEWFSTATAT,
            STATX,
            STATFS,
            FSTATFS,
            ACCESS,
            FACCESSAT,
            FACCESSAT2,
            READLINK,
            READLINKAT,
            GETDENTS,
            GETDENTS64,
            GETCWD,
            CHDIR,
            FCHDIR,
            MKDIR,
            MKDIRAT,
            RMDIR,
            UNLINK,
            UNLINKAT,
            RENAME,
            RENAMEAT,
            RENAMEAT2,
            LINK,
            LINKAT,
            SYMLINK,
            SYMLINKAT,
            CHMOD,
            FCHMOD,
            FCHMODAT,
            FCHOWN,
            UMASK,
            UTIMENSAT,
            FSYNC,
            FDATASYNC,
            SYNC_FILE_RANGE,
            TRUNCATE,
            FTRUNCATE,
            FALLOCATE,
            FADVISE64,
            READAHEAD,
            SENDFILE,
            COPY_FILE_RANGE,
            SPLICE,
            TEE,
            PIPE,
            PIPE2,
            GETXATTR,
            LGETXATTR,
            FGETXATTR,
            // Sockets: the service's Unix socket, the console, migration streams.
            SOCKETPAIR,
            CONNECT,
            ACCEPT,
            ACCEPT4,
            BIND,
            LISTEN,
            SENDTO,
            RECVFROM,
            SENDMSG,
            RECVMSG,
            SENDMMSG,
            RECVMMSG,
            SHUTDOWN,
            GETSOCKNAME,
            GETPEERNAME,
            SETSOCKOPT,
            GETSOCKOPT);

    public SeccompPolicy {
        rules = List.copyOf(rules);
        Set<Syscall> seen = new HashSet<>();
        for (Rule r : rules) {
            if (!seen.add(r.call()))
                throw new IllegalArgumentException("two rules for " + r.call().kernelName());
            if (!(r instanceof Rule.Refuse) && ALWAYS_REFUSED.contains(r.call()))
                throw new IllegalArgumentException(r.call().kernelName() + " is always refused");
        }
    }

    /**
     * The worker's policy: the JVM's calls; {@code clone} only for threads (CLONE_THREAD set, never a new process);
     * {@code clone3}, whose flags sit behind a pointer the filter cannot read, answered ENOSYS so glibc falls back to
     * clone; {@code kill}, {@code tgkill} and {@code prlimit64} only of the worker itself ({@code selfPid}; tkill, which names no process, not at all); sockets only of the Unix and IP families (no
     * netlink, no packet sockets); {@link #ALWAYS_REFUSED} refused with EPERM; everything else EPERM.
     */
    public static SeccompPolicy forVmWorker(int selfPid) {
        List<Rule> rules = new ArrayList<>();
        for (Syscall s : ALWAYS_REFUSED) rules.add(new Rule.Refuse(s, Errno.EPERM));
        for (Syscall s : JVM) rules.add(new Rule.Allow(s));
        rules.add(new Rule.AllowIf(CLONE, 0, new Rule.ArgTest.HasBit(CLONE_THREAD), Errno.EPERM));
        rules.add(new Rule.Refuse(CLONE3, Errno.ENOSYS));
        // Signals and resource limits only of the worker itself (0: the calling process, as the JVM asks).
        rules.add(new Rule.AllowIf(KILL, 0, new Rule.ArgTest.OneOf(List.of(selfPid)), Errno.EPERM));
        rules.add(new Rule.AllowIf(TGKILL, 0, new Rule.ArgTest.OneOf(List.of(selfPid)), Errno.EPERM));
        rules.add(new Rule.AllowIf(PRLIMIT64, 0, new Rule.ArgTest.OneOf(List.of(0, selfPid)), Errno.EPERM));
        rules.add(new Rule.AllowIf(
                SOCKET, 0, new Rule.ArgTest.OneOf(List.of(AF_UNIX, AF_INET, AF_INET6)), Errno.EAFNOSUPPORT));
        return new SeccompPolicy(rules, Errno.EPERM);
    }

    /** This policy with {@code extra} calls allowed too (what a device of one VM needs beyond the default). */
    public SeccompPolicy allowing(Set<Syscall> extra) {
        List<Rule> more = new ArrayList<>(rules);
        for (Syscall s : extra) more.add(new Rule.Allow(s));
        return new SeccompPolicy(more, defaultErrno);
    }

    private static final int CLONE_THREAD = 0x10000;
    private static final int AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10;
}
