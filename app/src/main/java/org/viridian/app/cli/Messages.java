package org.viridian.app.cli;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.MissingResourceException;
import java.util.ResourceBundle;

/**
 * The CLI's words in the user's language: one resource bundle ({@code org/viridian/app/messages*.properties}, UTF-8)
 * holds the messages the commands print (by key, {@code {0}}-style placeholders) and, for German and Japanese, the
 * usage help (picocli's keys: {@code viridian.vm.list.usage.description}, {@code viridian.vm.create.cpus}); English
 * usage help is the commands' own annotations. The language comes from the environment as POSIX says: LC_ALL, else
 * LC_MESSAGES, else LANG; C, POSIX and languages we lack mean English.
 */
public final class Messages {
    public static final String BUNDLE = "org.viridian.app.messages";
    public static final List<Locale> LANGUAGES = List.of(Locale.ENGLISH, Locale.GERMAN, Locale.JAPANESE);

    private static volatile Locale locale = fromEnvironment(System.getenv());

    /**
     * The language of one command served for another process (the disk tools' server, {@code VhdServer}): bound
     * around that command only, over the process's own.
     */
    public static final ScopedValue<Locale> REQUEST_LOCALE = ScopedValue.newInstance();

    private Messages() {}

    /** The language that {@code env}'s locale variables ask for, of those we have. */
    public static Locale fromEnvironment(Map<String, String> env) {
        for (String name : List.of("LC_ALL", "LC_MESSAGES", "LANG")) {
            String v = env.get(name);
            if (v == null || v.isEmpty()) continue;
            // ll_CC.codeset@modifier; the first set variable decides, even when it says C.
            String language = v.split("[_.@]", 2)[0].toLowerCase(Locale.ROOT);
            return LANGUAGES.stream()
                    .filter(l -> l.getLanguage().equals(language))
                    .findFirst()
                    .orElse(Locale.ENGLISH);
        }
        return Locale.ENGLISH;
    }

    public static Locale locale() {
        return REQUEST_LOCALE.orElse(locale);
    }

    /** Switches the language of what follows (the process starts with the environment's). */
    public static void use(Locale l) {
        locale = l;
    }

    /**
     * The bundle for {@code l}: that language's file over the English one, never the JVM's default locale's (which
     * ResourceBundle would otherwise try before English).
     */
    public static ResourceBundle bundle(Locale l) {
        // English is the base file itself: asked for as "en", ResourceBundle would first look for a messages_en file,
        // through every jar of the class path (the disk tools' launcher puts the full jar, slow to open, last).
        return ResourceBundle.getBundle(
                BUNDLE,
                l.getLanguage().equals("en") ? Locale.ROOT : l,
                ResourceBundle.Control.getNoFallbackControl(ResourceBundle.Control.FORMAT_PROPERTIES));
    }

    /** The message {@code key} in the current language, {@code {0}}, {@code {1}}… replaced by {@code args}. */
    public static String get(String key, Object... args) {
        String text;
        try {
            text = bundle(locale()).getString(key);
        } catch (MissingResourceException e) {
            text = key; // visible, so that it gets noticed; MessagesTest keeps it from happening
        }
        // Plain replacement, not MessageFormat: its quoting rules would eat the apostrophes of "VM 'demo'".
        for (int i = 0; i < args.length; i++) text = text.replace("{" + i + "}", String.valueOf(args[i]));
        return text;
    }

    /** The key's message if there is one, else the key's last part as is (a job kind the CLI does not know yet). */
    public static String orAsIs(String key) {
        String text = get(key);
        return text.equals(key) ? key.substring(key.lastIndexOf('.') + 1) : text;
    }

    /** A VM state as the service names it ("running"), in the current language. */
    public static String state(String wire) {
        return orAsIs("state." + wire);
    }

    /** Table headings: column.NAME for each name. */
    public static String[] columns(String... names) {
        String[] headings = new String[names.length];
        for (int i = 0; i < names.length; i++) headings[i] = get("column." + names[i]);
        return headings;
    }

    /** A label of the "key: value" listings ("name:", "state:"), padded so that the values line up. */
    public static String label(String key) {
        return labelOf(get(key));
    }

    /** {@code text} and a colon as such a label. */
    public static String labelOf(String text) {
        return pad(text + ":", LABEL_COLUMNS);
    }

    private static final int LABEL_COLUMNS = 14;

    /** {@code text} and spaces to fill {@code columns} terminal columns (at least one space). */
    public static String pad(String text, int columns) {
        return text + " ".repeat(Math.max(1, columns - width(text)));
    }

    /** Terminal columns {@code text} takes: East Asian wide characters (kana, kanji, full-width forms) take two. */
    public static int width(String text) {
        return text.codePoints().map(c -> wide(c) ? 2 : 1).sum();
    }

    private static boolean wide(int c) {
        return (c >= 0x1100 && c <= 0x115F)
                || (c >= 0x2E80 && c <= 0xA4CF)
                || (c >= 0xAC00 && c <= 0xD7A3)
                || (c >= 0xF900 && c <= 0xFAFF)
                || (c >= 0xFE30 && c <= 0xFE4F)
                || (c >= 0xFF00 && c <= 0xFF60)
                || (c >= 0xFFE0 && c <= 0xFFE6)
                || (c >= 0x20000 && c <= 0x3FFFD);
    }
}
