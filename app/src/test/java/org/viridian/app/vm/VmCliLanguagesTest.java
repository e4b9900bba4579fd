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
