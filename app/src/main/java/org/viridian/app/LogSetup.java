package org.viridian.app;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The one logging backend: Viridian's code logs through System.Logger, Javalin and Jetty through slf4j-jdk14, and both
 * end in java.util.logging, configured here once for the command line: one line per record on stderr, Viridian's
 * own records from INFO, libraries' from WARNING, the hypervisor interface's TRACE with VIRIDIAN_HV_TRACE=1.
 */
public final class LogSetup {
    /** Held so the configured loggers are not collected (java.util.logging keeps them weakly). */
    private static final Logger ROOT = Logger.getLogger(""),
            OURS = Logger.getLogger("org.viridian"),
            HV = Logger.getLogger("org.viridian.hv");

    private LogSetup() {}

    public static void configure() {
        for (Handler h : ROOT.getHandlers()) ROOT.removeHandler(h);
        ConsoleHandler stderr = new ConsoleHandler();
        stderr.setLevel(Level.ALL);
        stderr.setFormatter(new OneLine());
        ROOT.addHandler(stderr);
        ROOT.setLevel(Level.WARNING);
        OURS.setLevel(Level.INFO);
        if ("1".equals(System.getenv("VIRIDIAN_HV_TRACE"))) HV.setLevel(Level.ALL);
    }

    /** The message as written (components prefix their own, e.g. "vmbus: "), errors marked, causes appended. */
    private static final class OneLine extends Formatter {
        @Override
        public String format(LogRecord r) {
            StringBuilder b = new StringBuilder();
            if (r.getLevel().intValue() >= Level.SEVERE.intValue()) b.append("error: ");
            b.append(formatMessage(r)).append(System.lineSeparator());
            if (r.getThrown() != null) {
                StringWriter w = new StringWriter();
                r.getThrown().printStackTrace(new PrintWriter(w));
                b.append(w);
            }
            return b.toString();
        }
    }
}
