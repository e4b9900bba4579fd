package org.viridian.devices.video.protocol;

/**
 * struct video_output_situation (packed, 18 bytes): whether the output is active, where its picture starts in VRAM,
 * its depth in bits, its size in pixels and the bytes per line. The u32 fields are kept unsigned in longs; whether they
 * make a picture that fits the VRAM is the device's to judge.
 */
public record VideoOutput(boolean active, long vramOffset, int depthBits, long width, long height, long pitch) {
    public static final int SIZE = 18;
}
