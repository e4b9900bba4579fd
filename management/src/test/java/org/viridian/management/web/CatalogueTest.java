package org.viridian.management.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.viridian.testkit.Translations;

/** The web manager's message catalogues: German and Japanese translate every English message; the page asks for none that is missing. */
class CatalogueTest {
    static final List<String> LANGUAGES = List.of("de", "ja");

    static Map<String, String> catalogue(String language) throws IOException {
        try (InputStream in = CatalogueTest.class.getResourceAsStream("/web/i18n/" + language + ".json")) {
            assertThat(in).as("catalogue " + language).isNotNull();
            return new ObjectMapper().readValue(in, new TypeReference<Map<String, String>>() {});
        }
    }

    static String resource(String path) throws IOException {
        try (InputStream in = CatalogueTest.class.getResourceAsStream(path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void germanAndJapaneseTranslateEveryEnglishMessage() throws IOException {
        Map<String, String> en = catalogue("en");
        List<String> problems = new ArrayList<>();
        for (String l : LANGUAGES) problems.addAll(Translations.problems(en, catalogue(l), l));
        assertThat(problems).isEmpty();
    }

    @Test
    void theCheckCatchesAMissingAndAnUntranslatedMessage() {
        Map<String, String> en = Map.of("a", "Start {name}", "b", "Delete", "c", "Name", "d", "{message} ({detail})");
        assertThat(Translations.problems(
                        en, Map.of("a", "Starten {name}", "c", "Name", "d", "{message} ({detail})"), "de"))
                .containsExactly("de: no translation of b = Delete");
        assertThat(Translations.problems(
                        en,
                        Map.of("a", "Start {name}", "b", "Löschen", "c", "Name", "d", "{message} ({detail})"),
                        "de"))
                .containsExactly("de: a is still English: Start {name}");
        assertThat(Translations.problems(
                        en, Map.of("a", "Starten {vm}", "b", "Löschen", "c", "Name", "d", "{message}"), "de"))
                .hasSize(2);
    }

    /** Every key the page's code and markup name literally (t('…'), tNodes('…'), data-i18n="…") is in the catalogue. */
    @Test
    void everyKeyThePageUsesIsInTheCatalogue() throws IOException {
        Set<String> used = new TreeSet<>();
        for (String js : new String[] {"/web/app.js", "/web/screen.js"})
            collect(Pattern.compile("\\bt(?:Nodes)?\\('([\\w.]+)'[,)]"), resource(js), used);
        collect(Pattern.compile("data-i18n(?:-[\\w-]+)?=\"([\\w.]+)\""), resource("/web/index.html"), used);
        assertThat(used).hasSizeGreaterThan(50);
        Map<String, String> en = catalogue("en");
        // host.status is looked up by plural form (host.status.one, host.status.other).
        assertThat(used.stream().filter(k -> !en.containsKey(k) && !en.containsKey(k + ".other")))
                .isEmpty();
    }

    /** The markup has no text of its own: what it shows comes from data-i18n (the title is replaced at start). */
    @Test
    void theMarkupShowsOnlyCatalogueText() throws IOException {
        String html = resource("/web/index.html")
                .replaceAll("(?s)<!--.*?-->", "")
                .replaceAll("(?s)<script.*?</script>", "")
                .replaceAll("(?s)<title.*?</title>", "");
        Matcher text = Pattern.compile(">([^<]*\\p{L}[^<]*)<").matcher(html);
        List<String> literal = new ArrayList<>();
        while (text.find()) literal.add(text.group(1).strip());
        assertThat(literal).isEmpty();
    }

    private static void collect(Pattern p, String text, Set<String> into) {
        Matcher m = p.matcher(text);
        while (m.find()) into.add(m.group(1));
    }
}
