package org.viridian.app.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import org.viridian.machine.boot.HostProgram;
import org.viridian.machine.boot.Initramfs;
import org.viridian.machine.boot.KernelModules;

/**
 * The one guest of `viridian bench peers`, for every engine: static busybox, this host's fio with its libraries, and
 * the kernel's StorVSP driver (hv_storvsc and the SCSI disk driver) and virtio-blk's (each loads where its device is
 * and fails quietly where it is not). Its /init prints a first line at once (the boot time's end), finds the one disk
 * (/dev/sda or /dev/vda), runs the fio jobs on it, printing a begin line and then the job's JSON report on one line
 * each, and powers off.
 */
public final class PeersGuest {
    /** Every line of the bench's own starts with this; the rest of the console is the kernel's. */
    static final String MARKER = "PEERS";

    static final String INIT_LINE = MARKER + "-INIT";
    static final String BEGIN = MARKER + "-BEGIN ";
    static final String REPORT = MARKER + "-JOB ";
    static final String FAILED = MARKER + "-FAILED ";
    /**
     * The guest's own counters before and after each job: {@code PEERS-DIAG job before|after cpu <the /proc/stat cpu
     * line's ticks>} and {@code ... irq <name>:<count over all CPUs> ...} from /proc/interrupts.
     */
    static final String DIAG = MARKER + "-DIAG ";

    /**
     * {@code PEERS-UPTIME seconds}: the kernel's own clock at /init, which splits the boot time into what came before
     * the kernel ran (the engine's set-up, firmware, loading) and the kernel's boot itself.
     */
    static final String UPTIME = MARKER + "-UPTIME ";

    /** The shell function that prints them: {@code counters JOB before|after}. */
    static final String COUNTERS =
            """
            counters() {
              echo "%s$1 $2 cpu $(head -1 /proc/stat | cut -d' ' -f3-)"
              echo "%s$1 $2 irq $(awk 'NR > 1 { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i;
                printf "%%s%%d ", $1, s }' /proc/interrupts)"
            }"""
                    .formatted(DIAG, DIAG);

    /** StorVSP's driver and the disk driver on top (sd_mod), virtio-blk's (virtio_blk over virtio_pci). */
    public static final List<String> MODULES = List.of("hv_vmbus", "hv_storvsc", "sd_mod", "virtio_pci", "virtio_blk");

    private PeersGuest() {}

    /**
     * The initramfs, uncompressed: fio's libraries make it large, and a kernel copies an uncompressed archive far
     * faster than it inflates one (which the boot time would otherwise mostly measure). {@code modules} is the kernel's
     * module tree (…/lib/modules/VERSION/kernel).
     */
    static void write(
            OutputStream out, Path busybox, Path fio, Path modules, List<FioJob> jobs, int seconds, int warmUp)
            throws IOException {
        List<Path> drivers = new KernelModules(modules).closure(MODULES);
        StringBuilder insmods = new StringBuilder();
        for (Path ko : drivers)
            insmods.append("insmod /lib/modules/")
                    .append(KernelModules.fileName(ko))
                    .append(" 2>/dev/null\n");
        Initramfs fs = Initramfs.busybox(busybox, init(insmods.toString(), jobs, seconds, warmUp));
        for (Path ko : drivers) fs.file("lib/modules/" + KernelModules.fileName(ko), KernelModules.read(ko), false);
        fs.copyAll(HostProgram.withLibraries(fio, "bin/fio"));
        fs.writeTo(out);
    }

    static String init(String insmods, List<FioJob> jobs, int seconds, int warmUp) {
        StringBuilder runs = new StringBuilder();
        if (warmUp > 0)
            runs.append("/bin/fio %s >/dev/null 2>&1\n".formatted(String.join(" ", FioJob.warmUp("$dev", warmUp))));
        for (FioJob j : jobs)
            runs.append("job %s %s\n".formatted(j.name(), String.join(" ", j.arguments("$dev", seconds))));
        return """
                #!/bin/busybox sh
                /bin/busybox echo %s
                /bin/busybox --install -s /bin
                mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev; mount -t tmpfs t /tmp
                echo "%s$(cut -d' ' -f1 /proc/uptime)"
                %s
                dev=
                for t in $(seq 1 120); do
                  for d in sda vda; do [ -b /dev/$d ] && dev=/dev/$d; done
                  [ -n "$dev" ] && break; sleep 0.2 2>/dev/null || sleep 1
                done
                %s
                job() { n=$1; shift
                  echo "%s$n"
                  counters $n before
                  if /bin/fio "$@" >/tmp/r.json 2>/tmp/e; then counters $n after; echo "%s$n $(tr -d '\\n\\t' </tmp/r.json)"
                  else echo "%s$n $(tr -d '\\n\\t' </tmp/e)"; fi
                }
                if [ -z "$dev" ]; then echo "%sdisk no disk appeared"; else
                %sfi
                poweroff -f
                """
                .formatted(INIT_LINE, UPTIME, insmods, COUNTERS, BEGIN, REPORT, FAILED, FAILED, runs);
    }
}
