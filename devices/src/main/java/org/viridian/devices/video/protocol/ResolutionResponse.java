package org.viridian.devices.video.protocol;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.viridian.vmbus.protocol.ProtocolException;
import org.viridian.vmbus.protocol.Wire;

/**
 * struct synthvid_supported_resolution_resp: a 128-byte EDID block, the count of resolutions (64 at most), the index of
 * the default one (the guest takes it as its screen size), whether they are standard, then the resolutions.
 */
public record ResolutionResponse(byte[] edid, int defaultIndex, boolean standard, List<Resolution> resolutions)
        implements SynthvidMessage {
    public static final int EDID = 128, FIXED = EDID + 3, MAX_RESOLUTIONS = 64;

    public ResolutionResponse {
        if (edid.length != EDID) throw new IllegalArgumentException("EDID of " + edid.length + " bytes");
        if (resolutions.size() > MAX_RESOLUTIONS)
            throw new IllegalArgumentException(resolutions.size() + " resolutions");
        if (defaultIndex < 0 || defaultIndex > 0xFF) throw new IllegalArgumentException("default " + defaultIndex);
        edid = edid.clone();
        resolutions = List.copyOf(resolutions);
    }

    public static ResolutionResponse parse(ByteBuffer b, int size) throws ProtocolException {
        ByteBuffer m = Wire.view(b, size, FIXED, "synthvid_supported_resolution_resp");
        int count = m.get(EDID) & 0xFF;
        if (count > MAX_RESOLUTIONS) throw new ProtocolException(count + " resolutions, at most " + MAX_RESOLUTIONS);
        if (FIXED + count * Resolution.SIZE > size)
            throw new ProtocolException(count + " resolutions run past " + size + " bytes");
        List<Resolution> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int at = FIXED + i * Resolution.SIZE;
            list.add(new Resolution(Short.toUnsignedInt(m.getShort(at)), Short.toUnsignedInt(m.getShort(at + 2))));
        }
        byte[] edid = new byte[EDID];
        m.get(0, edid);
        return new ResolutionResponse(edid, m.get(EDID + 1) & 0xFF, SynthvidMessage.flag(m, EDID + 2), list);
    }

    @Override
    public byte[] edid() {
        return edid.clone();
    }

    @Override
    public SynthvidType type() {
        return SynthvidType.RESOLUTION_RESPONSE;
    }

    @Override
    public int payloadSize() {
        return FIXED + resolutions.size() * Resolution.SIZE;
    }

    @Override
    public void writeTo(ByteBuffer b) {
        b.put(edid).put((byte) resolutions.size()).put((byte) defaultIndex).put((byte) (standard ? 1 : 0));
        for (Resolution r : resolutions) b.putShort((short) r.width()).putShort((short) r.height());
    }
}
