package org.viridian.app.acceptance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.viridian.app.nested.NestedKvmHost;

/**
 * Save-VM with Debian's stock kernel (acceptance, nested-KVM host): `viridian serve` runs a stock Linux guest whose
 * /init writes a fresh random 64 KiB block to its StorVSP disk every second (fsync'd) and remembers each block's md5;
 * the host saves the VM half-way through the loop (`vm save`), keeps it saved a few seconds, and resumes it (`vm
 * start`). The loop must finish and read every block back with its md5 (no write lost or torn across the save), the
 * guest's uptime must go on from where it was (no reboot), the heartbeat must answer again after the restore, and the
 * guest's clock must be the host's again (time sync after the restore).
 */
@Tag("acceptance")
class StockLinuxSaveRestoreIT {
    private static NestedKvmHost.Outcome run;

    @BeforeAll
    static void saveAndResumeStockLinux() throws Exception {
        Path jar = Path.of("target/viridian.jar");
        assumeTrue(Files.exists(jar), "target/viridian.jar not built (run through mvn -P acceptance verify)");
        InitrdModules modules = InitrdModules.of(List.of("hv_vmbus", "hv_utils", "hv_storvsc", "sd_mod"));
        Map<String, Path> files = modules.files();
        String insmods = modules.insmods();
        String init =
                """
                #!/bin/busybox sh
                /bin/busybox --install -s /bin
                mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
                %s
                for t in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/sda ] && break; sleep 1; done
                echo "SR: disk $(cat /sys/block/sda/size) sectors, clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
                i=1
                while [ $i -le 24 ]; do
                  dd if=/dev/urandom of=/tmp/b$i bs=64k count=1 2>/dev/null
                  md5sum < /tmp/b$i | cut -d' ' -f1 > /tmp/m$i
                  dd if=/tmp/b$i of=/dev/sda bs=64k seek=$i conv=fsync 2>/dev/null
                  echo "SR: loop $i up=$(cut -d' ' -f1 /proc/uptime) clock=$(date -u +%%s)"
                  i=$((i + 1))
                  sleep 1
                done
                echo 3 > /proc/sys/vm/drop_caches
                bad=0; i=1
                while [ $i -le 24 ]; do
                  got=$(dd if=/dev/sda bs=64k skip=$i count=1 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
                  [ "$got" = "$(cat /tmp/m$i)" ] || { bad=$((bad + 1)); echo "SR: block $i differs"; }
                  i=$((i + 1))
                done
                echo "SR: verified 24 blocks, $bad bad"
                sleep 12
                echo "SR: final clock=$(date -u +%%s)"
                poweroff -f
                """
                        .formatted(insmods);
        byte[] initrd = NestedKvmHost.busyboxInitramfs(init, files);
        // w TEXT: waits (up to ~7 min) for TEXT on the guest's console, read from the service's REST API with busybox
        // wget (a CLI call would start a JVM each time, under TCG); gives up at once when the VM is off or crashed.
        // Progress
        // goes to the nested host's console too, so a run that is killed still shows how far it got.
        String waitFor =
                "for t in $(seq 1 200); do wget -qO- $API/vms/linux/console 2>/dev/null | grep -q \"$1\" && return 0;"
                        + " wget -qO- $API/vms/linux 2>/dev/null | grep -Eq '\"state\" *: *\"(off|crashed)\"' && break; sleep 2; done;"
                        + " echo \"SR-HOST: gave up waiting for '$1'\" | tee /dev/console; viridian vm show linux | sed 's/^/SR-HOST: /';"
                        + " wget -qO- $API/vms/linux/console | tail -n 40 | sed 's/^/SR-CONSOLE: /'; tail -n 20 serve.log; return 1";
        String script = "API=http://127.0.0.1:7480/api/v1; w() { " + waitFor
                + "; }; p() { echo \"SR-HOST: $*\" | tee /dev/console; };"
                + " rm -f disk.vhdx; viridian vhd create disk.vhdx --size 64M >/dev/null;"
                + " viridian serve --state-dir /tmp/sr > serve.log 2>&1 & S=$!;"
                + " for t in $(seq 1 120); do viridian vm list >/dev/null 2>&1 && break; sleep 1; done;"
                + " viridian vm create linux --kernel $PWD/vmlinuz --initrd $PWD/sr-initrd.gz --memory 512M --cpus 1"
                + " --disk $PWD/disk.vhdx --cmdline 'console=ttyS0 quiet panic=-1 reboot=k' | sed 's/^/SR-HOST: /';"
                + " p created; viridian vm start linux | sed 's/^/SR-HOST: /'; p started; w 'SR: loop 8 ' || { kill $S; exit 1; };"
                + " s0=$(date +%s%N); viridian vm save linux; echo \"SR-HOST: save rc=$? ms=$((($(date +%s%N) - s0) / 1000000))\";"
                + " echo \"SR-HOST: state $(viridian vm show linux | grep state:) file $(stat -c %s /tmp/sr/vms/*/saved-state.vmrs) bytes\";"
                + " sleep 5;"
                + " p saved; s0=$(date +%s%N); viridian vm start linux; echo \"SR-HOST: start rc=$? ms=$((($(date +%s%N) - s0) / 1000000))\";"
                + " w 'SR: verified' || { kill $S; exit 1; }; sleep 6;"
                + " echo \"SR-HOST: heartbeat $(viridian vm show linux --json | grep -o '\"heartbeat\"[^,]*')\";"
                + " echo \"SR-HOST: host clock=$(date -u +%s)\";"
                + " w 'SR: final'; wget -qO- $API/vms/linux/console | sed 's/^/SR-CONSOLE: /';"
                + " tail -n 5 /tmp/sr/run/*/worker.log 2>/dev/null; kill $S";
        NestedKvmHost.Run r = NestedKvmHost.run(
                jar,
                Map.of("vmlinuz", NestedKvmHost.stockKernel(), "sr-initrd.gz", initrd),
                List.of(new NestedKvmHost.Command("save-restore", script, 900)),
                Duration.ofMinutes(16));
        run = r.get("save-restore");
        System.out.printf(
                "stock Linux saved and resumed in Viridian (nested KVM): rc=%d in %d s%n%s%n",
                run.rc(),
                run.seconds(),
                run.output().lines().filter(l -> l.contains("SR")).reduce("", (a, b) -> a + b + "\n"));
    }

    @Test
    void theWriteLoopRunsOnAfterTheRestoreAndEveryBlockIsOnTheDisk() {
        String out = run.output();
        assertThat(out)
                .contains("SR-HOST: save rc=0")
                .contains("SR-HOST: start rc=0")
                .contains("state:        saved");
        assertThat(out).contains("SR: verified 24 blocks, 0 bad");
        // One boot: the loop's lines go 1..24 once each, and the guest's uptime never goes back.
        Matcher m = Pattern.compile("SR-CONSOLE: SR: loop (\\d+) up=([0-9.]+)").matcher(out);
        int expected = 1;
        double lastUp = 0;
        while (m.find()) {
            assertThat(Integer.parseInt(m.group(1))).isEqualTo(expected++);
            double up = Double.parseDouble(m.group(2));
            assertThat(up).isGreaterThan(lastUp);
            lastUp = up;
        }
        assertThat(expected).isEqualTo(25);
    }

    @Test
    void theHeartbeatAnswersAndTimeSyncSetsTheClockAfterTheRestore() {
        String out = run.output();
        assertThat(out).containsPattern("SR-HOST: heartbeat \"heartbeat\" *: *\"ok\"");
        Matcher host = Pattern.compile("SR-HOST: host clock=(\\d+)").matcher(out);
        Matcher guest = Pattern.compile("SR: final clock=(\\d+)").matcher(out);
        assertThat(host.find() && guest.find()).as(out).isTrue();
        // The guest's clock stood still while it was saved (5 s and more); time sync brings it back to the host's.
        assertThat(Math.abs(Long.parseLong(guest.group(1)) - Long.parseLong(host.group(1))))
                .isLessThan(15);
    }
}
