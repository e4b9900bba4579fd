package org.viridian.devices.video;

import static java.lang.System.Logger.Level.WARNING;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.viridian.devices.pci.PciEndpoint;
import org.viridian.devices.video.protocol.Dirt;
import org.viridian.devices.video.protocol.FeatureChange;
import org.viridian.devices.video.protocol.PointerPosition;
import org.viridian.devices.video.protocol.PointerShape;
import org.viridian.devices.video.protocol.Rect;
import org.viridian.devices.video.protocol.Resolution;
import org.viridian.devices.video.protocol.ResolutionRequest;
import org.viridian.devices.video.protocol.ResolutionResponse;
import org.viridian.devices.video.protocol.SituationUpdate;
import org.viridian.devices.video.protocol.SituationUpdateAck;
import org.viridian.devices.video.protocol.SynthvidMessage;
import org.viridian.devices.video.protocol.SynthvidVersion;
import org.viridian.devices.video.protocol.VersionRequest;
import org.viridian.devices.video.protocol.VersionResponse;
import org.viridian.devices.video.protocol.VramLocation;
import org.viridian.devices.video.protocol.VramLocationAck;
import org.viridian.partition.memory.GuestMemory;
import org.viridian.vmbus.device.ChannelDevice;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.ring.Packet;

/**
 * The synthetic video device (class da0a7802-e377-4aac-8e77-0558eb1073f8; Linux's hyperv_fb drives it). The guest
 * negotiates a version (WIN7 3.0, WIN8 3.2, WIN10 3.5), asks WIN10 hosts for their resolutions, tells where its VRAM
 * is (a guest physical address: on a BIOS-booted guest hyperv_fb takes it from its own RAM), then its mode
 * (situation), pointer and the rectangles it redrew. The host reads the picture from that VRAM on demand
 * ({@link #screen()}). A message that does not parse, comes out of order, or describes a VRAM outside guest memory
 * or a mode that does not fit it is refused and counted; the guest's channel and every other device go on.
 */
public final class SyntheticVideo extends ChannelDevice {
    private static final System.Logger LOG = System.getLogger(SyntheticVideo.class.getName());
    public static final UUID CLASS_ID = UUID.fromString("da0a7802-e377-4aac-8e77-0558eb1073f8");
    /** VRAM the offer asks for: hyperv_fb allocates it from its RAM in one piece, 4 MiB at most without CMA. */
    public static final int VRAM_MEGABYTES = 4;

    public static final long VRAM_BYTES = VRAM_MEGABYTES << 20;
    /** What the guest may choose from; the first is the default (hyperv_fb takes it as its screen size). */
    public static final List<Resolution> RESOLUTIONS =
            List.of(new Resolution(1024, 768), new Resolution(800, 600), new Resolution(640, 480));

    /** Hyper-V's PCI video device (Microsoft 1414:5353, VGA class), at slot 8 as on Hyper-V's generation 1 VMs. */
    public static final int PCI_VENDOR = 0x1414, PCI_DEVICE = 0x5353, PCI_SLOT = 8;
    /** Where its BAR 0 sits: below the IOAPIC and local APIC, above any RAM below 4 GiB. */
    public static final long PCI_BAR = 0xF800_0000L, PCI_BAR_SIZE = 8 << 20;

    /**
     * The PCI function a BIOS-booted Linux looks for before it takes its framebuffer (hyperv_fb's Gen 1 path finds
     * it, then allocates the VRAM from its own RAM and tells this device where): identity and a BAR, nothing behind
     * it.
     */
    public static PciEndpoint pciFunction() {
        return new PciEndpoint(PCI_VENDOR, PCI_DEVICE, 0x03_00_00, 0, 0).memoryBar(0, PCI_BAR, PCI_BAR_SIZE, false);
    }

    /** What the host knows of the guest's display: version, VRAM address (-1: none yet), mode (null: none yet). */
    public record State(SynthvidVersion version, long vramGpa, VideoMode mode, Pointer pointer, long refused) {}

    private final GuestMemory memory;
    private final UUID instance;
    private SynthvidVersion version;
    private long vramGpa = -1;
    private VideoMode mode;
    private Pointer pointer = Pointer.NONE;
    private final DirtyRegion dirt = new DirtyRegion();
    private long refused;

    public SyntheticVideo(GuestMemory memory, UUID instance) {
        super("synthvid", 16);
        this.memory = memory;
        this.instance = instance;
    }

    @Override
    public UUID classId() {
        return CLASS_ID;
    }

    @Override
    public UUID instanceId() {
        return instance;
    }

    @Override
    public int mmioMegabytes() {
        return VRAM_MEGABYTES;
    }

    @Override
    protected void onOpen() {
        version = null;
        vramGpa = -1;
        mode = null;
        pointer = Pointer.NONE;
        dirt.take();
    }

    /** Version, VRAM location, mode and pointer (see {@link VideoSavedState}); the picture is in guest memory. */
    @Override
    protected byte[] saveState() {
        return new VideoSavedState(version, vramGpa, mode, pointer).toBytes();
    }

    /**
     * After a restore: the display as saved, its whole screen dirty, so a console redraws it from the VRAM without
     * waiting for the guest to draw again.
     */
    @Override
    protected void onRestore(byte[] state) {
        VideoSavedState s = VideoSavedState.parse(state, VRAM_BYTES);
        if (s.vramGpa() >= 0 && !memory.contains(s.vramGpa(), VRAM_BYTES))
            throw new IllegalArgumentException("synthvid: saved VRAM is outside guest memory");
        version = s.version();
        vramGpa = s.vramGpa();
        mode = s.mode();
        pointer = s.pointer();
        dirt.take();
        if (mode != null) dirt.add(new Rect(0, 0, mode.width(), mode.height()));
    }

    @Override
    protected void onPacket(Packet p) {
        if (p.type() != Packet.DATA_INBAND) {
            refuse("packet type " + p.type());
            return;
        }
        SynthvidMessage m;
        try {
            m = SynthvidMessage.parse(p.data());
        } catch (ProtocolException e) {
            refuse(e.getMessage());
            return;
        }
        if (version == null && !(m instanceof VersionRequest)) {
            refuse(m.type() + " before a version was agreed");
            return;
        }
        switch (m) {
            case VersionRequest v -> negotiate(v);
            case ResolutionRequest r -> resolutions(r);
            case VramLocation v -> vram(v);
            case SituationUpdate s -> situation(s);
            case PointerPosition pp -> pointer = pointer.moved(pp.visible(), pp.x(), pp.y());
            case PointerShape s -> shape(s);
            case Dirt d -> dirt(d);
            default -> refuse(m.type() + " comes from the host, not the guest");
        }
    }

    private void negotiate(VersionRequest v) {
        Optional<SynthvidVersion> known = v.known();
        send(new VersionResponse(v.version(), known.isPresent(), 1));
        if (known.isPresent()) version = known.get();
    }

    private void resolutions(ResolutionRequest r) {
        if (!version.hasResolutionRequest()) {
            refuse("a resolution request on version " + version);
            return;
        }
        List<Resolution> list = RESOLUTIONS.subList(0, Math.min(RESOLUTIONS.size(), r.maximumCount()));
        send(new ResolutionResponse(new byte[ResolutionResponse.EDID], 0, true, list));
    }

    private void vram(VramLocation v) {
        boolean fits = !v.gpaSpecified() || (v.gpa() >= 0 && memory.contains(v.gpa(), VRAM_BYTES));
        if (!fits) {
            // hyperv_fb fails its probe when the ack does not echo its context: the guest learns it was refused.
            refuse("VRAM at 0x" + Long.toHexString(v.gpa()) + " is outside guest memory");
            send(new VramLocationAck(~v.userContext()));
            return;
        }
        vramGpa = v.gpaSpecified() ? v.gpa() : -1;
        mode = null;
        dirt.take();
        send(new VramLocationAck(v.userContext()));
        // Ask for everything: dirt lets the host stream changes, the rest keeps its picture of the pointer current.
        send(new FeatureChange(true, true, true, true));
    }

    private void situation(SituationUpdate s) {
        if (s.outputs().isEmpty()) {
            refuse("a situation without outputs");
            return;
        }
        VideoMode m = VideoMode.of(s.outputs().getFirst(), version.depthBits(), VRAM_BYTES);
        if (m == null) {
            refuse("an impossible mode " + s.outputs().getFirst());
            return;
        }
        mode = m;
        dirt.take(); // what was dirty in the old mode is covered by the new one's whole screen
        dirt.add(new Rect(0, 0, m.width(), m.height()));
        send(new SituationUpdateAck(s.userContext()));
    }

    private void shape(PointerShape s) {
        int needed = s.argb() ? s.width() * s.height() * 4 : (s.width() + 7) / 8 * s.height() * 2;
        if (s.partIndex() == PointerShape.COMPLETE && s.data().length < needed) {
            refuse("a " + s.width() + "x" + s.height() + " pointer in " + s.data().length + " bytes");
            return;
        }
        pointer = pointer.shaped(s.width(), s.height(), (int) s.hotX(), (int) s.hotY(), s.argb(), s.data());
    }

    private void dirt(Dirt d) {
        if (mode == null) return; // nothing to redraw yet
        for (Rect r : d.rects()) dirt.add(r.clip(mode.width(), mode.height()));
    }

    private void send(SynthvidMessage m) {
        send(Packet.DATA_INBAND, 0, 0, m.toBytes());
    }

    private void refuse(String why) {
        refused++;
        // A guest that floods bad messages gets its first few and then every power of two logged, not all.
        if (refused <= 8 || Long.bitCount(refused) == 1)
            LOG.log(WARNING, "synthvid: refused " + why + " (" + refused + " refused)");
    }

    public synchronized State state() {
        return new State(version, vramGpa, mode, pointer, refused);
    }

    /** The rectangles the guest redrew since the last call (a new mode counts as the whole screen). */
    public synchronized List<Rect> takeDirt() {
        return dirt.take();
    }

    /** The screen as it is now, once the guest gave its VRAM and a mode. */
    public synchronized Optional<Framebuffer> screen() {
        if (vramGpa < 0 || mode == null) return Optional.empty();
        MemorySegment vram = memory.slice(vramGpa + mode.vramOffset(), mode.bytes());
        int w = mode.width(), h = mode.height();
        int[] pixels = new int[w * h];
        var le32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        var le16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int y = 0; y < h; y++) {
            long row = (long) y * mode.pitch();
            for (int x = 0; x < w; x++) {
                pixels[y * w + x] = mode.depthBits() == 32
                        ? vram.get(le32, row + 4L * x) & 0xFFFFFF
                        : rgb565(vram.get(le16, row + 2L * x));
            }
        }
        return Optional.of(new Framebuffer(w, h, pixels));
    }

    private static int rgb565(short p) {
        int r = (p >>> 11) & 0x1F, g = (p >>> 5) & 0x3F, b = p & 0x1F;
        return (r << 3 | r >>> 2) << 16 | (g << 2 | g >>> 4) << 8 | (b << 3 | b >>> 2);
    }
}
