package org.viridian.vswitch;

/** An IPv4 address with its prefix length, as iproute2 writes it ("10.222.0.1/24"). */
public record Ipv4Network(int address, int prefix) {
    public Ipv4Network {
        if (prefix < 0 || prefix > 32) throw new IllegalArgumentException("IPv4 prefix /" + prefix + " is not 0..32");
    }

    /** "a.b.c.d/p" (a bare address is a /32). */
    public static Ipv4Network parse(String text) {
        String[] parts = text.trim().split("/", -1);
        if (parts.length > 2) throw new IllegalArgumentException("not an IPv4 address/prefix: " + text);
        String[] octets = parts[0].split("\\.", -1);
        if (octets.length != 4) throw new IllegalArgumentException("not an IPv4 address: " + text);
        int a = 0;
        for (String o : octets) {
            if (!o.matches("\\d{1,3}") || Integer.parseInt(o) > 255)
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            a = a << 8 | Integer.parseInt(o);
        }
        int p = 32;
        if (parts.length == 2) {
            if (!parts[1].matches("\\d{1,2}")) throw new IllegalArgumentException("not an IPv4 prefix: " + text);
            p = Integer.parseInt(parts[1]);
        }
        return new Ipv4Network(a, p);
    }

    public int mask() {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    /** The network this address is in, with the host part zero. */
    public Ipv4Network network() {
        return new Ipv4Network(address & mask(), prefix);
    }

    /** Host {@code n} of this network (1 is usually the gateway), as an address without prefix. */
    public String host(int n) {
        if (n <= 0 || (prefix < 32 && Integer.toUnsignedLong(n) >= (1L << (32 - prefix)) - 1))
            throw new IllegalArgumentException("host " + n + " is outside " + network());
        return text((address & mask()) + n);
    }

    public boolean contains(int other) {
        return (other & mask()) == (address & mask());
    }

    public String addressText() {
        return text(address);
    }

    private static String text(int a) {
        return (a >>> 24) + "." + (a >>> 16 & 255) + "." + (a >>> 8 & 255) + "." + (a & 255);
    }

    @Override
    public String toString() {
        return addressText() + "/" + prefix;
    }
}
