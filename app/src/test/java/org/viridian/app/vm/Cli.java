package org.viridian.app.vm;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.viridian.app.Main;
import picocli.CommandLine;

/** Runs `viridian …` in this JVM with its output captured; `vm`, `switch` and `cluster` commands get --url and the extra options. */
public record Cli(String url, List<String> extra) {
    public record Result(int rc, String out, String err) {}

    public Cli(String url) {
        this(url, List.of());
    }

    public Result run(String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        if (a.getFirst().equals("vm")
                || a.getFirst().equals("switch")
                || a.getFirst().equals("cluster")) {
            a.add("--url=" + url);
            a.addAll(extra);
        }
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int rc = cl.execute(a.toArray(String[]::new));
        return new Result(rc, out.toString(), err.toString());
    }
}
