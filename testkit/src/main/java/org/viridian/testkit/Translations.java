package org.viridian.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a translated message catalogue lacks against the English one: keys without a translation, translations that
 * are still the English text, and placeholders that differ (a {@code {name}}, {@code {0}} or {@code %s} the code
 * fills in, a picocli {@code ${DEFAULT-VALUE}}).
 * Shared by the web manager's JSON catalogues and the CLI's resource bundles.
 */
public final class Translations {
    /**
     * Words that stay the same in German and Japanese (product and protocol names, units); a value equal to its
     * English text is an omission unless it is one of these or has no letters outside its placeholders.
     */
    public static final Set<String> SAME_IN_EVERY_LANGUAGE = Set.of(
            "Name", "NAME", "ID", "VHDX", "VHD", "CPU", "CPUs", "IPv4", "NAT", "KVP", "MAC", "HTTP", "URL", "JSON");

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$?\\{[\\w:.-]+\\}|%[-\\d]*[sdnx%]");

    private Translations() {}

    /** One line per problem of {@code translated} (language {@code language}); empty when complete. */
    public static List<String> problems(Map<String, String> english, Map<String, String> translated, String language) {
        List<String> problems = new ArrayList<>();
        for (var e : new java.util.TreeMap<>(english).entrySet()) {
            String key = e.getKey(), en = e.getValue(), other = translated.get(key);
            if (other == null || other.isBlank()) {
                problems.add(language + ": no translation of " + key + " = " + en);
            } else if (other.equals(en) && !sameEverywhere(en)) {
                problems.add(language + ": " + key + " is still English: " + en);
            } else if (!placeholders(en).equals(placeholders(other))) {
                problems.add(language + ": " + key + " has placeholders " + placeholders(other) + ", English has "
                        + placeholders(en));
            }
        }
        for (String key : translated.keySet())
            if (!english.containsKey(key)) problems.add(language + ": " + key + " is not an English key");
        return problems;
    }

    /** Text that needs no translation: a listed word, or nothing but placeholders, digits and punctuation. */
    public static boolean sameEverywhere(String text) {
        String bare = PLACEHOLDER.matcher(text).replaceAll(" ").strip();
        return SAME_IN_EVERY_LANGUAGE.contains(bare) || bare.codePoints().noneMatch(Character::isLetter);
    }

    /** The text's pieces between placeholders, stripped: what a reader sees of it whatever the code fills in. */
    public static List<String> literalParts(String text) {
        List<String> parts = new ArrayList<>();
        for (String p : PLACEHOLDER.split(text)) if (!p.isBlank()) parts.add(p.strip());
        return parts;
    }

    private static Set<String> placeholders(String text) {
        Set<String> found = new TreeSet<>();
        Matcher m = PLACEHOLDER.matcher(text);
        while (m.find()) if (!m.group().equals("%n") && !m.group().equals("%%")) found.add(m.group());
        return found;
    }
}
