package org.viridian.devices.video;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What changed on a screen since the last look: found by comparing with a copy of what was last handed on, in
 * {@value #TILE}x{@value #TILE} tiles, rather than by trusting the guest's dirt messages (a guest that draws without
 * reporting it would leave every viewer behind; the copy cannot be fooled, and comparing a screen is cheap next to
 * sending it). Changed tiles next to each other in a row of tiles go out as one region. A new size sends everything.
 * Used at each hop: the worker (the guest's VRAM to the service) and each viewer (the service's copy to a browser or
 * a VNC client), each with its own tracker.
 */
public final class ScreenTracker {
    public static final int TILE = 64;
    /** Never a pixel (pixels are 0xRRGGBB): what a tile not yet handed on holds in the copy. */
    private static final int UNSENT = -1;

    /** A changed part of the screen: its top left corner and its pixels now. */
    public record Region(int x, int y, Framebuffer pixels) {}

    /**
     * The regions that changed (all of them when {@code resized}); {@code complete} false: the budget ran out and more
     * changes wait for the next call.
     */
    public record Changes(int width, int height, boolean resized, boolean complete, List<Region> regions) {
        public Changes {
            regions = List.copyOf(regions);
        }

        public boolean isEmpty() {
            return !resized && regions.isEmpty();
        }

        public long pixelCount() {
            long n = 0;
            for (Region r : regions) n += r.pixels().pixels().length;
            return n;
        }
    }

    private int width, height;
    private int[] sent = new int[0];

    /**
     * The regions of {@code now} that differ from what was handed on before, at most about {@code pixelBudget} pixels
     * of them (always at least one region); the ones returned count as handed on from here.
     */
    public synchronized Changes changes(Framebuffer now, long pixelBudget) {
        boolean resized = now.width() != width || now.height() != height;
        if (resized) {
            width = now.width();
            height = now.height();
            sent = new int[width * height];
            Arrays.fill(sent, UNSENT);
        }
        List<Region> out = new ArrayList<>();
        long left = pixelBudget;
        boolean complete = true;
        for (int ty = 0; ty < height && complete; ty += TILE) {
            int th = Math.min(TILE, height - ty);
            for (int tx = 0; tx < width; ) {
                if (!tileDiffers(now, tx, ty, th)) {
                    tx += TILE;
                    continue;
                }
                int end = tx + TILE;
                while (end < width && tileDiffers(now, end, ty, th)) end += TILE;
                end = Math.min(end, width);
                long pixels = (long) (end - tx) * th;
                if (pixels > left && !out.isEmpty()) {
                    complete = false;
                    break;
                }
                left -= pixels;
                Framebuffer part = now.crop(tx, ty, end - tx, th);
                for (int y = 0; y < th; y++)
                    System.arraycopy(part.pixels(), y * part.width(), sent, (ty + y) * width + tx, part.width());
                out.add(new Region(tx, ty, part));
                tx = end;
            }
        }
        return new Changes(width, height, resized, complete, out);
    }

    /** Forgets what was handed on: the next call returns the whole screen (a viewer asked for all of it). */
    public synchronized void forget() {
        Arrays.fill(sent, UNSENT);
    }

    private boolean tileDiffers(Framebuffer now, int tx, int ty, int th) {
        int tw = Math.min(TILE, width - tx);
        int[] p = now.pixels();
        for (int y = ty; y < ty + th; y++) {
            int row = y * width + tx;
            if (!Arrays.equals(p, row, row + tw, sent, row, row + tw)) return true;
        }
        return false;
    }
}
