package org.viridian.app.vhd;

import java.util.Locale;
import org.viridian.app.cli.Messages;
import org.viridian.storage.ImageType;

/** The vhd commands' words for what the storage library names in English. */
final class VhdText {
    private VhdText() {}

    /** fixed, dynamic, differencing in the user's language (Hyper-V's terms for disk types). */
    static String type(ImageType t) {
        return Messages.get("vhd.type." + t.name().toLowerCase(Locale.ROOT));
    }
}
