package org.viridian.app.acceptance;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.viridian.machine.boot.DebianKernel;
import org.viridian.machine.boot.KernelModules;

/**
 * Debian's kernel modules for a test initramfs: the drivers asked for with everything they depend on (from each
 * module's .modinfo), as files for {@code lib/modules/} and the /init lines that load them in order, quietly.
 */
record InitrdModules(Map<String, Path> files, String insmods) {
    static InitrdModules of(List<String> drivers) throws IOException, InterruptedException {
        Map<String, Path> files = new LinkedHashMap<>();
        StringBuilder insmods = new StringBuilder();
        for (Path ko : new KernelModules(DebianKernel.modules()).closure(drivers)) {
            files.put("lib/modules/" + ko.getFileName(), ko);
            insmods.append("insmod /lib/modules/").append(ko.getFileName()).append(" 2>/dev/null\n");
        }
        return new InitrdModules(files, insmods.toString());
    }
}
