package org.viridian.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.viridian.app.Main;
import org.viridian.testkit.Translations;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The CLI in English, German and Japanese: the locale variables pick the language, every message and every line of
 * usage help has a German and a Japanese translation, and `viridian vm list --help` reads German under
 * LANG=de_DE.UTF-8.
 */
class MessagesTest {
    static final List<Locale> TRANSLATED = List.of(Locale.GERMAN, Locale.JAPANESE);

    @AfterEach
    void backToEnglish() {
        Messages.use(Locale.ENGLISH);
    }

    @Test
    void theLocaleVariablesPickTheLanguageAsPosixSays() {
        assertThat(Messages.fromEnvironment(Map.of("LANG", "de_DE.UTF-8"))).isEqualTo(Locale.GERMAN);
        assertThat(Messages.fromEnvironment(Map.of("LANG", "ja_JP.UTF-8"))).isEqualTo(Locale.JAPANESE);
        assertThat(Messages.fromEnvironment(Map.of("LANG", "en_US.UTF-8", "LC_MESSAGES", "ja_JP.UTF-8")))
                .isEqualTo(Locale.JAPANESE);
        assertThat(Messages.fromEnvironment(Map.of("LANG", "de_DE.UTF-8", "LC_ALL", "C")))
                .isEqualTo(Locale.ENGLISH);
        assertThat(Messages.fromEnvironment(Map.of("LC_ALL", "de_AT@euro"))).isEqualTo(Locale.GERMAN);
        assertThat(Messages.fromEnvironment(Map.of("LANG", "POSIX"))).isEqualTo(Locale.ENGLISH);
        assertThat(Messages.fromEnvironment(Map.of("LANG", "fr_FR.UTF-8"))).isEqualTo(Locale.ENGLISH);
        assertThat(Messages.fromEnvironment(Map.of("LANG", "", "LC_MESSAGES", "")))
                .isEqualTo(Locale.ENGLISH);
        assertThat(Messages.fromEnvironment(Map.of())).isEqualTo(Locale.ENGLISH);
    }

    @Test
    void everyMessageHasAGermanAndAJapaneseTranslation() throws IOException {
        Map<String, String> en = properties("messages");
        List<String> problems = new ArrayList<>();
        for (Locale l : TRANSLATED) {
            Map<String, String> messages = new TreeMap<>(properties("messages_" + l.getLanguage()));
            messages.keySet().retainAll(en.keySet()); // the rest is usage help, checked below
            problems.addAll(Translations.problems(en, messages, l.getLanguage()));
        }
        assertThat(problems).isEmpty();
    }

    /**
     * Every command's description and every option's and parameter's in German and Japanese: a line that reads the
     * same as in English is untranslated (command samples, indented, and the words that stay aside). A new command
     * fails here until messages_de and messages_ja have its lines (the failure names their keys).
     */
    @Test
    void everyLineOfUsageHelpIsTranslated() {
        List<String> problems = new ArrayList<>();
        for (Locale l : TRANSLATED) {
            CommandLine english = Main.commandLine(Locale.ENGLISH), translated = Main.commandLine(l);
            compare(english, translated, l.getLanguage(), problems);
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void germanLangGivesGermanUsageHelp() {
        String help = usage(Messages.fromEnvironment(Map.of("LANG", "de_DE.UTF-8")), "vm", "list", "--help");
        assertThat(help)
                .startsWith("Aufruf: viridian vm list")
                .contains("Virtuelle Computer und ihren Status auflisten.")
                .contains("JSON statt einer Tabelle ausgeben.")
                .contains("Diese Hilfe anzeigen und beenden.")
                .doesNotContain("List VMs");
        assertThat(usage(Locale.GERMAN, "vm", "--help"))
                .contains("Befehle:")
                .contains("Einen virtuellen Computer starten.");
    }

    @Test
    void japaneseLangGivesJapaneseUsageHelp() {
        String help = usage(Messages.fromEnvironment(Map.of("LC_ALL", "ja_JP.UTF-8")), "vm", "create", "--help");
        assertThat(help)
                .startsWith("使い方: viridian vm create")
                .contains("仮想マシンを作成します")
                .contains("仮想プロセッサ数。")
                .doesNotContain("Virtual processors");
    }

    @Test
    void englishStaysTheAnnotationsText() {
        assertThat(usage(Messages.fromEnvironment(Map.of("LANG", "C.UTF-8")), "vm", "list", "--help"))
                .startsWith("Usage: viridian vm list")
                .contains("List VMs and their states.");
    }

    @Test
    void badArgumentsAreExplainedInTheLanguage() {
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine(Locale.GERMAN);
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        assertThat(cl.execute("vm", "show")).isEqualTo(2);
        assertThat(err.toString()).startsWith("viridian: es fehlt: VM").contains("Aufruf:");
    }

    @Test
    void labelsLineUpWhateverTheirWidth() {
        Messages.use(Locale.JAPANESE);
        assertThat(Messages.label("show.state")).isEqualTo("状態:         "); // 2 kanji take 4 columns, ":" 1
        assertThat(Messages.width(Messages.label("show.guestIpv4"))).isEqualTo(14);
        Messages.use(Locale.ENGLISH);
        assertThat(Messages.label("show.lastExit")).isEqualTo("last exit:    ");
    }

    private static String usage(Locale language, String... args) {
        StringWriter out = new StringWriter();
        CommandLine cl = Main.commandLine(language);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(out, true));
        cl.execute(args);
        return out.toString();
    }

    private static void compare(CommandLine en, CommandLine other, String language, List<String> problems) {
        CommandSpec e = en.getCommandSpec(), o = other.getCommandSpec();
        String command = e.qualifiedName(".");
        lines(
                e.usageMessage().description(),
                o.usageMessage().description(),
                command + ".usage.description",
                language,
                problems);
        for (int i = 0; i < e.args().size(); i++) {
            ArgSpec a = e.args().get(i), b = o.args().get(i);
            if (a.isOption()
                    && (((CommandLine.Model.OptionSpec) a).usageHelp()
                            || ((CommandLine.Model.OptionSpec) a).versionHelp())) continue;
            String key = command + "."
                    + (a instanceof CommandLine.Model.OptionSpec opt
                            ? opt.longestName().replaceFirst("^-+", "")
                            : a.paramLabel() + "[" + ((CommandLine.Model.PositionalParamSpec) a).index() + "]");
            lines(a.description(), b.description(), key, language, problems);
        }
        for (var sub : en.getSubcommands().entrySet()) {
            if (!sub.getKey().equals(sub.getValue().getCommandName())) continue; // an alias
            compare(sub.getValue(), other.getSubcommands().get(sub.getKey()), language, problems);
        }
    }

    private static void lines(String[] en, String[] other, String key, String language, List<String> problems) {
        for (int i = 0; i < en.length; i++) {
            String line = en[i], k = en.length == 1 ? key : key + "." + i;
            if (line.isBlank() || line.startsWith("  ") || Translations.sameEverywhere(line)) continue;
            if (i >= other.length || other[i].equals(line))
                problems.add(language + ": no translation of " + k + " = " + line);
        }
    }

    private static Map<String, String> properties(String name) throws IOException {
        Properties p = new Properties();
        try (var in = MessagesTest.class.getResourceAsStream("/org/viridian/app/" + name + ".properties")) {
            p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
        }
        Map<String, String> m = new TreeMap<>();
        p.forEach((k, v) -> m.put((String) k, (String) v));
        return m;
    }
}
