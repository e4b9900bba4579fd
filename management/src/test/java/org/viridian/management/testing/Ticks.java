package org.viridian.management.testing;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The scripted "ticker" guest's console lines ("tick N"): the last one, and how many there are. */
public final class Ticks {
    private static final Pattern TICK = Pattern.compile("tick (\\d+)");

    private Ticks() {}

    public static int last(String console) {
        Matcher m = TICK.matcher(console);
        int last = 0;
        while (m.find()) last = Integer.parseInt(m.group(1));
        return last;
    }

    public static int count(String console) {
        return (int) TICK.matcher(console).results().count();
    }
}
