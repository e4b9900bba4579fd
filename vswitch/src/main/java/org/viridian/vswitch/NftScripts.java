package org.viridian.vswitch;

import java.util.List;

/**
 * The nftables scripts of a switch. Port policies live in a bridge-family table: its prerouting chain sends each frame
 * a VM sent to that port's "from-vm" chain, its postrouting chain each frame going to a VM to the port's "to-vm" chain
 * (verdict maps keyed by interface name, so a port is one map element and one chain pair). Drop rules carry a counter
 * and a comment naming the policy, which is how {@link SwitchHost#counters} reads them back.
 */
final class NftScripts {
    static final String FROM_VM = "from-vm", TO_VM = "to-vm";

    private NftScripts() {}

    static String portTable(String table) {
        String t = "bridge " + table;
        return String.join(
                "\n",
                "add table " + t,
                "add chain " + t + " prerouting { type filter hook prerouting priority -200; policy accept; }",
                "add chain " + t + " postrouting { type filter hook postrouting priority 200; policy accept; }",
                "add map " + t + " " + FROM_VM + "-ports { type ifname : verdict; }",
                "add map " + t + " " + TO_VM + "-ports { type ifname : verdict; }",
                "flush chain " + t + " prerouting",
                "flush chain " + t + " postrouting",
                "add rule " + t + " prerouting iifname vmap @" + FROM_VM + "-ports",
                "add rule " + t + " postrouting oifname vmap @" + TO_VM + "-ports",
                "");
    }

    static String natTable(String table, String bridge, Ipv4Network network) {
        String t = "ip " + table;
        return String.join(
                "\n",
                "add table " + t,
                "delete table " + t,
                "table " + t + " {",
                "  chain postrouting { type nat hook postrouting priority srcnat; policy accept;",
                "    ip saddr " + network + " ip daddr != " + network + " masquerade",
                "  }",
                "  chain forward { type filter hook forward priority filter; policy accept;",
                "    iifname \"" + bridge + "\" accept",
                "    oifname \"" + bridge + "\" ct state established,related accept",
                "  }",
                "}",
                "");
    }

    static String port(String table, String ifname, PortSpec port) {
        String t = "bridge " + table;
        String from = Names.portChain(FROM_VM, ifname), to = Names.portChain(TO_VM, ifname);
        StringBuilder s = new StringBuilder();
        for (String chain : List.of(from, to)) {
            s.append("add chain ").append(t).append(' ').append(chain).append('\n');
            s.append("flush chain ").append(t).append(' ').append(chain).append('\n');
        }
        String rule = "add rule " + t + " " + from + " ";
        if (port.macSpoofGuard())
            s.append(rule).append("ether saddr != ").append(port.mac()).append(drop("mac-spoof-guard"));
        if (port.dhcpGuard()) s.append(rule).append("udp sport 67 udp dport 68").append(drop("dhcp-guard"));
        if (port.routerGuard()) {
            s.append(rule)
                    .append("icmpv6 type { nd-router-advert, nd-redirect }")
                    .append(drop("router-guard"));
            s.append(rule).append("icmp type redirect").append(drop("router-guard"));
        }
        for (PortSpec.PortAcl acl : port.acls()) {
            boolean out = acl.direction() == PortSpec.PortAcl.Direction.OUTBOUND;
            s.append("add rule ")
                    .append(t)
                    .append(' ')
                    .append(out ? from : to)
                    .append(out ? " ip daddr " : " ip saddr ")
                    .append(acl.remote().network())
                    .append(acl.allow() ? " counter accept comment \"acl-allow\"\n" : drop("acl"));
        }
        s.append("add element ")
                .append(t)
                .append(' ')
                .append(FROM_VM)
                .append("-ports { \"")
                .append(ifname);
        s.append("\" : jump ").append(from).append(" }\n");
        s.append("add element ")
                .append(t)
                .append(' ')
                .append(TO_VM)
                .append("-ports { \"")
                .append(ifname);
        s.append("\" : jump ").append(to).append(" }\n");
        return s.toString();
    }

    static List<String> removePort(String table, String ifname) {
        String t = "bridge " + table;
        return List.of(
                "delete element " + t + " " + FROM_VM + "-ports { \"" + ifname + "\" }",
                "delete element " + t + " " + TO_VM + "-ports { \"" + ifname + "\" }",
                "delete chain " + t + " " + Names.portChain(FROM_VM, ifname),
                "delete chain " + t + " " + Names.portChain(TO_VM, ifname));
    }

    private static String drop(String policy) {
        return " counter drop comment \"" + policy + "\"\n";
    }
}
