package org.viridian.hv.diag;

import org.viridian.hv.HvProtocolException;
import org.viridian.hv.hypercall.HvStatus;
import org.viridian.hv.synic.Synic;

/**
 * A command to the Hyper-V test device (QEMU's hyperv-testdev, as kvm-unit-tests' x86/hyperv.c drives it): one 32-bit
 * write of {@code connection << 24 | control << 16 | vp << 8 | sint} to port 0x3000. Controls 1-3 act on an interrupt
 * route to (VP, SINT), 4-7 create and destroy message and event connections the guest then uses with HvPostMessage
 * and HvSignalEvent. Connection ids are one byte; the destroy commands name only the connection.
 */
public sealed interface HvTestDevCommand {
    int SINT_ROUTE_CREATE = 1,
            SINT_ROUTE_DESTROY = 2,
            SINT_ROUTE_SET_SINT = 3,
            MSG_CONN_CREATE = 4,
            MSG_CONN_DESTROY = 5,
            EVT_CONN_CREATE = 6,
            EVT_CONN_DESTROY = 7;

    /** A host-side interrupt route to one VP's SINT (QEMU: an HvSintRoute). */
    record SintRouteCreate(int vp, int sint) implements HvTestDevCommand {
        @Override
        public int word() {
            return encode(SINT_ROUTE_CREATE, vp, sint, 0);
        }
    }

    record SintRouteDestroy(int vp, int sint) implements HvTestDevCommand {
        @Override
        public int word() {
            return encode(SINT_ROUTE_DESTROY, vp, sint, 0);
        }
    }

    /** Raise the routed SINT's interrupt, no message or flag (QEMU: hyperv_sint_route_set_sint). */
    record SintRouteSetSint(int vp, int sint) implements HvTestDevCommand {
        @Override
        public int word() {
            return encode(SINT_ROUTE_SET_SINT, vp, sint, 0);
        }
    }

    /** Messages posted to {@code connection} come back, same type and payload, on (VP, SINT). */
    record MessageConnectionCreate(int vp, int sint, int connection) implements HvTestDevCommand {
        @Override
        public int word() {
            return encode(MSG_CONN_CREATE, vp, sint, connection);
        }
    }

    record MessageConnectionDestroy(int connection) implements HvTestDevCommand {
        @Override
        public int word() {
            return encode(MSG_CONN_DESTROY, 0, 0, connection);
        }
    }

    /** HvSignalEvent on {@code connection} sets event flag number {@code connection} of (VP, SINT). */
    record EventConnectionCreate(int vp, int sint, int connection) implements HvTestDevCommand {
        @Override
        public int word() {
            return encode(EVT_CONN_CREATE, vp, sint, connection);
        }
    }

    record EventConnectionDestroy(int connection) implements HvTestDevCommand {
        @Override
        public int word() {
            return encode(EVT_CONN_DESTROY, 0, 0, connection);
        }
    }

    /** Decodes a port write; an unknown control, a VP past {@code vpCount} or a SINT past 15 is refused. */
    static HvTestDevCommand parse(int word, int vpCount) throws HvProtocolException {
        int sint = word & 0xFF, vp = (word >>> 8) & 0xFF, control = (word >>> 16) & 0xFF, connection = word >>> 24;
        boolean target = control >= SINT_ROUTE_CREATE && control != MSG_CONN_DESTROY && control != EVT_CONN_DESTROY;
        if (target && vp >= vpCount) throw refuse(word, "VP " + vp + " of " + vpCount);
        if (target && sint >= Synic.SINTS) throw refuse(word, "SINT " + sint);
        return switch (control) {
            case SINT_ROUTE_CREATE -> new SintRouteCreate(vp, sint);
            case SINT_ROUTE_DESTROY -> new SintRouteDestroy(vp, sint);
            case SINT_ROUTE_SET_SINT -> new SintRouteSetSint(vp, sint);
            case MSG_CONN_CREATE -> new MessageConnectionCreate(vp, sint, connection);
            case MSG_CONN_DESTROY -> new MessageConnectionDestroy(connection);
            case EVT_CONN_CREATE -> new EventConnectionCreate(vp, sint, connection);
            case EVT_CONN_DESTROY -> new EventConnectionDestroy(connection);
            default -> throw refuse(word, "control " + control);
        };
    }

    /** The port write that means this command (what the suite's guest library writes). */
    int word();

    private static int encode(int control, int vp, int sint, int connection) {
        return connection << 24 | control << 16 | vp << 8 | sint;
    }

    private static HvProtocolException refuse(int word, String why) {
        return new HvProtocolException(
                HvStatus.INVALID_PARAMETER, String.format("test device command %#010x: no such %s", word, why));
    }
}
