package org.viridian.app.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.viridian.app.nested.NestedKvmHost;

/**
 * Stress (mvn -P stress verify -pl app -Dit.test=BootLoopStressIT): Debian's stock kernel, with an initramfs that
 * loads its Hyper-V drivers, boots to /init {@code stress.boots} times in a row (default 20), alternating 1 and 2 VPs,
 * in Viridian inside the nested KVM host; in each round QEMU/KVM boots the same kernel, initramfs and command line in
 * the same nested host with Hyper-V enlightenments of its own (direct-mode synthetic timers, as Viridian offers them)
 * and KVM's signature hidden, so the guest takes the Hyper-V paths as under Viridian: a crash that both show is the
 * nested host's and one only Viridian shows is Viridian's. {@code stress.engines} lists the engines of each round from
 * {@link #ENGINES}: variants of Viridian and QEMU that tell what a fault follows. {@code stress.parallel=2} boots two
 * at a time, the load under which the network tests crashed. A boot that does not reach /init prints its whole log,
 * crash report and flight recorder included; each boot also counts the interrupts the nested host's CPUs sent each
 * other meanwhile.
 *
 * <p>The nested host has one CPU by default ({@link NestedKvmHost#CPUS}): the work-around for its own fault (issue
 * 15). That host is QEMU 7.2's multi-threaded TCG emulating AMD SVM, and with two CPUs it corrupts a nested guest, or
 * its own kernel, when one emulated CPU interrupts the other while that one runs a nested guest: guests of both VMMs
 * ended mid-line in a reset (Viridian's with a triple fault and no exit of its own before it, once with no exit at all
 * since its start), and the host's kernel panicked with a corrupted stack inside KVM_RUN under QEMU's vCPU thread as
 * under Viridian's. With one CPU there are no such interrupts; the default engines are then {@code viridian,qemu-smp}:
 * QEMU with the TLB-flush and IPI hypercalls Viridian offers too, since plain {@code qemu} with two vCPUs hangs the
 * one-CPU host for good (its guest waits on one vCPU for the other's answer to an IPI, and the host never got its CPU
 * back, not even for its own shell's watchdog).
 * {@code -Dnested.cpus=2 -Dstress.engines=viridian,qemu} shows the fault; there the default engines are
 * {@code viridian-pinned,qemu-pinned}, each VMM with all its threads on one of the two CPUs (its TLB shootdowns and
 * wake-ups stay on that CPU), which avoids most of it. Under single-threaded TCG with two CPUs
 * ({@code -Dnested.tcg=single}) the same interrupts are lost instead (hangs, in both VMMs).
 */
@Tag("stress")
class BootLoopStressIT {
    private static final Pattern BOOT = Pattern.compile(
            "^STRESS-BOOT engine=(\\S+) n=(\\d+) cpus=(\\d) rc=(\\d+) init=(yes|no) t=(\\d+) ipi=(\\d+)$",
            Pattern.MULTILINE);
    /** The command line of the reported crashes. */
    static final String CMDLINE = "console=ttyS0 panic=-1 noxsave lpj=5000000 tsc=reliable";

    /**
     * The engines a round may boot, each a change to the engine's plain command: Viridian as it is, with its synthetic
     * timers in message mode or none (the LAPIC timer, in KVM), without the SMP hypercalls KVM answers (TLB flush,
     * IPI), with its RAM on 4 KiB pages (no huge-page advice), with its timers' interrupts raised by the VP's own
     * thread between KVM_RUNs, with all its threads on one CPU, or moved between the two CPUs every 10 ms; QEMU as it is, with KVM's Hyper-V TLB-flush and IPI hypercalls (as Viridian uses them), or
     * moved.
     */
    private static final Map<String, java.util.function.UnaryOperator<String>> ENGINES = Map.ofEntries(
            Map.entry("viridian", c -> c),
            Map.entry("viridian-message", c -> c + " --hv-no-stimer-direct"),
            Map.entry("viridian-lapic", c -> c + " --hv-no-stimer"),
            Map.entry("viridian-nosmp", c -> c + " --hv-no-smp-hypercalls"),
            Map.entry("viridian-nothp", c -> "env JAVA_TOOL_OPTIONS=-Dviridian.memory.hugepages=false " + c),
            Map.entry("viridian-vpthread", c -> "env JAVA_TOOL_OPTIONS=-Dviridian.hv.timerInterrupts=vp-thread " + c),
            Map.entry("viridian-pinned", c -> "taskset -c 1 " + c),
            Map.entry("viridian-migrating", c -> "migrating " + c),
            Map.entry("qemu", c -> c),
            Map.entry("qemu-smp", c -> c.replace("$HV", "$HV,hv-tlbflush,hv-ipi")),
            Map.entry("qemu-pinned", c -> "taskset -c 1 " + c),
            Map.entry("qemu-migrating", c -> "migrating " + c));

    record Boot(String engine, int n, int cpus, int rc, boolean init, int seconds, long ipis) {}

    @Test
    void stockLinuxBootsToInitEveryTimeOnOneAndTwoProcessors() throws Exception {
        Path jar = Path.of("target/viridian.jar");
        assumeTrue(Files.exists(jar), "target/viridian.jar not built (run through mvn -P stress verify)");
        int boots = Integer.getInteger("stress.boots", 20);
        InitrdModules modules = InitrdModules.of(List.of("hv_vmbus", "hv_utils"));
        Map<String, Path> files = new LinkedHashMap<>(modules.files());
        String insmods = modules.insmods();
        String init =
                """
                #!/bin/busybox sh
                /bin/busybox --install -s /bin
                mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
                uptime=$(cut -d' ' -f1 /proc/uptime); cpus=$(grep -c ^processor /proc/cpuinfo)
                echo "STRESS: /init reached at $uptime s, $cpus cpu(s)"
                %s
                echo "STRESS: vmbus devices $(ls /sys/bus/vmbus/devices 2>/dev/null | wc -l)"
                poweroff -f
                """
                        .formatted(insmods);
        byte[] initrd = NestedKvmHost.busyboxInitramfs(init, files);
        // stress.parallel=2 boots two VMs at once (both engines): the load under which the network tests crash.
        int parallel = Integer.getInteger("stress.parallel", 1);
        // stress.engines: which engines boot in each round (issue 15: what does the fault follow?), from ENGINES.
        // The default: each VMM as it is on the one-CPU nested host, each pinned to one CPU of a two-CPU host.
        List<String> engines = List.of(System.getProperty(
                        "stress.engines", NestedKvmHost.CPUS == 1 ? "viridian,qemu-smp" : "viridian-pinned,qemu-pinned")
                .split(","));
        for (String e : engines) {
            if (!ENGINES.containsKey(e))
                throw new IllegalArgumentException("stress.engines: " + e + " is none of " + ENGINES.keySet());
            if ((e.endsWith("-pinned") || e.endsWith("-migrating")) && NestedKvmHost.CPUS < 2)
                throw new IllegalArgumentException("stress.engines: " + e + " needs -Dnested.cpus=2");
        }
        StringBuilder schedule = new StringBuilder();
        int k = 0;
        for (int n = 1; n <= boots; n++) {
            int cpus = 2 - n % 2;
            for (String e : engines) {
                String machine = e.startsWith("qemu")
                        ? ("qemu-system-x86_64 -nodefaults -machine q35,accel=kvm -m 512 -smp %d -cpu host,kvm=off,$HV"
                                        + " -kernel vmlinuz -initrd stress-initrd.gz -append '%s' -display none"
                                        + " -serial stdio -no-reboot")
                                .formatted(cpus, CMDLINE)
                        : ("viridian run --kernel vmlinuz --initrd stress-initrd.gz --memory 512M --cpus %d --name"
                                        + " vm%d%s --cmdline '%s'")
                                .formatted(cpus, n, e, CMDLINE);
                schedule.append("boot %s %d %d %s &\n"
                        .formatted(e, n, cpus, ENGINES.get(e).apply(machine)));
                if (++k % parallel == 0) schedule.append("wait\n");
            }
        }
        String loop =
                """
                boot() { # engine n cpus command...
                  e=$1; n=$2; c=$3; shift 3; t0=$(date +%%s); log=boot-$e-$n.log; i0=$(ipis)
                  # A boot that has not ended in 300 s is a hang: a thread dump (QUIT), then TERM (viridian run
                  # prints each VP's last flight-recorder entries), then KILL.
                  "$@" >$log 2>&1 & p=$!; s=0
                  while kill -0 $p 2>/dev/null && [ $s -lt 300 ]; do sleep 1; s=$((s+1)); done
                  if kill -0 $p 2>/dev/null; then
                    kill -QUIT $p; sleep 3; kill -TERM $p; sleep 8; kill -9 $p 2>/dev/null; wait $p; rc=124
                  else
                    wait $p; rc=$?
                  fi
                  if grep -q 'STRESS: /init reached' $log; then i=yes; else i=no; fi
                  echo "STRESS-BOOT engine=$e n=$n cpus=$c rc=$rc init=$i t=$(( $(date +%%s) - t0 )) ipi=$(( $(ipis) - i0 ))"
                  if [ $i = no ] || [ $rc -ne 0 ]; then sed 's/^/STRESS-LOG: /' $log; fi
                  rm -f $log
                }
                # Interrupts one CPU of the nested host sent another (TLB shootdowns, function calls, reschedules),
                # counted over the boot: what a VMM's process makes the emulated CPUs send each other (issue 15).
                ipis() { awk '$1 ~ /^(TLB|CAL|RES):$/ { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i } END { print s + 0 }' /proc/interrupts; }
                HV=hv-relaxed,hv-vpindex,hv-time,hv-synic,hv-stimer,hv-stimer-direct,hv-frequencies,hv-reset
                # Runs a command with all its threads moved between the nested host's two CPUs every 10 ms.
                migrating() {
                  "$@" & q=$!
                  while kill -0 $q 2>/dev/null; do
                    taskset -a -p -c 0 $q >/dev/null 2>&1; sleep 0.01; taskset -a -p -c 1 $q >/dev/null 2>&1; sleep 0.01
                  done
                  wait $q
                }
                %swait
                """
                        .formatted(schedule);
        NestedKvmHost.Run run = NestedKvmHost.run(
                jar,
                Map.of("vmlinuz", NestedKvmHost.stockKernel(), "stress-initrd.gz", initrd, "loop.sh", loop.getBytes()),
                NestedKvmHost.qemuKvm(),
                List.of(new NestedKvmHost.Command("loop", "sh ./loop.sh")),
                Duration.ofMinutes(10 + 3L * boots * engines.size()));
        String out = run.get("loop").output();
        List<Boot> all = BOOT.matcher(out).results().map(BootLoopStressIT::boot).toList();
        Map<String, List<Boot>> byEngine = new java.util.TreeMap<>();
        all.forEach(b -> byEngine.computeIfAbsent(b.engine(), e -> new java.util.ArrayList<>())
                .add(b));
        System.out.printf("boot loop in the nested KVM host, %d boots each, %d at a time:%n", boots, parallel);
        byEngine.forEach((engine, list) -> System.out.printf(
                "  %-17s %d/%d reached /init and ended cleanly (1 VP: %s s, 2 VPs: %s s; cross-CPU interrupts in the"
                        + " nested host per boot, median: %d)%n",
                engine + ":",
                clean(list),
                list.size(),
                times(list, 1),
                times(list, 2),
                list.stream()
                        .mapToLong(Boot::ipis)
                        .sorted()
                        .skip(list.size() / 2)
                        .findFirst()
                        .orElse(0)));
        out.lines().filter(l -> l.startsWith("STRESS-LOG: ")).forEach(System.out::println);
        for (String e : engines)
            assertThat(byEngine.getOrDefault(e, List.of())).as(e + " boots run").hasSize(boots);
        assertThat(all.stream().filter(b -> b.engine().startsWith("qemu")))
                .as("QEMU/KVM in the nested host: if these fail, the nested host is at fault")
                .allMatch(Boot::init);
        assertThat(all.stream().filter(b -> b.engine().startsWith("viridian")))
                .as("every Viridian boot reaches /init and powers off (logs above)")
                .allMatch(b -> b.init() && b.rc() == 0);
    }

    private static Boot boot(java.util.regex.MatchResult m) {
        return new Boot(
                m.group(1),
                Integer.parseInt(m.group(2)),
                Integer.parseInt(m.group(3)),
                Integer.parseInt(m.group(4)),
                m.group(5).equals("yes"),
                Integer.parseInt(m.group(6)),
                Long.parseLong(m.group(7)));
    }

    private static long clean(List<Boot> boots) {
        return boots.stream().filter(b -> b.init() && b.rc() == 0).count();
    }

    private static String times(List<Boot> boots, int cpus) {
        return boots.stream()
                .filter(b -> b.cpus() == cpus)
                .map(b -> Integer.toString(b.seconds()))
                .reduce((a, b) -> a + "," + b)
                .orElse("-");
    }
}
