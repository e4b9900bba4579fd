package org.viridian.devices.video;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.viridian.devices.video.protocol.SynthvidVersion;

/**
 * The synthetic video device's own part of a saved VM (the persisted-state role): the version agreed, where the
 * guest's VRAM is (-1: none yet), the mode it set (null: none yet) and its pointer. The picture itself is in the VRAM,
 * in guest memory. {@link #parse} checks what a restore would otherwise trust: a known version, a VRAM inside guest
 * memory (the caller's check), a possible mode, a pointer image of sane size.
 */
record VideoSavedState(SynthvidVersion version, long vramGpa, VideoMode mode, Pointer pointer) {
    private static final int MAGIC = 0x53565631; // "SVV1"
    /** The largest pointer image hyperv_fb sends (cursors are at most 256 x 256 ARGB). */
    private static final int MAX_POINTER_BYTES = 256 * 256 * 4;

    byte[] toBytes() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(MAGIC);
            out.writeInt(version == null ? 0 : version.code());
            out.writeLong(vramGpa);
            out.writeBoolean(mode != null);
            if (mode != null) {
                out.writeLong(mode.vramOffset());
                out.writeInt(mode.width());
                out.writeInt(mode.height());
                out.writeInt(mode.depthBits());
                out.writeInt(mode.pitch());
            }
            out.writeBoolean(pointer.visible());
            out.writeInt(pointer.x());
            out.writeInt(pointer.y());
            out.writeInt(pointer.width());
            out.writeInt(pointer.height());
            out.writeInt(pointer.hotX());
            out.writeInt(pointer.hotY());
            out.writeBoolean(pointer.argb());
            byte[] image = pointer.image();
            out.writeInt(image.length);
            out.write(image);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A state {@link #toBytes} wrote, for VRAM of {@code vramBytes}; IllegalArgumentException for anything else. */
    static VideoSavedState parse(byte[] state, long vramBytes) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(state));
            if (in.readInt() != MAGIC) throw bad("not a saved video state");
            int code = in.readInt();
            SynthvidVersion version =
                    code == 0 ? null : SynthvidVersion.of(code).orElseThrow(() -> bad("version " + code));
            long vram = in.readLong();
            if (vram < -1) throw bad("VRAM at " + vram);
            VideoMode mode = null;
            if (in.readBoolean()) {
                long offset = in.readLong();
                int w = in.readInt(), h = in.readInt(), depth = in.readInt(), pitch = in.readInt();
                mode = VideoMode.checked(offset, w, h, depth, pitch, vramBytes);
                if (mode == null || version == null || depth != version.depthBits()) throw bad("an impossible mode");
            }
            boolean visible = in.readBoolean();
            int x = in.readInt(), y = in.readInt(), pw = in.readInt(), ph = in.readInt();
            int hotX = in.readInt(), hotY = in.readInt();
            boolean argb = in.readBoolean();
            int length = in.readInt();
            if (length < 0 || length > MAX_POINTER_BYTES) throw bad("a pointer of " + length + " bytes");
            byte[] image = in.readNBytes(length);
            if (image.length != length || in.available() != 0) throw bad("trailing or missing bytes");
            return new VideoSavedState(
                    version, vram, mode, new Pointer(visible, x, y, pw, ph, hotX, hotY, argb, image));
        } catch (IOException e) {
            throw bad("truncated");
        }
    }

    private static IllegalArgumentException bad(String why) {
        return new IllegalArgumentException("synthvid: saved state is malformed: " + why);
    }
}
