package org.viridian.app.acceptance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.viridian.app.nested.NestedKvmHost;
import org.viridian.machine.boot.DebianKernel;
import org.viridian.machine.boot.KernelModules;

/**
 * What the nested host needs to run virtual switches: its kernel's bridge, TAP, nftables and tc modules (insmod'ed by
 * {@link #setup}), and this machine's iproute2, nft and dnsmasq with their libraries, placed in /sbin so they come
 * before busybox's applets on the PATH.
 */
final class NestedNetwork {
    static final List<String> MODULES = List.of(
            "bridge",
            "tun",
            "nf_tables",
            "nft_meta_bridge", // meta (iifname) in the bridge family; a host with modprobe loads it on demand
            "nft_chain_nat",
            "nft_masq",
            "nft_ct",
            "sch_tbf",
            "sch_ingress",
            "cls_matchall",
            "act_police");

    private NestedNetwork() {}

    /** Host programs and modules for {@link NestedKvmHost#run}: the modules under mod/net/, in load order. */
    static Map<String, Path> files() throws IOException, InterruptedException {
        Map<String, Path> files = new LinkedHashMap<>();
        for (String[] tool : new String[][] {
            {"ip", "iproute2"},
            {"bridge", "iproute2"},
            {"tc", "iproute2"},
            {"nft", "nftables"},
            {"dnsmasq", "dnsmasq-base"}
        }) {
            Map<String, Path> p = NestedKvmHost.dynamicProgram(tool[0], tool[1], "sbin/" + tool[0]);
            org.junit.jupiter.api.Assumptions.assumeFalse(p.isEmpty(), tool[0] + " (" + tool[1] + ") is missing");
            files.putAll(p);
        }
        int i = 0;
        for (Path ko : new KernelModules(DebianKernel.modules()).closure(MODULES))
            files.put(String.format("mod/net/%02d-%s", i++, ko.getFileName()), ko);
        // dnsmasq drops its privileges to "nobody"; busybox's initramfs has no user database.
        Path passwd = Files.createTempFile("passwd", ""), group = Files.createTempFile("group", "");
        Files.writeString(passwd, "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
        Files.writeString(group, "root:x:0:\nnogroup:x:65534:\n");
        passwd.toFile().deleteOnExit();
        group.toFile().deleteOnExit();
        files.put("etc/passwd", passwd);
        files.put("etc/group", group);
        return files;
    }

    /**
     * A network guest's initramfs files: hv_vmbus, hv_netvsc and what they depend on, under lib/modules/ (put into
     * {@code files}); returns the shell lines that load them in order.
     */
    static String guestDrivers(Map<String, Path> files) throws IOException, InterruptedException {
        return guestDrivers(files, List.of("hv_vmbus", "hv_netvsc"));
    }

    /** The same for the given drivers (e.g. hv_utils too, for KVP). */
    static String guestDrivers(Map<String, Path> files, List<String> drivers) throws IOException, InterruptedException {
        StringBuilder insmods = new StringBuilder();
        for (Path ko : new KernelModules(DebianKernel.modules()).closure(drivers)) {
            files.put("lib/modules/" + ko.getFileName(), ko);
            insmods.append("insmod /lib/modules/").append(ko.getFileName()).append('\n');
        }
        return insmods.toString();
    }

    /** Guest shell lines: busybox's udhcpc asks for a lease on {@code iface}, sets it and prints "NET: lease IP/MASK router R". */
    static String dhcpClient(String iface) {
        return """
                printf '#!/bin/sh\\n[ "$1" = bound ] || exit 0\\nip addr add $ip/$mask dev $interface\\n' > /dhcp.sh
                printf 'ip route add default via $router\\necho "NET: lease $ip/$mask router $router"\\n' >> /dhcp.sh
                chmod +x /dhcp.sh
                udhcpc -i %s -n -q -t 10 -T 2 -s /dhcp.sh 2>&1 | sed 's/^/NET-DHCP: /'
                """
                .formatted(iface);
    }

    /** The shell that loads the modules (in order) and makes the runtime directory, before any `--nic` command. */
    static String setup() {
        return "for m in /mod/net/*.ko; do insmod $m || echo \"insmod $m failed\"; done; mkdir -p /run/viridian;"
                + " ip link set lo up;";
    }
}
