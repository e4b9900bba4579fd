package org.viridian.app.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.viridian.machine.boot.HostProgram;
import org.viridian.machine.boot.Initramfs;
import org.viridian.machine.boot.KernelModules;

/**
 * The one guest of `viridian bench netvsp`, for Viridian and QEMU alike: static busybox, this host's iperf3 with its
 * libraries, and the kernel's NetVSP and virtio-net drivers (each loads where its device is and fails quietly where
 * it is not). Its role comes on the kernel command line: a client runs the two iperf3 tests against its peer and
 * prints each JSON report on one console line; a server answers two tests. Both then power off.
 */
public final class NetGuest {
    /** NetVSP's driver (hv_netvsc over hv_vmbus) and virtio-net's (virtio_net over virtio_pci). */
    public static final List<String> MODULES = List.of("hv_vmbus", "hv_netvsc", "virtio_pci", "virtio_net");

    static final String CMDLINE = "console=ttyS0 quiet loglevel=1 panic=-1 reboot=k";

    private NetGuest() {}

    /** The gzipped initramfs: {@code modules} is the kernel's module tree (…/lib/modules/VERSION/kernel). */
    static byte[] initramfs(Path busybox, Path iperf3, Path modules, int seconds) throws IOException {
        List<Path> drivers = new KernelModules(modules).closure(MODULES);
        StringBuilder insmods = new StringBuilder();
        for (Path ko : drivers)
            insmods.append("insmod /lib/modules/")
                    .append(KernelModules.fileName(ko))
                    .append(" 2>/dev/null\n");
        Initramfs fs = Initramfs.busybox(busybox, init(insmods.toString(), seconds));
        for (Path ko : drivers) fs.file("lib/modules/" + KernelModules.fileName(ko), KernelModules.read(ko), false);
        fs.copyAll(HostProgram.withLibraries(iperf3, "bin/iperf3"));
        return fs.gzipped();
    }

    /** The kernel command line of a client ({@code peer}: the server's address) or, with a null peer, a server. */
    static String cmdline(String address, String peer) {
        return CMDLINE + " nb.ip=" + address + (peer == null ? " nb.role=server" : " nb.role=client nb.peer=" + peer);
    }

    private static String init(String insmods, int seconds) {
        return """
                #!/bin/busybox sh
                /bin/busybox --install -s /bin
                mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev; mount -t tmpfs t /tmp
                %s
                for a in $(cat /proc/cmdline); do case "$a" in nb.*=*) k=${a%%%%=*}; eval "${k#nb.}='${a#*=}'";; esac; done
                for t in $(seq 1 60); do [ -e /sys/class/net/eth0 ] && break; sleep 1; done
                ip link set lo up; ip link set eth0 up; ip addr add "$ip" dev eth0
                if [ "$role" = server ]; then
                  echo "NETBENCH serving on $ip"
                  /bin/iperf3 -s -1 >/dev/null 2>&1; /bin/iperf3 -s -1 >/dev/null 2>&1
                else
                  # The server may still be booting (VM to VM): a refused test is tried again, for two minutes.
                  run() { n=$1; shift
                    for t in $(seq 1 120); do
                      if /bin/iperf3 -c "$peer" "$@" >/tmp/r.json 2>&1; then
                        echo "NETBENCH $n $(tr -d '\\n\\t' </tmp/r.json)"; return; fi
                      sleep 1
                    done
                    echo "NETBENCH-FAILED $n $(tr -d '\\n\\t' </tmp/r.json)"
                  }
                  echo "NETBENCH-START tcp"
                  run tcp %s
                  run udp %s
                fi
                sed 's/^/NETDIAG /' /proc/interrupts
                sed 's/^/NETDIAG softirqs /' /proc/softirqs; sed 's/^/NETDIAG softnet /' /proc/net/softnet_stat
                for p in /proc/[0-9]*; do case "$(cat $p/comm 2>/dev/null)" in ksoftirqd*|iperf3) echo "NETDIAG task $(cat $p/stat)";; esac; done
                cat /proc/net/snmp /proc/net/netstat | grep '^Tcp' | sed 's/^/NETSNMP /'
                for f in /sys/class/net/eth0/statistics/*; do echo "NETDIAG ${f##*/} $(cat $f)"; done
                poweroff -f
                """
                .formatted(insmods, String.join(" ", Iperf3.tcp(seconds)), String.join(" ", Iperf3.udp(seconds)));
    }
}
