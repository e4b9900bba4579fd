package org.viridian.app.vm;

import picocli.CommandLine.Command;

/** Placeholder registration, replaced by the owner of this package. */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the host service (REST API and web manager).")
public final class ServeCommand implements Runnable {
    @Override
    public void run() {
        throw new UnsupportedOperationException("'serve' is not available in this build yet");
    }
}
