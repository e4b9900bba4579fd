package org.viridian.machine.boot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A program of this host to put into an initramfs with the shared libraries it loads, at the paths the loader looks
 * for them. The libraries come from the program's own loader ({@code ld.so --list}, what ldd runs), so it works on a
 * host without ldd (the nested-KVM host) too; a static program needs nothing else.
 */
public final class HostProgram {
    /** "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" and the loader's own "/lib64/ld-linux-x86-64.so.2 (0x…)". */
    private static final Pattern LIBRARY = Pattern.compile("(?:=>\\s+|^\\s*)(/\\S+)\\s+\\(0x", Pattern.MULTILINE);

    private HostProgram() {}

    /**
     * The command on the PATH (a default one where the environment has none, as in a bare initramfs), or the path
     * given when it holds a slash; empty when there is no such executable file.
     */
    public static Optional<Path> find(String command) {
        if (command.contains("/"))
            return Files.isExecutable(Path.of(command)) ? Optional.of(Path.of(command)) : Optional.empty();
        String path =
                System.getenv().getOrDefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : path.split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, command);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    /** The program's loader (ELF PT_INTERP), or empty for a static program. */
    public static Optional<String> interpreter(Path program) throws IOException {
        return ElfImage.parse(Files.readAllBytes(program)).interpreter();
    }

    /** Initramfs path → host file: the program at {@code at}, then each library it loads at its own path. */
    public static Map<String, Path> withLibraries(Path program, String at) throws IOException {
        Map<String, Path> files = new LinkedHashMap<>();
        files.put(at, program.toRealPath());
        Optional<String> loader = interpreter(program);
        if (loader.isEmpty()) return files;
        String out;
        try {
            Process p = new ProcessBuilder(loader.get(), "--list", program.toString())
                    .redirectErrorStream(true)
                    .start();
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0)
                throw new IOException(loader.get() + " --list " + program + " failed: " + out.strip());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted listing the libraries of " + program, e);
        }
        Matcher m = LIBRARY.matcher(out);
        while (m.find()) files.put(m.group(1).substring(1), Path.of(m.group(1)).toRealPath());
        if (!files.containsKey(loader.get().substring(1)))
            files.put(loader.get().substring(1), Path.of(loader.get()).toRealPath());
        return files;
    }
}
