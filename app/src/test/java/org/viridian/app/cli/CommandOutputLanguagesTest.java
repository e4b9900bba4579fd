package org.viridian.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.viridian.app.Main;
import org.viridian.app.host.HostReport;
import org.viridian.machine.host.HostCheck;

/**
 * What `viridian vhd` and `viridian host check` print, in German and Japanese as LANG picks them: a real VHDX
 * created, described, checked and converted, and a host report from a prepared /proc and /sys.
 */
class CommandOutputLanguagesTest {
    @TempDir
    Path dir;

    private record Run(int rc, String out, String err) {}

    @AfterEach
    void backToEnglish() {
        Messages.use(Locale.ENGLISH);
    }

    /** As the launcher starts it under {@code lang}: the language from the environment, output on System.out. */
    private Run viridian(String lang, String... args) {
        Locale l = Messages.fromEnvironment(Map.of("LANG", lang));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        PrintStream saved = System.out;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            var cl = Main.commandLine(l);
            cl.setErr(new PrintWriter(err, true));
            int rc = cl.execute(args);
            return new Run(rc, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(saved);
            Messages.use(Locale.ENGLISH);
        }
    }

    private String p(String name) {
        return dir.resolve(name).toString();
    }

    @Test
    void vhdCommandsSpeakGerman() {
        Run created = viridian("de_DE.UTF-8", "vhd", "create", p("a.vhdx"), "--size", "64M");
        assertThat(created.rc()).as(created.err()).isZero();
        assertThat(created.out()).isEqualTo(p("a.vhdx") + " erstellt: vhdx dynamisch erweiterbar, 64 MiB\n");
        assertThat(viridian("de_DE.UTF-8", "vhd", "create", p("b.vhdx"), "--parent", p("a.vhdx"))
                        .out())
                .contains(" erstellt: vhdx differenzierend, 64 MiB, übergeordnetes Image " + p("a.vhdx"));

        String info = viridian("de_DE.UTF-8", "vhd", "info", p("b.vhdx")).out();
        assertThat(info)
                .contains("Datei:            " + p("b.vhdx") + "\n")
                .contains("Format:           vhdx (differenzierend)\n")
                .contains("virtuelle Größe:  64 MiB (67108864 Bytes)\n")
                .contains("Blockgröße:       ")
                .contains("übergeordnet:     " + p("a.vhdx") + "\n")
                .doesNotContain("virtual size", "file size", "allocated", "parent:");

        assertThat(viridian("de_DE.UTF-8", "vhd", "check", p("a.vhdx")).out())
                .isEqualTo(p("a.vhdx") + ": keine Probleme gefunden\n");
        Run converted = viridian("de_DE.UTF-8", "vhd", "convert", p("b.vhdx"), p("c.vhd"));
        assertThat(converted.rc()).as(converted.err()).isZero();
        assertThat(converted.out())
                .startsWith(p("b.vhdx") + " (vhdx, 64 MiB) nach " + p("c.vhd") + " (vhd dynamisch erweiterbar)")
                .containsPattern("konvertiert: [0-9.]+ [KMG]?i?B Daten in [0-9.]+ s geschrieben\n$");
    }

    @Test
    void vhdCommandsSpeakJapaneseAndLineUpInTerminalColumns() {
        assertThat(viridian("ja_JP.UTF-8", "vhd", "create", p("a.vhdx"), "--size", "64M", "--type", "fixed")
                        .out())
                .isEqualTo(p("a.vhdx") + " を作成しました: vhdx 容量固定、64 MiB\n");
        String info = viridian("ja_JP.UTF-8", "vhd", "info", p("a.vhdx")).out();
        assertThat(info)
                .contains("仮想サイズ:      64 MiB (67108864 バイト)\n")
                .contains("形式:            vhdx (容量固定)\n")
                .contains("割り当て済み:    ");
        // Every value of the general part starts in the same terminal column (kana and kanji are two wide).
        assertThat(info.lines()
                        .filter(l -> !l.startsWith("  "))
                        .map(l -> Messages.width(l.substring(0, l.indexOf(':') + 1))
                                + l.substring(l.indexOf(':') + 1)
                                        .indexOf(l.substring(l.indexOf(':') + 1).strip()))
                        .distinct())
                .containsExactly(17);
        assertThat(viridian("ja_JP.UTF-8", "vhd", "check", p("a.vhdx")).out())
                .isEqualTo(p("a.vhdx") + ": 問題は見つかりませんでした\n");
    }

    @Test
    void englishIsUnchanged() {
        viridian("C", "vhd", "create", p("a.vhdx"), "--size", "64M");
        assertThat(viridian("C", "vhd", "info", p("a.vhdx")).out())
                .contains("virtual size:   64 MiB (67108864 bytes)\n")
                .contains("format:         vhdx (dynamic)\n");
    }

    /** A host whose kvm_pvm module registered no device (a PVM guest itself), nested under a hypervisor. */
    private HostCheck.Report pvmGuestHost() throws IOException {
        Files.createDirectories(dir.resolve("sys/module/kvm"));
        Files.createDirectories(dir.resolve("sys/module/kvm_pvm"));
        Files.createDirectories(dir.resolve("proc"));
        Files.writeString(dir.resolve("proc/cpuinfo"), "processor\t: 0\nflags\t\t: fpu lm hypervisor\n");
        Files.writeString(dir.resolve("proc/misc"), "200 tun\n");
        return new HostCheck(dir).check(dir.resolve("dev/kvm").toString());
    }

    @Test
    void theHostReportInEnglishIsTheMachinesOwn() throws IOException {
        HostCheck.Report r = pvmGuestHost();
        assertThat(HostReport.render(r)).isEqualTo(r.render());
    }

    @Test
    void theHostReportSpeaksGermanAndJapanese() throws IOException {
        HostCheck.Report r = pvmGuestHost();
        String dev = dir.resolve("dev/kvm").toString();
        // The subject column is as wide as the longest subject, here the device's path.
        Messages.use(Locale.GERMAN);
        assertThat(HostReport.render(r))
                .containsPattern("\n  FAIL  NX/DEP-Unterstützung +kein NX-Bit: Gäste können keine nicht ausführbaren "
                        + "Seiten haben\n")
                .containsPattern("\n  OK    CPU-Virtualisierung +keine laut CPUID; PVM-KVM \\(Software\\), läuft unter "
                        + "einem Hypervisor \\(verschachtelt\\)\n")
                .containsPattern("\n  OK    KVM-Module +kvm, kvm_pvm\n")
                .contains("  FAIL  " + dev + "  fehlt: KVM-Module sind geladen, haben aber kein Gerät registriert")
                .endsWith("Dieser Host kann keine virtuellen Computer von Viridian ausführen: siehe die FAIL-Zeilen "
                        + "oben.\n");
        Messages.use(Locale.JAPANESE);
        assertThat(HostReport.render(r))
                .containsPattern("\n  FAIL  NX/DEP サポート +NX ビットがありません")
                .containsPattern("\n  OK    CPU 仮想化 +CPUID にはなし。PVM \\(ソフトウェア\\) KVM、ハイパーバイザー上で" + "動作中 \\(入れ子\\)\n")
                .contains("  FAIL  " + dev + "  ありません: KVM モジュールは読み込まれていますが")
                .endsWith("このホストは Viridian の VM を実行できません: 上の FAIL の行を参照してください。\n");
        // Values start in one terminal column whatever the subject's script.
        assertThat(HostReport.render(r)
                        .lines()
                        .filter(l -> l.startsWith("  "))
                        .map(l -> Messages.width(l.substring(0, l.indexOf("  ", 8 + 1)))
                                + l.substring(l.indexOf("  ", 8 + 1))
                                        .indexOf(l.substring(l.indexOf("  ", 8 + 1))
                                                .strip()))
                        .distinct())
                .hasSize(1);
    }

    @Test
    void hostCheckPrintsTheReportInTheLanguage() {
        Run de = viridian("de_DE.UTF-8", "host", "check");
        assertThat(de.out())
                .contains("  Architektur ")
                .containsPattern("Dieser Host kann (keine )?virtuellen Computer");
        Run ja = viridian("ja_JP.UTF-8", "host", "check");
        assertThat(ja.out()).contains("  アーキテクチャ ").containsPattern("このホストは Viridian の VM を実行でき(ます|ません)");
        assertThat(de.rc()).isEqualTo(ja.rc());
    }
}
