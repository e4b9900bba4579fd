package org.viridian.app.vhd;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.viridian.app.Main;
import picocli.CommandLine;

/** `viridian vhd …` as a user runs it: real files, exit codes, and one clear line for bad input. */
class VhdCommandTest {
    @TempDir
    Path dir;

    private record Run(int rc, String out, String err) {}

    private Run viridian(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            CommandLine cl = Main.commandLine();
            cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
            int rc = cl.execute(args);
            return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
        }
    }

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    /** The launcher's start-up cache is trained by this run; a conversion that fails there must fail here. */
    @Test
    void theStartUpTrainingConvertsEveryFormat() throws Exception {
        PrintStream out = System.out;
        VhdTraining.main(new String[0]);
        assertThat(System.out).isSameAs(out);
    }

    @Test
    void createInfoCheckConvertChain() throws Exception {
        Run c = viridian("vhd", "create", p("base.vhdx"), "--size", "64M");
        assertThat(c.rc()).as(c.err()).isZero();
        assertThat(c.out()).contains("vhdx dynamic, 64 MiB");
        assertThat(viridian("vhd", "create", p("child.vhdx"), "--parent", p("base.vhdx"))
                        .rc())
                .isZero();

        Run info = viridian("vhd", "info", "--json", p("child.vhdx"));
        JsonNode j = new ObjectMapper().readTree(info.out());
        assertThat(j.get("format").asText()).isEqualTo("vhdx");
        assertThat(j.get("type").asText()).isEqualTo("differencing");
        assertThat(j.get("virtual-size").asLong()).isEqualTo(64L << 20);
        assertThat(j.get("parent").asText()).isEqualTo(p("base.vhdx"));
        assertThat(viridian("vhd", "info", p("base.vhdx")).out()).contains("virtual size:   64 MiB (67108864 bytes)");

        Run check = viridian("vhd", "check", p("child.vhdx"));
        assertThat(check.rc()).isZero();
        assertThat(check.out()).contains("no problems found");

        Run conv = viridian("vhd", "convert", p("child.vhdx"), p("flat.vhd"));
        assertThat(conv.rc()).as(conv.err()).isZero();
        assertThat(conv.out()).contains("to " + p("flat.vhd") + " (vhd dynamic)");
        assertThat(viridian("vhd", "resize", p("flat.vhd"), "128M").rc()).isZero();
        assertThat(new ObjectMapper()
                        .readTree(
                                viridian("vhd", "info", "--json", p("flat.vhd")).out())
                        .get("virtual-size")
                        .asLong())
                .isEqualTo(128L << 20);
    }

    @Test
    void checkReportsDamageWithExitCode2AndRepairFixesIt() throws Exception {
        viridian("vhd", "create", p("d.vhd"), "--size", "16M");
        Path f = dir.resolve("d.vhd");
        byte[] bytes = Files.readAllBytes(f);
        bytes[bytes.length - 512 + 70] ^= 0x40; // footer checksum breaks; the copy at offset 0 survives
        Files.write(f, bytes);
        Run check = viridian("vhd", "check", f.toString());
        assertThat(check.rc()).isEqualTo(2);
        assertThat(check.out()).contains("problem:").contains("checksum");
        Run repair = viridian("vhd", "check", "--repair", f.toString());
        assertThat(repair.rc()).isZero();
        assertThat(repair.out()).contains("repaired:").contains(": consistent");
    }

    @Test
    void badInputGetsOneClearLine() throws Exception {
        Run missing = viridian("vhd", "info", p("nope.vhdx"));
        assertThat(missing.rc()).isEqualTo(1);
        assertThat(missing.err().strip()).isEqualTo("viridian: " + p("nope.vhdx") + ": no such file");

        Run noSize = viridian("vhd", "create", p("x.vhdx"));
        assertThat(noSize.err()).contains("--size is required");
        Run badSize = viridian("vhd", "create", p("x.vhdx"), "--size", "lots");
        assertThat(badSize.rc()).isEqualTo(2);
        assertThat(badSize.err()).contains("not a size");
        Run qcow = viridian("vhd", "create", p("x.qcow2"), "--size", "1G");
        assertThat(qcow.err()).contains("cannot write qcow2");
        Run unknownExt = viridian("vhd", "create", p("x.disk"), "--size", "1G");
        assertThat(unknownExt.err()).contains("cannot tell the format");

        Files.write(dir.resolve("junk.vhdx"), new byte[4096]);
        Run junk = viridian("vhd", "check", p("junk.vhdx"));
        assertThat(junk.rc()).isEqualTo(3);
        assertThat(junk.out()).contains("not a vhdx image");
        assertThat(missing.err() + noSize.err() + junk.err())
                .doesNotContain("Exception")
                .doesNotContain("\tat ");
    }

    @Test
    void theLeanConvertParserReadsLinesAsPicocliDoesOrLeavesThemToIt() {
        for (String line : new String[] {
            "a.qcow2 b.vhdx",
            "-O vhd -t fixed a b",
            "--format=vhdx --type dynamic --block-size 8M -p --sync a.img b.x",
            "-f qcow2 a b --progress",
            "-- -a b"
        }) {
            String[] args = line.split(" ");
            VhdConvert lean = VhdConvert.parseSimple(args), full = new VhdConvert();
            new CommandLine(full).parseArgs(args);
            assertThat(lean).as(line).isNotNull();
            assertThat(java.util.List.of(
                            lean.src,
                            lean.dst,
                            "" + lean.srcFormat,
                            "" + lean.format,
                            "" + lean.type,
                            lean.blockSize,
                            lean.progress,
                            lean.sync))
                    .as(line)
                    .isEqualTo(java.util.List.of(
                            full.src,
                            full.dst,
                            "" + full.srcFormat,
                            "" + full.format,
                            "" + full.type,
                            full.blockSize,
                            full.progress,
                            full.sync));
        }
        for (String line : new String[] {
            "-h",
            "a",
            "a b c",
            "-O vhd -O vhdx a b",
            "-pq a b",
            "--bogus a b",
            "@f b",
            "--block-size x a b",
            "--sync=true a b",
            "-O"
        }) {
            assertThat(VhdConvert.parseSimple(line.split(" "))).as(line).isNull();
        }
    }

    /** The launcher runs vhd commands through VhdMain: its usage help speaks the user's language too. */
    @Test
    void vhdMainsUsageHelpIsInTheLanguage() {
        try {
            org.viridian.app.cli.Messages.use(java.util.Locale.GERMAN);
            java.io.StringWriter out = new java.io.StringWriter();
            CommandLine cl = VhdMain.commandLine();
            cl.setOut(new PrintWriter(out, true));
            cl.execute("create", "--help");
            assertThat(out.toString())
                    .startsWith("Aufruf: viridian vhd create")
                    .contains("Ein VHD-, VHDX- oder raw-Image erstellen.")
                    .contains("Das neue Image (.vhd, .vhdx, .img/.raw).");
        } finally {
            org.viridian.app.cli.Messages.use(java.util.Locale.ENGLISH);
        }
    }
}
