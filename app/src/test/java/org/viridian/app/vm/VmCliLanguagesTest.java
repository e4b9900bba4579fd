package org.viridian.app.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.viridian.app.Main;
import org.viridian.app.cli.Messages;
import org.viridian.management.testing.TestService;
import picocli.CommandLine;

/** The vm commands' own output in German and Japanese against a scripted service: tables, listings, errors. */
class VmCliLanguagesTest {
    private static TestService service;

    @BeforeAll
    static void start() {
        service = TestService.scripted();
        run(Locale.ENGLISH, "vm", "create", "rechner", "--cpus", "2", "--notes", "zum Testen");
    }

    @AfterAll
    static void stop() {
        Messages.use(Locale.ENGLISH);
        service.close();
    }

    @Test
    void germanTablesListingsAndErrors() {
        assertThat(run(Locale.GERMAN, "vm", "list").out())
                .startsWith("NAME     STATUS  PROZESSOREN  ARBEITSSPEICHER")
                .contains("rechner  Aus     2");
        assertThat(run(Locale.GERMAN, "vm", "show", "rechner").out())
                .contains("Name:         rechner\n")
                .contains("Status:       Aus (seit ")
                .contains("Prozessoren:  2\n")
                .contains("Notizen:      zum Testen\n");
        Cli.Result missing = run(Locale.GERMAN, "vm", "show", "nichtda");
        assertThat(missing.rc()).isEqualTo(1);
        // The service's words stay English; its code says what happened in German.
        assertThat(missing.err()).startsWith("viridian: nicht gefunden (no VM named or with id 'nichtda'");
        assertThat(run(Locale.GERMAN, "vm", "pause", "rechner").err())
                .startsWith("viridian: im aktuellen Zustand des virtuellen Computers nicht möglich (");
    }

    @Test
    void japaneseListingsLineUpInTerminalColumns() {
        String list = run(Locale.JAPANESE, "vm", "list").out();
        assertThat(list).startsWith("名前     状態  プロセッサ  メモリ").contains("rechner  オフ  2");
        String show = run(Locale.JAPANESE, "vm", "show", "rechner").out();
        assertThat(show).contains("名前:         rechner\n").contains("プロセッサ:   2\n");
        List<Integer> valueColumns = new ArrayList<>();
        for (String line : show.split("\n"))
            if (line.contains(":  "))
                valueColumns.add(Messages.width(line.substring(0, line.indexOf(":  ") + 3)
                        + line.substring(line.indexOf(":  ") + 3).replaceAll("^( *).*", "$1")));
        assertThat(valueColumns).isNotEmpty().allMatch(c -> c == 14);
    }

    /** vm metrics, checkpoint list and cluster status: labels and phrases in the language, the VM's figures as is. */
    @Test
    void metricsCheckpointsAndClusterInGermanAndJapanese() throws InterruptedException {
        run(Locale.ENGLISH, "vm", "create", "messend", "--cpus", "2");
        assertThat(run(Locale.ENGLISH, "vm", "start", "messend").rc()).isZero();
        try {
            Thread.sleep(300);
            Cli.Result de = run(Locale.GERMAN, "vm", "metrics", "messend");
            assertThat(de.rc()).as(de.err()).isZero();
            assertThat(de.out())
                    .containsPattern("(?m)^vp0 +CPU-Zeit [0-9.]+ s, Exits [0-9]+ \\(io [0-9]+")
                    .containsPattern("(?m)^Hypercalls +0x005c [0-9]+")
                    .containsPattern("(?m)^vmbus +Signale vom Gast [0-9]+, an den Gast [0-9]+$")
                    .containsPattern("(?m)^Arbeitsspeicher +[0-9.]+ [KM]iB belegt von 64 MiB$")
                    .doesNotContain("resident", "signals", "exits");
            String ja = run(Locale.JAPANESE, "vm", "metrics", "messend").out();
            assertThat(ja)
                    .containsPattern("(?m)^vp1 +CPU 時間 [0-9.]+ 秒、VM exit [0-9]+ 回")
                    .containsPattern("(?m)^ハイパーコール +0x005c")
                    .containsPattern("(?m)^メモリ +64 MiB 中 [0-9.]+ [KM]iB が常駐$");
            // The values start in one terminal column, past the widest label (ハイパーコール: 14 columns).
            assertThat(ja.lines()
                            .map(l -> Messages.width(l.substring(0, l.indexOf(' ')))
                                    + l.substring(l.indexOf(' '))
                                            .indexOf(l.substring(l.indexOf(' ')).strip()))
                            .distinct())
                    .containsExactly(15);
        } finally {
            run(Locale.ENGLISH, "vm", "stop", "messend");
        }
        assertThat(run(Locale.GERMAN, "vm", "checkpoint", "list", "rechner").out())
                .isEqualTo("keine Prüfpunkte\n");
        assertThat(run(Locale.JAPANESE, "vm", "checkpoint", "list", "rechner").out())
                .isEqualTo("チェックポイントはありません\n");
        assertThat(run(Locale.GERMAN, "cluster", "status").out()).startsWith("dieser Host ist kein Clustermitglied");
    }

    private static Cli.Result run(Locale language, String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.add("--url=" + service.service.url());
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = Main.commandLine(language);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        try {
            return new Cli.Result(cl.execute(a.toArray(String[]::new)), out.toString(), err.toString());
        } finally {
            Messages.use(Locale.ENGLISH);
        }
    }
}
