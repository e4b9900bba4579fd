package org.viridian.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.viridian.testkit.ExternalTool;

/**
 * Runs Debian's qemu-img/qemu-io, the independent implementation the interoperability tests compare against.
 * Installs qemu-utils when missing and running as root; otherwise the calling test is skipped with the reason.
 */
public final class QemuImg {
    public record Result(int exit, String out) {}

    private QemuImg() {}

    public static void require() {
        ExternalTool.require("qemu-img", "qemu-utils");
    }

    private static Result run0(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.MINUTES)) p.destroyForcibly();
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(127, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(130, "interrupted");
        }
    }

    public static Result run(String... args) {
        require();
        return run0(List.of(args));
    }

    /** Runs and fails the test on a non-zero exit, with qemu's output in the message. */
    public static String ok(String... args) {
        Result r = run(args);
        if (r.exit != 0) throw new AssertionError(String.join(" ", args) + " exited " + r.exit + ":\n" + r.out);
        return r.out;
    }

    public static JsonNode info(Path file, String format) throws IOException {
        return new ObjectMapper().readTree(ok("qemu-img", "info", "--output=json", "-f", format, file.toString()));
    }

    /** qemu's driver spec for our VHDs: Hyper-V semantics (size from the footer's current size). */
    public static String vpcOpts(Path file) {
        return "driver=vpc,force_size_calc=current_size,file.filename=" + file;
    }

    /** qemu-img compare of an image against a raw file; also asserts the sizes agree (compare ignores zero tails). */
    public static Result compareWithRaw(Path image, String format, Path raw) {
        List<String> cmd = new ArrayList<>(List.of("qemu-img", "compare"));
        if (format.equals("vpc"))
            cmd.addAll(List.of("--image-opts", vpcOpts(image), "driver=raw,file.filename=" + raw));
        else cmd.addAll(List.of("-f", format, "-F", "raw", image.toString(), raw.toString()));
        require();
        return run0(cmd);
    }

    /** qemu-io writes a byte pattern: {@code write -P pattern offset length}. */
    public static void write(Path file, String format, int pattern, long offset, long length) {
        ok("qemu-io", "-f", format, "-c", "write -P " + pattern + " " + offset + " " + length, file.toString());
    }
}
