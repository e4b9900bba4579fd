package org.viridian.confine.seccomp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.viridian.confine.sys.Errno;

class SeccompProgramTest {
    private static final int PID = 4242;
    private static final List<BpfInstruction> PROGRAM = SeccompProgram.build(SeccompPolicy.forVmWorker(PID));
    private static final int ALLOW = SeccompProgram.RET_ALLOW;
    private static final int EPERM = SeccompProgram.errnoAction(Errno.EPERM);

    private static int verdict(Syscall call, long... args) {
        return BpfInterpreter.run(PROGRAM, new BpfInterpreter.Data(call, args));
    }

    @Test
    void everyAlwaysRefusedCallIsRefusedWithEperm() {
        assertThat(SeccompPolicy.ALWAYS_REFUSED)
                .contains(
                        Syscall.PTRACE,
                        Syscall.PROCESS_VM_READV,
                        Syscall.PROCESS_VM_WRITEV,
                        Syscall.MOUNT,
                        Syscall.UMOUNT2,
                        Syscall.PIVOT_ROOT,
                        Syscall.KEXEC_LOAD,
                        Syscall.KEXEC_FILE_LOAD,
                        Syscall.INIT_MODULE,
                        Syscall.FINIT_MODULE,
                        Syscall.DELETE_MODULE,
                        Syscall.BPF,
                        Syscall.PERF_EVENT_OPEN,
                        Syscall.REBOOT,
                        Syscall.SWAPON,
                        Syscall.SWAPOFF,
                        Syscall.SETNS,
                        Syscall.UNSHARE,
                        Syscall.KEYCTL,
                        Syscall.ADD_KEY,
                        Syscall.OPEN_BY_HANDLE_AT,
                        Syscall.PERSONALITY);
        for (Syscall s : SeccompPolicy.ALWAYS_REFUSED)
            assertThat(verdict(s)).as(s.kernelName()).isEqualTo(EPERM);
    }

    @Test
    void theJvmsCallsAreAllowed() {
        for (Syscall s : List.of(
                Syscall.IOCTL,
                Syscall.FUTEX,
                Syscall.MMAP,
                Syscall.MPROTECT,
                Syscall.READ,
                Syscall.WRITE,
                Syscall.EPOLL_WAIT,
                Syscall.RSEQ,
                Syscall.OPENAT,
                Syscall.EXIT_GROUP)) assertThat(verdict(s)).as(s.kernelName()).isEqualTo(ALLOW);
    }

    @Test
    void anythingUnlistedIsRefusedWithTheDefault() {
        assertThat(verdict(Syscall.ACCT)).isEqualTo(EPERM);
        assertThat(verdict(Syscall.VHANGUP)).isEqualTo(EPERM);
        assertThat(verdict(Syscall.IO_URING_SETUP)).isEqualTo(EPERM);
        assertThat(BpfInterpreter.run(
                        PROGRAM, new BpfInterpreter.Data(999, SeccompProgram.AUDIT_ARCH_X86_64, new long[6])))
                .isEqualTo(EPERM);
    }

    @Test
    void anotherArchitectureOrTheX32AbiIsRefused() {
        int auditArchI386 = 0x40000003;
        // i386's number 3 is close: allowed as x86-64 (read 0), refused under its own architecture.
        assertThat(BpfInterpreter.run(PROGRAM, new BpfInterpreter.Data(0, auditArchI386, new long[6])))
                .isEqualTo(EPERM);
        int x32Read = SeccompProgram.X32_SYSCALL_BIT | Syscall.READ.number();
        assertThat(BpfInterpreter.run(
                        PROGRAM, new BpfInterpreter.Data(x32Read, SeccompProgram.AUDIT_ARCH_X86_64, new long[6])))
                .isEqualTo(EPERM);
    }

    @Test
    void cloneMakesThreadsNeverProcessesAndClone3FallsBackToClone() {
        long thread = 0x3d0f00; // glibc's pthread_create flags: CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|...
        assertThat(verdict(Syscall.CLONE, thread)).isEqualTo(ALLOW);
        assertThat(verdict(Syscall.CLONE, 17 /* SIGCHLD: fork */)).isEqualTo(EPERM);
        assertThat(verdict(Syscall.CLONE, 0x4111 /* CLONE_VM|CLONE_VFORK|SIGCHLD: posix_spawn */))
                .isEqualTo(EPERM);
        assertThat(verdict(Syscall.CLONE3)).isEqualTo(SeccompProgram.errnoAction(Errno.ENOSYS));
    }

    @Test
    void signalsAndLimitsOnlyOfItselfAndSocketsOnlyOfUnixAndIp() {
        assertThat(verdict(Syscall.KILL, PID, 3)).isEqualTo(ALLOW);
        assertThat(verdict(Syscall.KILL, 1, 9)).isEqualTo(EPERM);
        assertThat(verdict(Syscall.KILL, -1, 9)).isEqualTo(EPERM);
        assertThat(verdict(Syscall.KILL, 0, 9)).as("its process group").isEqualTo(EPERM);
        assertThat(verdict(Syscall.TGKILL, PID, 77, 10)).isEqualTo(ALLOW);
        assertThat(verdict(Syscall.TGKILL, 1, 1, 9)).isEqualTo(EPERM);
        assertThat(verdict(Syscall.TKILL, 77, 9)).isEqualTo(EPERM);
        assertThat(verdict(Syscall.PRLIMIT64, 0)).isEqualTo(ALLOW);
        assertThat(verdict(Syscall.PRLIMIT64, PID)).isEqualTo(ALLOW);
        assertThat(verdict(Syscall.PRLIMIT64, 1)).isEqualTo(EPERM);
        assertThat(verdict(Syscall.SOCKET, 1)).isEqualTo(ALLOW);
        assertThat(verdict(Syscall.SOCKET, 2)).isEqualTo(ALLOW);
        assertThat(verdict(Syscall.SOCKET, 10)).isEqualTo(ALLOW);
        int afnosupport = SeccompProgram.errnoAction(Errno.EAFNOSUPPORT);
        assertThat(verdict(Syscall.SOCKET, 16 /* AF_NETLINK */)).isEqualTo(afnosupport);
        assertThat(verdict(Syscall.SOCKET, 17 /* AF_PACKET */)).isEqualTo(afnosupport);
    }

    @Test
    void aPolicyCannotAllowWhatIsAlwaysRefused() {
        SeccompPolicy base = SeccompPolicy.forVmWorker(PID);
        assertThatThrownBy(() -> base.allowing(Set.of(Syscall.PTRACE))).hasMessageContaining("ptrace");
        assertThatThrownBy(() -> base.allowing(Set.of(Syscall.FUTEX))).hasMessageContaining("two rules");
        SeccompPolicy more = base.allowing(Set.of(Syscall.IO_URING_SETUP));
        assertThat(BpfInterpreter.run(SeccompProgram.build(more), new BpfInterpreter.Data(Syscall.IO_URING_SETUP)))
                .isEqualTo(ALLOW);
    }

    @Test
    void instructionsEncodeAsStructSockFilter() {
        ByteBuffer b = ByteBuffer.allocate(8);
        BpfInstruction.jump(BpfInstruction.JMP_JEQ_K, 0xc000003e, 1, 2).writeTo(b);
        assertThat(b.array()).containsExactly(0x15, 0, 1, 2, 0x3e, 0, 0, 0xc0 - 256);
        assertThat(PROGRAM.size()).isLessThan(4096);
    }
}
