package org.viridian.devices.legacy;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import org.viridian.partition.bus.PortIoHandler;

/**
 * A 16550A UART as the guest sees it on COM1 (0x3F8, IRQ 4): transmit goes straight to the sink (so the transmitter is
 * always empty), received bytes queue in a 16-byte FIFO, and the interrupt line follows IER and the pending causes.
 */
public final class Uart16550 implements PortIoHandler {
    public static final int COM1 = 0x3F8, COM1_IRQ = 4;

    // Register offsets.
    private static final int RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;
    // IER bits.
    private static final int IER_RDA = 1, IER_THRE = 2;
    // LSR bits: data ready, THR empty, transmitter empty.
    private static final int LSR_DR = 0x01, LSR_THRE = 0x20, LSR_TEMT = 0x40;
    private static final int LCR_DLAB = 0x80, MCR_LOOP = 0x10;
    private static final int FIFO_SIZE = 16;

    private final int base;
    private final OutputStream sink;
    private final IrqLine irq;
    private final ArrayDeque<Byte> rx = new ArrayDeque<>();
    private int ier, lcr, mcr, scr, fcr, dll = 1, dlm;
    private boolean threPending;

    public Uart16550(int base, OutputStream sink, IrqLine irq) {
        this.base = base;
        this.sink = sink;
        this.irq = irq;
    }

    /** The registers and unread input, for save/restore (what was transmitted is the console's, not ours). */
    public record State(int ier, int lcr, int mcr, int scr, int fcr, int dll, int dlm, boolean threPending, byte[] rx) {
        public State {
            rx = rx.clone();
        }
    }

    public synchronized State state() {
        byte[] in = new byte[rx.size()];
        int i = 0;
        for (byte b : rx) in[i++] = b;
        return new State(ier, lcr, mcr, scr, fcr, dll, dlm, threPending, in);
    }

    public synchronized void restore(State s) {
        ier = s.ier() & 0x0F;
        lcr = s.lcr() & 0xFF;
        mcr = s.mcr() & 0x1F;
        scr = s.scr() & 0xFF;
        fcr = s.fcr() & 0xFF;
        dll = s.dll() & 0xFF;
        dlm = s.dlm() & 0xFF;
        threPending = s.threPending();
        rx.clear();
        for (int i = 0; i < Math.min(s.rx().length, FIFO_SIZE); i++) rx.add(s.rx()[i]);
        updateIrq();
    }

    /** Host → guest: queues input bytes (dropped when the FIFO is full, as a real UART overruns). */
    public synchronized void receive(byte[] data) {
        for (byte b : data) if (rx.size() < FIFO_SIZE) rx.add(b);
        updateIrq();
    }

    @Override
    public synchronized int read(int port, int size) {
        return switch (port - base) {
            case RBR_THR -> {
                if ((lcr & LCR_DLAB) != 0) yield dll;
                int v = rx.isEmpty() ? 0 : Byte.toUnsignedInt(rx.poll());
                updateIrq();
                yield v;
            }
            case IER -> (lcr & LCR_DLAB) != 0 ? dlm : ier;
            case IIR_FCR -> {
                int iir = interruptId();
                if (iir == 0x02) threPending = false; // reading IIR clears a THR-empty interrupt
                updateIrq();
                yield iir | ((fcr & 1) != 0 ? 0xC0 : 0);
            }
            case LCR -> lcr;
            case MCR -> mcr;
            case LSR -> LSR_THRE | LSR_TEMT | (rx.isEmpty() ? 0 : LSR_DR);
            case MSR -> (mcr & MCR_LOOP) != 0 ? ((mcr & 0x0C) << 4 | (mcr & 0x03) << 4) : 0xB0; // DCD, DSR, CTS
            case SCR -> scr;
            default -> 0xFF;
        };
    }

    @Override
    public synchronized void write(int port, int size, int value) {
        int v = value & 0xFF;
        switch (port - base) {
            case RBR_THR -> {
                if ((lcr & LCR_DLAB) != 0) {
                    dll = v;
                } else {
                    transmit(v);
                }
            }
            case IER -> {
                if ((lcr & LCR_DLAB) != 0) {
                    dlm = v;
                } else {
                    boolean threEnabled = (ier & IER_THRE) == 0 && (v & IER_THRE) != 0;
                    ier = v & 0x0F;
                    if (threEnabled) threPending = true; // enabling THRE with an empty THR raises it at once
                }
            }
            case IIR_FCR -> {
                fcr = v;
                if ((v & 0x02) != 0) rx.clear();
            }
            case LCR -> lcr = v;
            case MCR -> mcr = v & 0x1F;
            case SCR -> scr = v;
            default -> {}
        }
        updateIrq();
    }

    private void transmit(int v) {
        if ((mcr & MCR_LOOP) != 0) {
            if (rx.size() < FIFO_SIZE) rx.add((byte) v);
        } else {
            try {
                sink.write(v);
                if (v == '\n') sink.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        threPending = true;
    }

    /** IIR value: 0x04 received data, 0x02 THR empty, 0x01 none. */
    private int interruptId() {
        if ((ier & IER_RDA) != 0 && !rx.isEmpty()) return 0x04;
        if ((ier & IER_THRE) != 0 && threPending) return 0x02;
        return 0x01;
    }

    private void updateIrq() {
        // OUT2 gates the interrupt onto the ISA bus on PC UARTs.
        irq.set(interruptId() != 0x01 && (mcr & 0x08) != 0);
    }
}
