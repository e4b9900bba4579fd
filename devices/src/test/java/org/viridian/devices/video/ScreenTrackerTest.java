package org.viridian.devices.video;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ScreenTrackerTest {
    private static Framebuffer noise(int w, int h, long seed) {
        Random r = new Random(seed);
        int[] p = new int[w * h];
        for (int i = 0; i < p.length; i++) p[i] = r.nextInt(0x1000000);
        return new Framebuffer(w, h, p);
    }

    /** What a viewer holds after pasting every region it was given. */
    private static void apply(Framebuffer viewer, ScreenTracker.Changes c) {
        for (ScreenTracker.Region r : c.regions()) viewer.paste(r.x(), r.y(), r.pixels());
    }

    @Test
    void theFirstLookIsTheWholeScreenThenOnlyTheTilesThatChanged() {
        Framebuffer screen = noise(200, 130, 1);
        ScreenTracker t = new ScreenTracker();
        ScreenTracker.Changes first = t.changes(screen, Long.MAX_VALUE);
        assertThat(first.resized()).isTrue();
        assertThat(first.complete()).isTrue();
        assertThat(first.pixelCount()).isEqualTo(200 * 130);
        Framebuffer viewer = new Framebuffer(200, 130, new int[200 * 130]);
        apply(viewer, first);
        assertThat(viewer.pixels()).isEqualTo(screen.pixels());

        assertThat(t.changes(screen, Long.MAX_VALUE).isEmpty()).isTrue();
        screen.pixels()[70 * 200 + 195] = 0x123456; // tile (3, 1): x 192..199 (the last, narrower), y 64..127
        ScreenTracker.Changes one = t.changes(screen, Long.MAX_VALUE);
        assertThat(one.regions()).hasSize(1);
        ScreenTracker.Region r = one.regions().getFirst();
        assertThat(new int[] {r.x(), r.y(), r.pixels().width(), r.pixels().height()})
                .containsExactly(192, 64, 8, 64);
        apply(viewer, one);
        assertThat(viewer.pixels()).isEqualTo(screen.pixels());
    }

    @Test
    void aBudgetSplitsTheChangesOverSeveralLooksAndLosesNone() {
        Framebuffer screen = noise(640, 480, 2);
        ScreenTracker t = new ScreenTracker();
        Framebuffer viewer = new Framebuffer(640, 480, new int[640 * 480]);
        int looks = 0;
        ScreenTracker.Changes c;
        do {
            c = t.changes(screen, 100_000);
            assertThat(c.pixelCount()).isLessThanOrEqualTo(100_000);
            apply(viewer, c);
            looks++;
        } while (!c.complete());
        assertThat(looks).isGreaterThan(3);
        assertThat(viewer.pixels()).isEqualTo(screen.pixels());
        t.forget();
        assertThat(t.changes(screen, Long.MAX_VALUE).pixelCount()).isEqualTo(640 * 480);
    }

    @Test
    void aNewSizeIsAResizeWithEverything() {
        ScreenTracker t = new ScreenTracker();
        t.changes(noise(64, 64, 3), Long.MAX_VALUE);
        ScreenTracker.Changes c = t.changes(noise(100, 50, 4), Long.MAX_VALUE);
        assertThat(c.resized()).isTrue();
        assertThat(c.width()).isEqualTo(100);
        assertThat(c.pixelCount()).isEqualTo(5000);
    }

    @Test
    void deflatedPixelsInflateToTheSamePictureAndDamagedOnesAreRefused() {
        Framebuffer f = noise(33, 17, 5);
        byte[] z = f.deflated();
        assertThat(Framebuffer.inflated(33, 17, z).pixels()).isEqualTo(f.pixels());
        assertThatThrownBy(() -> Framebuffer.inflated(33, 16, z)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Framebuffer.inflated(34, 17, z)).isInstanceOf(IllegalArgumentException.class);
        byte[] cut = java.util.Arrays.copyOf(z, z.length / 2);
        assertThatThrownBy(() -> Framebuffer.inflated(33, 17, cut)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Framebuffer.inflated(100_000, 100_000, z))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void cropPasteAndThumbnail() {
        Framebuffer f = noise(300, 200, 6);
        Framebuffer part = f.crop(10, 20, 30, 40);
        assertThat(part.pixel(0, 0)).isEqualTo(f.pixel(10, 20));
        assertThat(part.pixel(29, 39)).isEqualTo(f.pixel(39, 59));
        Framebuffer g = new Framebuffer(300, 200, new int[300 * 200]);
        g.paste(10, 20, part);
        assertThat(g.pixel(39, 59)).isEqualTo(f.pixel(39, 59));
        assertThatThrownBy(() -> g.paste(280, 0, part)).isInstanceOf(IllegalArgumentException.class);
        Framebuffer thumb = f.scaledToWidth(150);
        assertThat(thumb.width()).isEqualTo(150);
        assertThat(thumb.height()).isEqualTo(100);
        assertThat(thumb.pixel(1, 1)).isEqualTo(f.pixel(2, 2));
    }
}
