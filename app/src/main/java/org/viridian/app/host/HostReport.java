package org.viridian.app.host;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.viridian.app.cli.Messages;
import org.viridian.machine.host.HostCheck;

/**
 * The host check's report in the user's language: each subject and finding by its code (host.subject.*,
 * host.finding.*), the host's own values (paths, module and capability names, errno texts) as they are. The status
 * column stays OK/WARN/FAIL/INFO in every language, as log levels do: it is what people grep for.
 */
public final class HostReport {
    private HostReport() {}

    public static String render(HostCheck.Report r) {
        List<String> subjects = r.items().stream().map(HostReport::subject).toList();
        int w = subjects.stream().mapToInt(Messages::width).max().orElse(10);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < subjects.size(); i++) {
            HostCheck.Item item = r.items().get(i);
            b.append("  ")
                    .append(Messages.pad(item.status().name(), 6))
                    .append(Messages.pad(subjects.get(i), w + 2))
                    .append(detail(item))
                    .append('\n');
        }
        b.append(Messages.get(r.canRunVms() ? "host.canRunVms" : "host.cannotRunVms"))
                .append('\n');
        return b.toString();
    }

    private static String subject(HostCheck.Item item) {
        return item.subject() == HostCheck.Subject.DEVICE
                ? item.name()
                : Messages.get("host.subject." + item.subject().name().toLowerCase(Locale.ROOT));
    }

    private static String detail(HostCheck.Item item) {
        return item.facts().stream()
                .map(f -> AS_IS.contains(f.finding())
                        ? f.english()
                        : Messages.get("host.finding." + f.finding().name().toLowerCase(Locale.ROOT), f.arg()))
                .collect(Collectors.joining(Messages.get("host.separator")));
    }

    /** Findings that are names or values, the same in every language. */
    private static final Set<HostCheck.Finding> AS_IS = EnumSet.of(
            HostCheck.Finding.VALUE, HostCheck.Finding.X86_64, HostCheck.Finding.VT_X, HostCheck.Finding.AMD_V);
}
