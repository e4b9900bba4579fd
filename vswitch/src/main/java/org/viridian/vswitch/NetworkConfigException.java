package org.viridian.vswitch;

import java.io.IOException;

/** The host refused a network change (a tool failed, a device is missing, no CAP_NET_ADMIN): the message says which. */
public final class NetworkConfigException extends IOException {
    public NetworkConfigException(String message) {
        super(message);
    }
}
