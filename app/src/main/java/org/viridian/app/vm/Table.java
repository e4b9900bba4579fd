package org.viridian.app.vm;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import org.viridian.app.cli.Messages;

/** A plain text table: columns as wide as their widest cell (in terminal columns), two spaces apart. */
final class Table {
    private final List<String[]> rows = new ArrayList<>();

    Table(String... header) {
        rows.add(header);
    }

    Table row(Object... cells) {
        String[] r = new String[cells.length];
        for (int i = 0; i < cells.length; i++) r[i] = cells[i] == null ? "-" : cells[i].toString();
        rows.add(r);
        return this;
    }

    void print(PrintWriter out) {
        int[] w = new int[rows.getFirst().length];
        for (String[] r : rows) for (int i = 0; i < r.length; i++) w[i] = Math.max(w[i], Messages.width(r[i]));
        for (String[] r : rows) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                b.append(i == r.length - 1 ? r[i] : Messages.pad(r[i], w[i] + 2));
            }
            out.println(b.toString().stripTrailing());
        }
        out.flush();
    }
}
